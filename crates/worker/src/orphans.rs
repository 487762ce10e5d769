//! Finding and killing processes a crashed node left running.
//!
//! Every process a shell run starts carries `DKRON_JOB_NAME` and `DKRON_EXECUTION_ID` in its
//! environment (the executor guarantees it), and leads its own process group. After a crash,
//! the runs that were in flight are ended as lost; their processes may still be running as
//! orphans. Killing them keeps the promise that a lost run does not go on doing work nobody
//! will see the result of, and that it cannot overlap the job's next occurrence.
//!
//! A server knows exactly which runs it had in flight (its replicated store says so) and uses
//! [`kill_orphans`]. An agent has no store: it recognises its runs by their execution ids,
//! which embed the node name ([`execution_belongs_to_node`]), and uses
//! [`kill_orphans_of_node`].

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Pid, getpgid};

/// A run whose processes should not exist any more: (job name, execution id).
pub type RunIdentity = (String, String);

/// How far up the process tree [`owned_by_a_running_node`] looks before giving up.
const MAX_ANCESTORS: usize = 64;

/// Reads the run identity a process carries in its environment, if any.
fn identity_of(environ: &[u8]) -> Option<RunIdentity> {
    let mut job = None;
    let mut execution = None;
    for entry in environ.split(|byte| *byte == 0) {
        if let Some(value) = entry.strip_prefix(b"DKRON_JOB_NAME=") {
            job = Some(String::from_utf8_lossy(value).into_owned());
        } else if let Some(value) = entry.strip_prefix(b"DKRON_EXECUTION_ID=") {
            execution = Some(String::from_utf8_lossy(value).into_owned());
        }
    }
    Some((job?, execution?))
}

/// Returns whether `execution_id` is an id that node `node_name` could have given a run, that
/// is, exactly what `dkron_model::execution_id(nominal, node_name, attempt)` returns for some
/// nominal time and attempt.
///
/// The rule, anchored at both ends because node names may hold `-` and digits:
/// - the id is `<nanos>-<node_name>` or `<nanos>-<node_name>-<attempt>`;
/// - `<nanos>` is an `i64` written canonically (digits, an optional leading `-`, no leading
///   zero), so the node name is everything between it and the end or the attempt;
/// - `<attempt>` is a `u32` of at least 2 written canonically: the first attempt has no suffix,
///   so `-1`, `-0` and `-02` are never attempts.
///
/// So `123-agent1` and `123-agent1-2` belong to `agent1`; `123-agent10`, `123-agent1x` and
/// `123-agent1-1` do not. One case stays ambiguous because the id itself is: `123-a-2` is both
/// the first attempt of node `a-2` and the second attempt of node `a`, and both nodes claim it.
/// [`kill_orphans_of_node`] makes that harmless by sparing runs of any node still running.
/// An empty node name owns nothing.
pub fn execution_belongs_to_node(execution_id: &str, node_name: &str) -> bool {
    if node_name.is_empty() {
        return false;
    }
    let first_attempt = |text: &str| {
        text.strip_suffix(node_name)
            .and_then(|rest| rest.strip_suffix('-'))
            .is_some_and(is_canonical_nanos)
    };
    if first_attempt(execution_id) {
        return true;
    }
    execution_id
        .rsplit_once('-')
        .is_some_and(|(head, attempt)| is_later_attempt(attempt) && first_attempt(head))
}

/// Returns whether `text` is an `i64` as `format!` writes it.
fn is_canonical_nanos(text: &str) -> bool {
    text.parse::<i64>()
        .is_ok_and(|nanos| nanos.to_string() == text)
}

/// Returns whether `text` is an attempt number the id carries: a `u32` of 2 or more, as
/// `format!` writes it.
fn is_later_attempt(text: &str) -> bool {
    text.parse::<u32>()
        .is_ok_and(|attempt| attempt >= 2 && attempt.to_string() == text)
}

