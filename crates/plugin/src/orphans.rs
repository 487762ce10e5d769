//! Plugin processes a crashed node left behind. go-plugin plugins do not watch their host, so
//! when a node dies without stopping them (SIGKILL, OOM, power loss of a VM's agent process)
//! they run on, re-parented to init, one more set after every crash. When the node starts again
//! it kills those of its plugin binaries: a process is taken for such an orphan only when all
//! three hold, so another node's live plugins are never touched:
//!
//! - its parent is not a dkron agent: a running node's plugins are that node's children, and
//!   an orphan's parent is init (pid 1) or a subreaper (a container's init, `systemd --user`).
//!   A dkron agent is a process with an `agent` argument;
//! - its binary is one of the plugins this node found (a binary replaced since reads as
//!   `<path> (deleted)`, which counts too);
//! - it was started as a Dkron plugin: Dkron's magic cookie is in its environment.

use std::path::{Path, PathBuf};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::process::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};

/// The processes under `proc_root` (normally `/proc`) that are orphans of the plugin binaries
/// `plugins`, by pid.
pub(crate) fn orphaned_plugins(proc_root: &Path, plugins: &[PathBuf]) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir(proc_root) else {
        return Vec::new();
    };
    let mut orphans: Vec<u32> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| is_orphaned_plugin(&proc_root.join(pid.to_string()), plugins))
        .collect();
    orphans.sort_unstable();
    orphans
}

fn is_orphaned_plugin(process: &Path, plugins: &[PathBuf]) -> bool {
    let Some(parent) = std::fs::read_to_string(process.join("stat"))
        .ok()
        .and_then(|stat| parent_pid(&stat))
    else {
        return false;
    };
    let proc_root = process.parent().unwrap_or(Path::new("/proc"));
    // Init itself counts like any parent: a dkron agent may be a container's pid 1.
    if is_dkron_agent(&proc_root.join(parent.to_string())) {
        return false;
    }
    let Ok(binary) = std::fs::read_link(process.join("exe")) else {
        return false;
    };
    let binary = binary.to_string_lossy();
    let binary = binary.strip_suffix(" (deleted)").unwrap_or(&binary);
    if !plugins.iter().any(|plugin| Path::new(binary) == plugin) {
        return false;
    }
    let cookie = format!("{MAGIC_COOKIE_KEY}={MAGIC_COOKIE_VALUE}");
    std::fs::read(process.join("environ")).is_ok_and(|environ| {
        environ
            .split(|byte| *byte == 0)
            .any(|entry| entry == cookie.as_bytes())
    })
}

/// Whether the process at `process` runs with an `agent` argument (`dkron agent …`).
fn is_dkron_agent(process: &Path) -> bool {
    std::fs::read(process.join("cmdline"))
        .is_ok_and(|cmdline| cmdline.split(|byte| *byte == 0).any(|arg| arg == b"agent"))
}

/// The fourth field of `/proc/<pid>/stat`, read after the command name, which is in
/// parentheses and may itself hold spaces and parentheses.
fn parent_pid(stat: &str) -> Option<u32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    after_name.split_whitespace().nth(1)?.parse().ok()
}

/// Kills the orphans of `plugins` (see the module's rules) and returns how many there were.
pub(crate) fn kill_orphaned_plugins(plugins: &[PathBuf]) -> usize {
    let orphans = orphaned_plugins(Path::new("/proc"), plugins);
    for pid in &orphans {
        let Ok(raw) = i32::try_from(*pid) else {
            continue;
        };
        if let Err(error) = kill(Pid::from_raw(raw), Signal::SIGKILL) {
            tracing::warn!(pid, %error, "could not kill a plugin process left by a previous run of this node");
        }
    }
    orphans.len()
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn fake_parent(root: &Path, pid: u32, cmdline: &[&str]) {
        let dir = root.join(pid.to_string());
        std::fs::create_dir_all(&dir).expect("pid dir");
        std::fs::write(dir.join("cmdline"), cmdline.join("\0")).expect("cmdline");
    }

    fn fake_process(root: &Path, pid: u32, parent: u32, binary: &str, environ: &[&str]) {
        let dir = root.join(pid.to_string());
        std::fs::create_dir_all(&dir).expect("pid dir");
        let stat = format!("{pid} (dkron (x) y) S {parent} {pid} {pid} 0 -1");
        std::fs::write(dir.join("stat"), stat).expect("stat");
        symlink(binary, dir.join("exe")).expect("exe link");
        std::fs::write(dir.join("environ"), environ.join("\0")).expect("environ");
    }

    #[test]
    fn only_re_parented_plugin_processes_started_as_plugins_are_orphans() {
        let root = tempfile::tempdir().expect("temp dir");
        fake_parent(root.path(), 1, &["/sbin/init"]);
        let plugin = "/srv/dkron/plugins/dkron-executor-stream";
        let cookie = format!("{MAGIC_COOKIE_KEY}={MAGIC_COOKIE_VALUE}");
        fake_process(root.path(), 10, 1, plugin, &["PATH=/bin", &cookie]);
        fake_process(
            root.path(),
            11,
            1,
            &format!("{plugin} (deleted)"),
            &[&cookie],
        );
        // A live node's plugin: its parent is that node.
        fake_parent(
            root.path(),
            4242,
            &["/usr/local/bin/dkron", "agent", "--server"],
        );
        fake_process(root.path(), 12, 4242, plugin, &[&cookie]);
        // Re-parented to a subreaper, not to init.
        fake_parent(root.path(), 4343, &["/sbin/tini", "--", "sh"]);
        fake_process(root.path(), 15, 4343, plugin, &[&cookie]);
        // The same binary run by hand, not as a plugin.
        fake_process(root.path(), 13, 1, plugin, &["PATH=/bin"]);
        // Another program.
        fake_process(root.path(), 14, 1, "/usr/bin/sleep", &[&cookie]);
        std::fs::create_dir(root.path().join("self")).expect("non-pid entry");
        assert_eq!(
            orphaned_plugins(root.path(), &[PathBuf::from(plugin)]),
            vec![10, 11, 15]
        );
        assert_eq!(orphaned_plugins(root.path(), &[]), Vec::<u32>::new());
        assert_eq!(
            orphaned_plugins(&root.path().join("missing"), &[PathBuf::from(plugin)]),
            Vec::<u32>::new()
        );
    }

    #[test]
    fn the_parent_is_read_after_the_command_name() {
        assert_eq!(parent_pid("7 (a) b) c) S 1 7 7"), Some(1));
        assert_eq!(parent_pid("7 (plain) R 300 7 7"), Some(300));
        assert_eq!(parent_pid("garbage"), None);
    }
}
