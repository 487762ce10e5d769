//! Texts Dkron users know: Go's exit status wording and Go's duration format.

use std::process::ExitStatus;
use std::time::Duration;

use std::os::unix::process::ExitStatusExt;

/// Describes a failed exit the way Go's `exec.ExitError` does (`exit status 2`,
/// `signal: killed`).
pub(super) fn exit_status_text(status: ExitStatus) -> String {
    if let Some(code) = status.code() {
        return format!("exit status {code}");
    }
    match status.signal() {
        Some(signal) => {
            let core = if status.core_dumped() {
                " (core dumped)"
            } else {
                ""
            };
            format!("signal: {}{core}", signal_name(signal))
        }
        None => status.to_string(),
    }
}

/// Go's (and libc's) short description of common signals.
fn signal_name(signal: i32) -> String {
    use nix::sys::signal::Signal;
    let known = Signal::try_from(signal).ok().map(|signal| match signal {
        Signal::SIGHUP => "hangup",
        Signal::SIGINT => "interrupt",
        Signal::SIGQUIT => "quit",
        Signal::SIGILL => "illegal instruction",
        Signal::SIGTRAP => "trace/breakpoint trap",
        Signal::SIGABRT => "aborted",
        Signal::SIGBUS => "bus error",
        Signal::SIGFPE => "floating point exception",
        Signal::SIGKILL => "killed",
        Signal::SIGUSR1 => "user defined signal 1",
        Signal::SIGSEGV => "segmentation fault",
        Signal::SIGUSR2 => "user defined signal 2",
        Signal::SIGPIPE => "broken pipe",
        Signal::SIGALRM => "alarm clock",
        Signal::SIGTERM => "terminated",
        other => other.as_str(),
    });
    known.map_or_else(|| format!("signal {signal}"), str::to_string)
}

/// Formats a duration like Go's `time.Duration.String` (`1h0m0s`, `1m30s`, `1.5s`, `300ms`).
pub(super) fn format_go_duration(duration: Duration) -> String {
    let nanos = duration.as_nanos();
    const MICRO: u128 = 1_000;
    const MILLI: u128 = 1_000_000;
    const SECOND: u128 = 1_000_000_000;
    if nanos == 0 {
        return "0s".to_string();
    }
    if nanos < MICRO {
        return format!("{nanos}ns");
    }
    if nanos < MILLI {
        return format!("{}µs", decimal(nanos, MICRO));
    }
    if nanos < SECOND {
        return format!("{}ms", decimal(nanos, MILLI));
    }
    let hours = nanos / (3600 * SECOND);
    let minutes = nanos / (60 * SECOND) % 60;
    let second_nanos = nanos % (60 * SECOND);
    let mut text = String::new();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    text.push_str(&format!("{}s", decimal(second_nanos, SECOND)));
    text
}

/// Writes `value / unit` with the fraction's trailing zeros removed.
fn decimal(value: u128, unit: u128) -> String {
    let whole = value / unit;
    let fraction = value % unit;
    if fraction == 0 {
        return whole.to_string();
    }
    let digits = unit.ilog10() as usize;
    let fraction_text = format!("{fraction:0digits$}");
    format!("{whole}.{}", fraction_text.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_duration_strings() {
        let cases = [
            (Duration::from_secs(0), "0s"),
            (Duration::from_nanos(5), "5ns"),
            (Duration::from_nanos(1_500), "1.5µs"),
            (Duration::from_millis(300), "300ms"),
            (Duration::from_millis(1_500), "1.5s"),
            (Duration::from_secs(1), "1s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(3600), "1h0m0s"),
            (Duration::from_secs(3600 + 2), "1h0m2s"),
            (Duration::from_millis(61_050), "1m1.05s"),
        ];
        for (duration, expected) in cases {
            assert_eq!(format_go_duration(duration), expected);
        }
    }

    #[test]
    fn exit_texts() {
        assert_eq!(
            exit_status_text(ExitStatus::from_raw(2 << 8)),
            "exit status 2"
        );
        assert_eq!(exit_status_text(ExitStatus::from_raw(9)), "signal: killed");
        assert_eq!(
            exit_status_text(ExitStatus::from_raw(15)),
            "signal: terminated"
        );
    }
}
