//! Starting the job's process in its own process group and supervising it: output, timeout,
//! memory limit, cancellation, and killing the whole group.

use std::io;
use std::path::PathBuf;
use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::{Child, Command};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::memory::process_group_rss_bytes;
use super::status::{exit_status_text, format_go_duration};
use super::user::Credentials;
use crate::{ExecReport, OutputSink};

/// How often the memory of the process group is measured.
const MEMORY_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How long output is still read after the group was killed; a process that left the group
/// and keeps the pipes open must not keep the run alive.
const DRAIN_AFTER_KILL: Duration = Duration::from_secs(2);
const READ_BUFFER_BYTES: usize = 16 * 1024;

/// Everything needed to start and supervise one process.
#[derive(Debug)]
pub(super) struct ProcessPlan {
    /// The command as the user wrote it, for messages.
    pub(super) command_text: String,
    /// Program and arguments.
    pub(super) argv: Vec<String>,
    /// Changes to the inherited environment (`None` removes), before `env`.
    pub(super) inherited_changes: Arc<Vec<(String, Option<String>)>>,
    /// Variables added to the inherited environment, in order (later ones win).
    pub(super) env: Vec<(String, String)>,
    /// Working directory.
    pub(super) cwd: Option<PathBuf>,
    /// Kill after this long.
    pub(super) timeout: Option<Duration>,
    /// Kill when the group's resident memory exceeds this.
    pub(super) mem_limit_bytes: Option<u64>,
    /// Written to stdin, then stdin is closed; without it stdin is /dev/null.
    pub(super) payload: Option<Vec<u8>>,
    /// Run as this user and group.
    pub(super) credentials: Option<Credentials>,
}

/// Why the process group was killed.
enum KillReason {
    Timeout(Duration),
    Memory { used_bytes: u64, limit_bytes: u64 },
    Cancelled,
}

/// Kills the process group when dropped while armed, so a run whose future is dropped halfway
/// leaves no process behind.
struct GroupKiller {
    group: Pid,
    armed: bool,
}

impl GroupKiller {
    fn kill(&self) -> nix::Result<()> {
        killpg(self.group, Signal::SIGKILL)
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if self.armed {
            // Nothing left to kill is fine here: the group may already be gone.
            let _ignored = self.kill();
        }
    }
}

/// Runs `plan` to completion, writing stdout and stderr to `output` as they arrive.
pub(super) async fn run_process(
    plan: ProcessPlan,
    output: &mut OutputSink,
    cancel: &CancellationToken,
) -> ExecReport {
    if let Some(cwd) = &plan.cwd
        && let Err(error) = tokio::fs::metadata(cwd).await
    {
        return ExecReport::failed(format!("chdir {}: {}", cwd.display(), describe(&error)));
    }
    if cancel.is_cancelled() {
        return ExecReport {
            killed: true,
            ..ExecReport::failed("shell: execution cancelled before it started")
        };
    }
    let mut child = match build_command(&plan).spawn() {
        Ok(child) => child,
        Err(error) => return ExecReport::failed(spawn_error_text(&plan.argv[0], &error)),
    };
    let Some(raw_pid) = child.id().and_then(|pid| i32::try_from(pid).ok()) else {
        return ExecReport::failed("shell: started process has no pid");
    };
    // process_group(0) made the child the leader of a group whose id is its pid.
    let mut group = GroupKiller {
        group: Pid::from_raw(raw_pid),
        armed: true,
    };
    let stdin_writer = match (child.stdin.take(), plan.payload.clone()) {
        (Some(mut stdin), Some(payload)) => Some(tokio::spawn(async move {
            // A process that exits without reading its stdin is not an error.
            let _ignored = stdin.write_all(&payload).await;
        })),
        _ => None,
    };
    let report = supervise(&plan, &mut child, &group, output, cancel).await;
    if let Some(writer) = stdin_writer {
        writer.abort();
    }
    // Finished on its own: leave background processes that closed their output alone.
    group.armed = report.killed;
    report
}

