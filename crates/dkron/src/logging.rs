//! Structured logging on stderr: text or JSON lines, filtered by `--log-level` and refined by
//! `RUST_LOG`.

use std::io::IsTerminal;

use anyhow::anyhow;
use dkron_config::{LogFormat, LogLevel};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Targets that warn several times a second per peer while a server is unreachable (openraft's
/// heartbeat worker and replication: "failed to send a heartbeat ... Unreachable"). By default
/// they log errors only; see [`filter_directives`].
const NOISY_RAFT_TARGETS: [&str; 2] =
    ["openraft::core::heartbeat::worker", "openraft::replication"];

/// Returns the filter directives: the configured level, openraft's noisiest targets quieted,
/// plus any `RUST_LOG` directives.
///
/// `RUST_LOG` refines: `openraft=warn` quiets one crate, `dkron_agent=trace` opens one up. A
/// bare level in it (`RUST_LOG=warn`) replaces the configured level.
///
/// The [`NOISY_RAFT_TARGETS`] are set to `error` when the level that applies (the most verbose
/// bare level in `RUST_LOG`, else the configured one) is `info` or `warn`, and `RUST_LOG` does
/// not mention `openraft`: at `debug` and `trace` the user asked for everything, at `error` and
/// `off` there is nothing to quiet, and a `RUST_LOG` naming openraft says what it wants
/// (`RUST_LOG=openraft=warn` shows the warnings again).
pub fn filter_directives(level: LogLevel, rust_log: Option<&str>) -> String {
    let rust_log = rust_log.map(str::trim).filter(|text| !text.is_empty());
    let global_level_in_rust_log = rust_log.and_then(|directives| {
        directives
            .split(',')
            .filter_map(|directive| directive.trim().parse::<LevelFilter>().ok())
            .max()
    });
    let effective_level = global_level_in_rust_log.unwrap_or(tracing_level(level));
    let mentions_openraft = rust_log.is_some_and(|directives| directives.contains("openraft"));
    let quiet_raft = !mentions_openraft
        && (effective_level == LevelFilter::INFO || effective_level == LevelFilter::WARN);
    let mut directives = Vec::new();
    if global_level_in_rust_log.is_none() {
        directives.push(effective_level.to_string().to_lowercase());
    }
    if quiet_raft {
        directives.extend(NOISY_RAFT_TARGETS.map(|target| format!("{target}=error")));
    }
    directives.extend(rust_log.map(str::to_string));
    directives.join(",")
}

/// Returns the tracing level for a Dkron log level; `fatal` and `panic` log errors only.
fn tracing_level(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Trace => LevelFilter::TRACE,
        LogLevel::Debug => LevelFilter::DEBUG,
        LogLevel::Info => LevelFilter::INFO,
        LogLevel::Warn => LevelFilter::WARN,
        LogLevel::Error | LogLevel::Fatal | LogLevel::Panic => LevelFilter::ERROR,
    }
}

/// Installs the global subscriber. Fails if one is already installed.
pub fn init(level: LogLevel, format: LogFormat, rust_log: Option<&str>) -> anyhow::Result<()> {
    let filter = EnvFilter::builder().parse_lossy(filter_directives(level, rust_log));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    installed.map_err(|error| anyhow!("cannot install the logger: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_level(level: LogLevel, rust_log: Option<&str>) -> Option<LevelFilter> {
        EnvFilter::builder()
            .parse_lossy(filter_directives(level, rust_log))
            .max_level_hint()
    }

    #[test]
    fn dkron_levels_map_to_tracing_levels() {
        assert_eq!(max_level(LogLevel::Debug, None), Some(LevelFilter::DEBUG));
        assert_eq!(max_level(LogLevel::Info, None), Some(LevelFilter::INFO));
        assert_eq!(max_level(LogLevel::Fatal, None), Some(LevelFilter::ERROR));
        assert_eq!(
            max_level(LogLevel::Panic, Some("  ")),
            Some(LevelFilter::ERROR)
        );
    }

    const QUIET_RAFT: &str = "openraft::core::heartbeat::worker=error,openraft::replication=error";

    #[test]
    fn rust_log_refines_the_level() {
        let refined = filter_directives(LogLevel::Info, Some("dkron_scheduler=debug"));
        assert_eq!(refined, format!("info,{QUIET_RAFT},dkron_scheduler=debug"));
        let opened = max_level(LogLevel::Info, Some("dkron_agent=trace"));
        assert_eq!(opened, Some(LevelFilter::TRACE));
        let replaced = filter_directives(LogLevel::Info, Some("warn,openraft=error"));
        assert_eq!(replaced, "warn,openraft=error");
        assert_eq!(
            max_level(LogLevel::Error, Some("debug")),
            Some(LevelFilter::DEBUG)
        );
        assert_eq!(
            max_level(LogLevel::Debug, Some("warn")),
            Some(LevelFilter::WARN)
        );
    }

    #[test]
    fn raft_heartbeat_warnings_are_quiet_at_info_and_warn() {
        assert_eq!(
            filter_directives(LogLevel::Info, None),
            format!("info,{QUIET_RAFT}")
        );
        assert_eq!(
            filter_directives(LogLevel::Warn, Some(" ")),
            format!("warn,{QUIET_RAFT}")
        );
        assert_eq!(
            filter_directives(LogLevel::Debug, Some("warn")),
            format!("{QUIET_RAFT},warn")
        );
        let strict = EnvFilter::builder().parse(filter_directives(LogLevel::Info, None));
        assert!(strict.is_ok(), "every directive parses: {strict:?}");
    }

    #[test]
    fn raft_heartbeat_warnings_stay_when_asked_for() {
        assert_eq!(filter_directives(LogLevel::Debug, None), "debug");
        assert_eq!(filter_directives(LogLevel::Trace, None), "trace");
        assert_eq!(filter_directives(LogLevel::Info, Some("debug")), "debug");
        assert_eq!(
            filter_directives(LogLevel::Info, Some("openraft=warn")),
            "info,openraft=warn"
        );
        assert_eq!(
            filter_directives(LogLevel::Warn, Some("openraft::replication=info")),
            "warn,openraft::replication=info"
        );
    }

    #[test]
    fn nothing_is_quieted_below_warn() {
        assert_eq!(filter_directives(LogLevel::Error, None), "error");
        assert_eq!(filter_directives(LogLevel::Fatal, None), "error");
        assert_eq!(filter_directives(LogLevel::Info, Some("off")), "off");
    }
}
