//! A plugin's standard error, as structured log lines of the node. go-plugin plugins log with
//! hclog in JSON (`{"@level":"debug","@message":"…","@module":"…", more fields}`); such a line
//! keeps its level and fields. Any other line (a Go panic, a `fmt.Fprintln(os.Stderr, …)`) is
//! logged as it is, at `info`.

use serde_json::{Map, Value};

/// One stderr line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LogLine {
    pub(crate) level: tracing::Level,
    pub(crate) message: String,
    /// The other fields, as JSON text (empty when there are none).
    pub(crate) fields: String,
}

/// Reads an hclog JSON line, or takes the line as it is.
pub(crate) fn read_log_line(line: &str) -> LogLine {
    let parsed: Option<Map<String, Value>> = line
        .trim_start()
        .starts_with('{')
        .then(|| serde_json::from_str(line).ok())
        .flatten();
    let Some(mut object) = parsed else {
        return LogLine {
            level: tracing::Level::INFO,
            message: line.to_string(),
            fields: String::new(),
        };
    };
    let level = match object.remove("@level").as_ref().and_then(Value::as_str) {
        Some("trace") => tracing::Level::TRACE,
        Some("debug") => tracing::Level::DEBUG,
        Some("warn") => tracing::Level::WARN,
        Some("error") => tracing::Level::ERROR,
        _ => tracing::Level::INFO,
    };
    let message = match object.remove("@message") {
        Some(Value::String(text)) => text,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    object.remove("@timestamp");
    let fields = if object.is_empty() {
        String::new()
    } else {
        Value::Object(object).to_string()
    };
    LogLine {
        level,
        message,
        fields,
    }
}

/// Logs one line of plugin `plugin`'s standard error.
pub(crate) fn log_line(plugin: &str, line: &LogLine) {
    let LogLine {
        level,
        message,
        fields,
    } = line;
    macro_rules! emit {
        ($level:expr) => {
            tracing::event!(target: "dkron_plugin::stderr", $level, plugin, fields = %fields, "{message}")
        };
    }
    match *level {
        tracing::Level::TRACE => emit!(tracing::Level::TRACE),
        tracing::Level::DEBUG => emit!(tracing::Level::DEBUG),
        tracing::Level::WARN => emit!(tracing::Level::WARN),
        tracing::Level::ERROR => emit!(tracing::Level::ERROR),
        _ => emit!(tracing::Level::INFO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hclog_json_keeps_its_level_and_fields() {
        let line = read_log_line(
            r#"{"@level":"debug","@message":"plugin address","@timestamp":"2026-12-07T03:34:53.101910Z","address":"/tmp/plugin1","network":"unix"}"#,
        );
        assert_eq!(line.level, tracing::Level::DEBUG);
        assert_eq!(line.message, "plugin address");
        assert_eq!(
            line.fields,
            r#"{"address":"/tmp/plugin1","network":"unix"}"#
        );
    }

    #[test]
    fn other_lines_are_kept_whole_at_info() {
        for text in ["panic: runtime error", "{not json", ""] {
            let line = read_log_line(text);
            assert_eq!(line.level, tracing::Level::INFO);
            assert_eq!(line.message, text);
            assert_eq!(line.fields, "");
        }
        assert_eq!(
            read_log_line(r#"{"@level":"error","@message":42}"#),
            LogLine {
                level: tracing::Level::ERROR,
                message: "42".into(),
                fields: String::new()
            }
        );
    }
}