fn build_command(plan: &ProcessPlan) -> Command {
    let mut command = Command::new(&plan.argv[0]);
    for (key, change) in plan.inherited_changes.iter() {
        match change {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .args(&plan.argv[1..])
        .envs(plan.env.iter().map(|(key, value)| (key, value)))
        .stdin(if plan.payload.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    if let Some(cwd) = &plan.cwd {
        command.current_dir(cwd);
    }
    if let Some(credentials) = plan.credentials {
        command.uid(credentials.uid);
        if let Some(gid) = credentials.gid {
            command.gid(gid);
        }
    }
    command
}

async fn supervise(
    plan: &ProcessPlan,
    child: &mut Child,
    group: &GroupKiller,
    output: &mut OutputSink,
    cancel: &CancellationToken,
) -> ExecReport {
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let mut stdout_buffer = vec![0u8; READ_BUFFER_BYTES];
    let mut stderr_buffer = vec![0u8; READ_BUFFER_BYTES];
    let timeout_at = plan.timeout.map(|timeout| Instant::now() + timeout);
    let mut memory_poll =
        tokio::time::interval_at(Instant::now() + MEMORY_POLL_INTERVAL, MEMORY_POLL_INTERVAL);
    memory_poll.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut exit_status: Option<io::Result<ExitStatus>> = None;
    let mut kill_reason: Option<KillReason> = None;
    let mut stop_reading_at: Option<Instant> = None;

    while exit_status.is_none() || stdout.is_some() || stderr.is_some() {
        let not_killed = kill_reason.is_none();
        tokio::select! {
            read = read_chunk(&mut stdout, &mut stdout_buffer) => match read {
                Some(length) => output.write(&stdout_buffer[..length]),
                None => stdout = None,
            },
            read = read_chunk(&mut stderr, &mut stderr_buffer) => match read {
                Some(length) => output.write(&stderr_buffer[..length]),
                None => stderr = None,
            },
            status = child.wait(), if exit_status.is_none() => exit_status = Some(status),
            () = sleep_until(timeout_at), if not_killed => {
                let timeout = plan.timeout.unwrap_or_default();
                kill_reason = Some(KillReason::Timeout(timeout));
            }
            _ = memory_poll.tick(), if not_killed && plan.mem_limit_bytes.is_some() => {
                let limit_bytes = plan.mem_limit_bytes.unwrap_or(u64::MAX);
                let group_id = group.group.as_raw();
                let used_bytes = tokio::task::spawn_blocking(move || {
                    process_group_rss_bytes(group_id)
                })
                .await
                .unwrap_or(0);
                if used_bytes > limit_bytes {
                    kill_reason = Some(KillReason::Memory { used_bytes, limit_bytes });
                }
            }
            () = cancel.cancelled(), if not_killed => kill_reason = Some(KillReason::Cancelled),
            () = sleep_until(stop_reading_at) => {
                stop_reading_at = None;
                stdout = None;
                stderr = None;
            }
        }
        if not_killed && let Some(reason) = &kill_reason {
            let killed = group.kill();
            output.write_line(&kill_notice(&plan.command_text, reason, killed.is_ok()));
            stop_reading_at = Some(Instant::now() + DRAIN_AFTER_KILL);
        }
    }
    let killed = kill_reason.is_some();
    let mut report = match exit_status {
        Some(Ok(status)) if status.success() && !killed => ExecReport::success(Some(0)),
        Some(Ok(status)) if status.success() => {
            ExecReport::failed("shell: Job killed after its main process exited")
        }
        Some(Ok(status)) => ExecReport {
            exit_code: status.code(),
            error: Some(exit_status_text(status)),
            killed,
        },
        Some(Err(error)) => ExecReport::failed(format!("shell: waiting for process: {error}")),
        None => ExecReport::failed("shell: process status unknown"),
    };
    report.killed = killed;
    report
}

/// Reads the next chunk of a pipe; `None` at end of file or error. A closed pipe never
/// completes, so a `select!` branch on it just stays quiet.
async fn read_chunk<Pipe: AsyncRead + Unpin>(
    pipe: &mut Option<Pipe>,
    buffer: &mut [u8],
) -> Option<usize> {
    match pipe {
        Some(pipe) => match pipe.read(buffer).await {
            Ok(0) | Err(_) => None,
            Ok(length) => Some(length),
        },
        None => std::future::pending().await,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

fn kill_notice(command: &str, reason: &KillReason, kill_succeeded: bool) -> String {
    let cause = match reason {
        KillReason::Timeout(timeout) => format!(
            "execution time exceeding defined timeout {}",
            format_go_duration(*timeout)
        ),
        KillReason::Memory {
            used_bytes,
            limit_bytes,
        } => format!(
            "memory usage ({used_bytes} bytes) exceeding defined limit ({limit_bytes} bytes)"
        ),
        KillReason::Cancelled => "execution cancelled".to_string(),
    };
    let result = if kill_succeeded {
        "Job was killed"
    } else {
        "SIGKILL returned error. Job may not have been killed"
    };
    format!("shell: Job '{command}' {cause}. {result}")
}

/// Words a failed start like Go's `exec` package does.
fn spawn_error_text(program: &str, error: &io::Error) -> String {
    if error.kind() == io::ErrorKind::NotFound && !program.contains('/') {
        format!("exec: \"{program}\": executable file not found in $PATH")
    } else {
        format!("fork/exec {program}: {}", describe(error))
    }
}

/// Returns the lowercase OS description of an I/O error (`no such file or directory`).
fn describe(error: &io::Error) -> String {
    match error.raw_os_error() {
        Some(code) => {
            let text = nix::errno::Errno::from_raw(code).desc();
            let mut chars = text.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_lowercase().chain(chars).collect()
            })
        }
        None => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_notices_use_dkrons_words() {
        assert_eq!(
            kill_notice(
                "sleep 9",
                &KillReason::Timeout(Duration::from_secs(1)),
                true
            ),
            "shell: Job 'sleep 9' execution time exceeding defined timeout 1s. Job was killed"
        );
        let memory = KillReason::Memory {
            used_bytes: 300,
            limit_bytes: 200,
        };
        assert_eq!(
            kill_notice("hog", &memory, true),
            "shell: Job 'hog' memory usage (300 bytes) exceeding defined limit (200 bytes). \
             Job was killed"
        );
        assert!(
            kill_notice("x", &KillReason::Cancelled, false).ends_with("may not have been killed")
        );
    }

    #[test]
    fn spawn_errors_read_like_go() {
        let missing = io::Error::from_raw_os_error(2);
        assert_eq!(
            spawn_error_text("nope", &missing),
            "exec: \"nope\": executable file not found in $PATH"
        );
        assert_eq!(
            spawn_error_text("./nope", &missing),
            "fork/exec ./nope: no such file or directory"
        );
    }
}
