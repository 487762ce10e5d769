//! CPU and memory of a process, from /proc.

/// CPU and memory of a process.
pub struct Usage {
    pub rss_kib: u64,
    pub threads: u64,
    pub cpu_secs: f64,
    /// CPU of the process's children that ended and were waited for: for the server, the
    /// jobs' own processes.
    pub children_cpu_secs: f64,
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
    // cutime and cstime follow them.
    let children_cpu_secs = (ticks(13) + ticks(14)) / 100.0;
    Ok(Usage {
        rss_kib,
        threads,
        cpu_secs,
        children_cpu_secs,
    })
}

/// Reads a process's peak RSS (`VmHWM`) in KiB.
pub fn peak_rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("/proc/{pid}/status has no VmHWM"))
}

/// Starts a process's peak RSS over from its current RSS (Linux `clear_refs` value 5).
pub fn reset_peak_rss(pid: u32) -> anyhow::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    Ok(())
}

/// CPU seconds the whole machine spent busy (not idle, not waiting for I/O) since boot, and
/// how many CPUs it has, from /proc/stat.
pub fn machine_busy_secs() -> anyhow::Result<(f64, usize)> {
    let stat = std::fs::read_to_string("/proc/stat")?;
    let total = stat
        .lines()
        .find_map(|line| line.strip_prefix("cpu "))
        .ok_or_else(|| anyhow::anyhow!("/proc/stat has no cpu line"))?;
    let ticks: Vec<f64> = total
        .split_whitespace()
        .filter_map(|value| value.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal …
    let idle = ticks.get(3).copied().unwrap_or(0.0) + ticks.get(4).copied().unwrap_or(0.0);
    let busy = ticks.iter().take(8).sum::<f64>() - idle;
    let cpus = stat
        .lines()
        .filter(|line| line.starts_with("cpu") && !line.starts_with("cpu "))
        .count();
    Ok((busy / 100.0, cpus))
}