/// Kills the process group of every process that belongs to one of `runs`, and returns how
/// many groups were killed. Processes that cannot be read or signalled are skipped.
pub fn kill_orphans(proc_root: &Path, runs: &HashSet<RunIdentity>) -> usize {
    if runs.is_empty() {
        return 0;
    }
    kill_groups_where(proc_root, |_, identity| runs.contains(identity))
}

/// Kills the process group of every process whose `DKRON_EXECUTION_ID` belongs to
/// `node_name` (see [`execution_belongs_to_node`]), and returns how many groups were killed.
///
/// Meant for a node starting up, when its previous process is dead: any process still carrying
/// its ids is an orphan. Processes that descend from a running process of this same program
/// (other than this one) are spared: they are live runs of another node on this host, whose
/// name a crashed node's ids may also match (the ambiguity described on
/// [`execution_belongs_to_node`], or two nodes with one name). Processes that cannot be read
/// or signalled are skipped.
pub fn kill_orphans_of_node(proc_root: &Path, node_name: &str) -> usize {
    let this_program = ThisProgram::read(proc_root);
    kill_groups_where(proc_root, |pid, (_, execution_id)| {
        if !execution_belongs_to_node(execution_id, node_name) {
            return false;
        }
        let owned = this_program
            .as_ref()
            .is_some_and(|program| owned_by_a_running_node(proc_root, pid, program));
        if owned {
            tracing::debug!(pid, execution = %execution_id, "spared a process of a node that is still running");
        }
        !owned
    })
}

/// This process and the executable it runs, to recognise other nodes on the same host.
struct ThisProgram {
    pid: i32,
    /// Device and inode of the executable.
    executable: (u64, u64),
}

impl ThisProgram {
    fn read(proc_root: &Path) -> Option<ThisProgram> {
        Some(ThisProgram {
            pid: i32::try_from(std::process::id()).ok()?,
            executable: executable_of(&proc_root.join("self"))?,
        })
    }
}

/// Returns the device and inode of the executable a process runs (`<proc>/<pid>/exe`).
fn executable_of(process_dir: &Path) -> Option<(u64, u64)> {
    let metadata = std::fs::metadata(process_dir.join("exe")).ok()?;
    Some((metadata.dev(), metadata.ino()))
}

/// Returns whether an ancestor of `pid` runs the same executable as this program without being
/// this process: a node that is alive and whose runs are not orphans. An orphan's ancestors are
/// init or a subreaper once the node that started it is dead.
fn owned_by_a_running_node(proc_root: &Path, pid: i32, this_program: &ThisProgram) -> bool {
    let mut current = pid;
    for _ in 0..MAX_ANCESTORS {
        let Some(parent) = parent_of(proc_root, current) else {
            return false;
        };
        if parent <= 1 || parent == this_program.pid {
            return false;
        }
        let parent_dir = proc_root.join(parent.to_string());
        if executable_of(&parent_dir) == Some(this_program.executable) {
            return true;
        }
        current = parent;
    }
    false
}

/// Returns the parent pid of a process, from `<proc>/<pid>/stat`.
fn parent_of(proc_root: &Path, pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(proc_root.join(pid.to_string()).join("stat")).ok()?;
    parent_from_stat(&stat)
}

/// Reads the parent pid from a `/proc/<pid>/stat` line: `pid (comm) state ppid ...`, where
/// `comm` may itself hold spaces and parentheses.
fn parent_from_stat(stat: &str) -> Option<i32> {
    let (_, after_command) = stat.rsplit_once(')')?;
    let mut fields = after_command.split_whitespace();
    let _state = fields.next()?;
    fields.next()?.parse().ok()
}

