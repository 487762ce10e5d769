//! Structured logging on stderr: text or JSON lines, filtered by `--log-level` and refined by
//! `RUST_LOG`.

use std::io::IsTerminal;

use anyhow::anyhow;
use dkron_agent::config::{LogFormat, LogLevel};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::LevelFilter;

/// Returns the filter directives: the configured level plus any `RUST_LOG` directives.
///
/// `RUST_LOG` refines: `openraft=warn` quiets one crate, `dkron_agent=trace` opens one up. A
/// bare level in it (`RUST_LOG=warn`) replaces the configured level.
pub fn filter_directives(level: LogLevel, rust_log: Option<&str>) -> String {
    let base = tracing_level_name(level);
    let Some(directives) = rust_log.map(str::trim).filter(|text| !text.is_empty()) else {
        return base.to_string();
    };
    let sets_global_level = directives
        .split(',')
        .any(|directive| directive.trim().parse::<LevelFilter>().is_ok());
    if sets_global_level {
        directives.to_string()
    } else {
        format!("{base},{directives}")
    }
}

/// Returns the tracing level for a Dkron log level; `fatal` and `panic` log errors only.
fn tracing_level_name(level: LogLevel) -> &'static str {
    match level {
        LogLevel::Trace => "trace",
        LogLevel::Debug => "debug",
        LogLevel::Info => "info",
        LogLevel::Warn => "warn",
        LogLevel::Error | LogLevel::Fatal | LogLevel::Panic => "error",
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

    #[test]
    fn rust_log_refines_the_level() {
        let refined = filter_directives(LogLevel::Info, Some("openraft=warn"));
        assert_eq!(refined, "info,openraft=warn");
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
}
