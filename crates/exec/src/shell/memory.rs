//! Resident memory of a process group, summed from /proc (Linux only).

use std::fs;

/// Sums the resident memory (VmRSS) of every live process whose process group is `pgid`.
///
/// Blocking: reads a few files per process, so call it from `spawn_blocking`.
pub(super) fn process_group_rss_bytes(pgid: i32) -> u64 {
    let Ok(entries) = fs::read_dir("/proc") else {
        return 0;
    };
    let mut total_bytes = 0u64;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        // Processes come and go while we scan: a vanished file just means nothing to count.
        let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if parse_stat_process_group(&stat) != Some(pgid) {
            continue;
        }
        if let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) {
            total_bytes = total_bytes.saturating_add(parse_status_rss_bytes(&status));
        }
    }
    total_bytes
}

/// Reads the process group (the fifth field) from `/proc/<pid>/stat`; the command name in
/// parentheses may itself contain spaces and parentheses, so fields are counted after the last
/// `)`.
fn parse_stat_process_group(stat: &str) -> Option<i32> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    let _state = fields.next()?;
    let _parent_pid = fields.next()?;
    fields.next()?.parse().ok()
}

/// Reads `VmRSS:  1234 kB` from `/proc/<pid>/status`; zombies and kernel threads have none.
fn parse_status_rss_bytes(status: &str) -> u64 {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kibibytes| kibibytes.parse::<u64>().ok())
        .map_or(0, |kibibytes| kibibytes.saturating_mul(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_group_survives_odd_command_names() {
        let stat = "4242 (we ird) (name)) S 1 4240 4240 0 -1 4194560 105 0 0 0";
        assert_eq!(parse_stat_process_group(stat), Some(4240));
        assert_eq!(parse_stat_process_group("garbage"), None);
    }

    #[test]
    fn status_rss_in_bytes() {
        let status = "Name:\tsleep\nVmPeak:\t 8000 kB\nVmRSS:\t     1500 kB\nThreads:\t1\n";
        assert_eq!(parse_status_rss_bytes(status), 1500 * 1024);
        assert_eq!(parse_status_rss_bytes("Name:\tzombie\nState:\tZ\n"), 0);
    }

    #[test]
    fn our_own_group_uses_memory() {
        let own_group = nix::unistd::getpgrp().as_raw();
        assert!(process_group_rss_bytes(own_group) > 0);
    }
}
