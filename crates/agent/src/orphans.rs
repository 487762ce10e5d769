//! Finding and killing processes a crashed server left running.
//!
//! Every process a shell run starts carries `DKRON_JOB_NAME` and `DKRON_EXECUTION_ID` in its
//! environment (the executor guarantees it), and leads its own process group. After a crash,
//! the runs that were in flight are ended as lost; their processes may still be running as
//! orphans. Killing them keeps the promise that a lost run does not go on doing work nobody
//! will see the result of, and that it cannot overlap the job's next occurrence.

use std::collections::HashSet;
use std::path::Path;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::{Pid, getpgid};

/// A run whose processes should not exist any more: (job name, execution id).
pub type RunIdentity = (String, String);

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

/// Kills the process group of every process that belongs to one of `runs`, and returns how
/// many groups were killed. Processes that cannot be read or signalled are skipped.
pub fn kill_orphans(proc_root: &Path, runs: &HashSet<RunIdentity>) -> usize {
    if runs.is_empty() {
        return 0;
    }
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
        let Some(identity) = identity_of(&environ).filter(|identity| runs.contains(identity))
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
    #[allow(clippy::disallowed_methods)] // a plain test thread, no runtime to block
    fn kills_the_group_of_a_matching_process_and_spares_others() {
        let orphan = std::process::Command::new("sh")
            .args(["-c", "sleep 600 & wait"])
            .env("DKRON_JOB_NAME", "orphan-test")
            .env("DKRON_EXECUTION_ID", "1-test")
            .process_group(0)
            .spawn()
            .unwrap();
        let bystander = std::process::Command::new("sleep")
            .arg("600")
            .env("DKRON_JOB_NAME", "orphan-test")
            .env("DKRON_EXECUTION_ID", "2-test")
            .process_group(0)
            .spawn()
            .unwrap();
        let wanted = HashSet::from([("orphan-test".to_string(), "1-test".to_string())]);
        // The shell may not have exec'd its child yet; retry briefly until the group is found.
        let mut killed = 0;
        for _ in 0..50 {
            killed = kill_orphans(Path::new("/proc"), &wanted);
            if killed > 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(killed, 1);
        let mut orphan = orphan;
        let status = orphan.wait().unwrap();
        assert!(!status.success());
        let mut bystander = bystander;
        assert!(
            bystander.try_wait().unwrap().is_none(),
            "an unrelated run was killed"
        );
        bystander.kill().unwrap();
        bystander.wait().unwrap();
    }
}
