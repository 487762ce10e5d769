//! The command line.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::plan::FaultKind;

/// Chaos suite for dkron-rs (run as root: it creates network namespaces and tmpfs mounts).
#[derive(Debug, Clone, Parser)]
#[command(name = "dkron-chaos")]
pub struct Args {
    /// Seed of the fault plan and the job set (random when omitted; always printed).
    #[arg(long)]
    pub seed: Option<u64>,
    /// How long faults are injected (`120s`, `10m`).
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub duration: Duration,
    /// A fault starts this often (`20s`); each lasts between half and three quarters of it.
    #[arg(long, default_value = "20s", value_parser = parse_duration)]
    pub fault_every: Duration,
    /// Only these kinds of fault, comma-separated (`disk-full,sigstop`; default: every kind).
    /// A narrowed run draws another plan than the full one for the same seed.
    #[arg(long, value_delimiter = ',', value_parser = parse_fault_kind)]
    pub faults: Vec<FaultKind>,
    /// Number of scheduled jobs (`@every 1s`–`5s`).
    #[arg(long, default_value_t = 52)]
    pub jobs: usize,
    /// The dkron binary to test.
    #[arg(long, env = "DKRON_BIN", default_value = "target/release/dkron")]
    pub dkron: PathBuf,
    /// Where each run keeps its files (a `seed-<seed>` directory: node logs, the runs file).
    #[arg(long, default_value = "target/chaos")]
    pub work_dir: PathBuf,
    /// Internal: this process is the controller inside the bridge namespace.
    #[arg(long, hide = true)]
    pub inside: bool,
}

fn parse_fault_kind(text: &str) -> Result<FaultKind, String> {
    FaultKind::named(text).ok_or_else(|| {
        let names: Vec<&str> = FaultKind::ALL.iter().map(|kind| kind.name()).collect();
        format!("unknown fault {text:?} (one of {})", names.join(", "))
    })
}

/// `90`, `90s`, `10m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?}"))?;
    let seconds = match unit {
        "" | "s" => number,
        "m" => number * 60,
        "h" => number * 3600,
        _ => return Err(format!("unknown unit in {text:?} (use s, m or h)")),
    };
    if seconds == 0 {
        return Err("the duration must be positive".into());
    }
    Ok(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_seconds_minutes_and_hours_and_refuse_the_rest() {
        assert_eq!(parse_duration("120"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("20s"), Ok(Duration::from_secs(20)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