/// Kills the process group of every process whose run identity `is_orphan` accepts (given the
/// pid), once per group, and returns how many groups were killed.
fn kill_groups_where(
    proc_root: &Path,
    mut is_orphan: impl FnMut(i32, &RunIdentity) -> bool,
) -> usize {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return 0;
    };
    let mut killed = HashSet::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(environ) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        let Some(identity) = identity_of(&environ).filter(|identity| is_orphan(pid, identity))
        else {
            continue;
        };
        let Ok(group) = getpgid(Some(Pid::from_raw(pid))) else {
            continue;
        };
        if killed.contains(&group) {
            continue;
        }
        match killpg(group, Signal::SIGKILL) {
            Ok(()) => {
                tracing::warn!(job = %identity.0, execution = %identity.1, pgid = group.as_raw(), "killed an orphaned run left by the previous process");
                killed.insert(group);
            }
            Err(error) => {
                tracing::warn!(pgid = group.as_raw(), error = %error, "cannot kill an orphaned run")
            }
        }
    }
    killed.len()
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;
    use std::time::Duration;

    use chrono::DateTime;

    use super::*;

    #[test]
    fn reads_the_run_identity_from_an_environment_block() {
        let environ = b"PATH=/bin\0DKRON_JOB_NAME=backup\0DKRON_EXECUTION_ID=17-n1\0";
        assert_eq!(
            identity_of(environ),
            Some(("backup".into(), "17-n1".into()))
        );
        assert_eq!(identity_of(b"PATH=/bin\0DKRON_JOB_NAME=x\0"), None);
    }

    #[test]
    fn an_execution_id_belongs_to_the_node_it_names() {
        let cases = [
            ("123-agent1", "agent1", true),
            ("123-agent1-2", "agent1", true),
            ("123-agent1-4294967295", "agent1", true),
            ("-5-agent1", "agent1", true),
            ("0-agent1", "agent1", true),
            ("123-agent10", "agent1", false),
            ("123-agent1x", "agent1", false),
            ("123-xagent1", "agent1", false),
            ("123-agent1-1", "agent1", false),
            ("123-agent1-0", "agent1", false),
            ("123-agent1-02", "agent1", false),
            ("123-agent1-4294967296", "agent1", false),
            ("123-agent1-2-3", "agent1", false),
            ("123-agent1-", "agent1", false),
            ("agent1", "agent1", false),
            ("-agent1", "agent1", false),
            ("0123-agent1", "agent1", false),
            ("1x-agent1", "agent1", false),
            ("123--agent1", "agent1", false),
            ("123-agent2", "agent1", false),
            // Names with dashes and digits: the nanos prefix is a number, the rest is the name.
            ("123-node-10", "node-10", true),
            ("123-node-10-3", "node-10", true),
            ("123-node-10", "node", true),
            ("123-node-1", "node-10", false),
            ("123-10-20", "10-20", true),
            ("123-10-20", "20", false),
            ("123-10-20", "0-20", false),
            ("5-2-1", "1", false),
            // The id itself cannot tell node `a-2` (first attempt) from node `a` (second).
            ("123-a-2", "a-2", true),
            ("123-a-2", "a", true),
            ("123-a", "a-2", false),
            ("123-a-2-3", "a", false),
            ("123-a-2-3", "a-2", true),
            ("123-", "", false),
        ];
        for (execution_id, node_name, expected) in cases {
            assert_eq!(
                execution_belongs_to_node(execution_id, node_name),
                expected,
                "{execution_id:?} belongs to {node_name:?}"
            );
        }
    }

    /// Whether an id `producer` made for `attempt` is claimed by `claimant`, by the documented
    /// rule: its own ids, plus the ids the grammar cannot tell apart from its own.
    fn claimed(claimant: &str, producer: &str, attempt: u32) -> bool {
        let extends = |longer: &str, shorter: &str| {
            longer
                .strip_prefix(shorter)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(is_later_attempt)
        };
        producer == claimant
            || (attempt == 1 && extends(producer, claimant))
            || (attempt >= 2 && claimant == format!("{producer}-{attempt}"))
    }

    #[test]
    fn every_id_the_model_makes_is_claimed_by_its_node_and_no_other() {
        let names = [
            "a", "a-2", "a-2-3", "agent1", "agent10", "1", "1-2", "node-10", "-x", "7", "x-",
        ];
        let nanos = [0, 1, -1, 1_766_225_730_401_122_334, i64::MAX, i64::MIN];
        let attempts = [1, 2, 3, 10, u32::MAX];
        for producer in names {
            for nanos in nanos {
                for attempt in attempts {
                    let nominal = DateTime::from_timestamp_nanos(nanos);
                    let id = dkron_model::execution_id(nominal, producer, attempt);
                    for claimant in names {
                        assert_eq!(
                            execution_belongs_to_node(&id, claimant),
                            claimed(claimant, producer, attempt),
                            "{id:?} made by {producer:?} (attempt {attempt}), asked by {claimant:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn reads_the_parent_from_a_stat_line() {
        assert_eq!(parent_from_stat("42 (sleep) S 7 42 42 0 -1"), Some(7));
        assert_eq!(parent_from_stat("42 (a) b (c)) R 9 42 42"), Some(9));
        assert_eq!(parent_from_stat("42 (sleep"), None);
    }

    /// Starts `sh -c 'sleep 600 & wait'` in its own group, carrying a run identity.
    fn spawn_run(job: &str, execution_id: &str) -> std::process::Child {
        std::process::Command::new("sh")
            .args(["-c", "sleep 600 & wait"])
            .env("DKRON_JOB_NAME", job)
            .env("DKRON_EXECUTION_ID", execution_id)
            .process_group(0)
            .spawn()
            .unwrap()
    }

    /// Calls `kill` until it has killed `expected` groups in all, or about a second passed.
    #[allow(clippy::disallowed_methods)] // a plain test thread, no runtime to block
    fn kill_until(expected: usize, mut kill: impl FnMut() -> usize) -> usize {
        let mut killed = 0;
        for _ in 0..50 {
            killed += kill();
            if killed >= expected {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        killed
    }

    /// Checks that a run is alive, then kills its whole group (the shell and its `sleep`).
    fn assert_still_running(mut child: std::process::Child, what: &str) {
        assert!(child.try_wait().unwrap().is_none(), "{what} was killed");
        let group = Pid::from_raw(i32::try_from(child.id()).unwrap());
        killpg(group, Signal::SIGKILL).unwrap();
        child.wait().unwrap();
    }

    #[test]
    fn kills_the_group_of_a_matching_process_and_spares_others() {
        let mut orphan = spawn_run("orphan-test", "1-test");
        let bystander = spawn_run("orphan-test", "2-test");
        let wanted = HashSet::from([("orphan-test".to_string(), "1-test".to_string())]);
        let killed = kill_until(1, || kill_orphans(Path::new("/proc"), &wanted));
        assert_eq!(killed, 1);
        assert!(!orphan.wait().unwrap().success());
        assert_still_running(bystander, "an unrelated run");
    }

    #[test]
    fn kills_every_run_of_a_node_and_spares_other_nodes() {
        let node = format!("orphans-node-{}", std::process::id());
        let mut first = spawn_run("job-a", &format!("17-{node}"));
        let mut retry = spawn_run("job-b", &format!("18-{node}-2"));
        let other_node = spawn_run("job-a", &format!("17-{node}0"));
        let killed = kill_until(2, || kill_orphans_of_node(Path::new("/proc"), &node));
        assert_eq!(killed, 2);
        assert!(!first.wait().unwrap().success());
        assert!(!retry.wait().unwrap().success());
        assert_still_running(other_node, "a run of another node");
    }

    #[test]
    fn a_run_under_another_running_node_is_not_an_orphan() {
        let run = spawn_run("job-a", "17-owned");
        let test_process = ThisProgram::read(Path::new("/proc")).unwrap();
        let run_pid = i32::try_from(run.id()).unwrap();
        assert!(
            !owned_by_a_running_node(Path::new("/proc"), run_pid, &test_process),
            "this process's own children are not another node's"
        );
        // Seen from another process of the same program, this test process is a running node.
        let another_process = ThisProgram {
            pid: i32::MAX,
            ..test_process
        };
        assert!(owned_by_a_running_node(
            Path::new("/proc"),
            run_pid,
            &another_process
        ));
        assert_still_running(run, "a run nobody asked to kill");
    }
}
