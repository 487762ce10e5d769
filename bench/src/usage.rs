//! CPU and memory of a process, from /proc.

/// CPU and memory of a process.
pub struct Usage {
    pub rss_kib: u64,
    pub threads: u64,
    pub cpu_secs: f64,
}

/// Reads a process's RSS, threads and total CPU time from /proc.
pub fn usage_of(pid: u32) -> anyhow::Result<Usage> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0);
    let threads = status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|rest| rest.trim().parse().ok())
        .unwrap_or(0);
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat; after the name they are 11 and 12.
    let cpu_secs = (ticks(11) + ticks(12)) / 100.0;
    Ok(Usage {
        rss_kib,
        threads,
        cpu_secs,
    })
}
