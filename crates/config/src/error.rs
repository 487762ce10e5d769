//! Errors and warnings of configuration loading, and where a value came from.

use std::fmt;
use std::path::PathBuf;

use dkron_model::DurationError;

/// Where a configuration value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueOrigin {
    /// The built-in default.
    Default,
    /// The machine's hostname (the default `node-name`).
    Hostname,
    /// A config file.
    File {
        /// Path of the file.
        path: PathBuf,
    },
    /// An environment variable.
    Env {
        /// Name of the variable, such as `DKRON_RPC_PORT`.
        var: String,
    },
    /// A command-line flag.
    Flag {
        /// The flag as written, such as `--rpc-port`.
        flag: String,
    },
}

impl fmt::Display for ValueOrigin {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueOrigin::Default => formatter.write_str("built-in default"),
            ValueOrigin::Hostname => formatter.write_str("the machine's hostname"),
            ValueOrigin::File { path } => write!(formatter, "config file {}", path.display()),
            ValueOrigin::Env { var } => write!(formatter, "environment variable {var}"),
            ValueOrigin::Flag { flag } => write!(formatter, "flag {flag}"),
        }
    }
}

/// A configuration value that is well-formed for its source but breaks a rule.
///
/// Messages that Dkron also prints (`raft-multiplier cannot be N...`, `invalid tag: '<x>'`,
/// `invalid encryption key`) keep Dkron's wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// `raft-multiplier` is outside 1..=10.
    #[error("raft-multiplier cannot be {value}. Must be between 1 and 10")]
    RaftMultiplierOutOfRange {
        /// The rejected multiplier.
        value: i64,
    },
    /// A tag is not `key=value` with a non-empty key.
    #[error("invalid tag: '{tag}'")]
    InvalidTag {
        /// The rejected tag as written.
        tag: String,
    },
    /// `encrypt` is not base64 of a 16, 24 or 32 byte key.
    #[error("invalid encryption key: {problem}")]
    InvalidEncryptionKey {
        /// What is wrong with the key.
        problem: String,
    },
    /// `log-level` is not one of the known levels.
    #[error(
        "unknown log-level '{value}': expected one of trace, debug, info, warn, error, fatal, panic"
    )]
    UnknownLogLevel {
        /// The rejected level.
        value: String,
    },
    /// `log-format` is neither `text` nor `json`.
    #[error("unknown log-format '{value}': expected text or json")]
    UnknownLogFormat {
        /// The rejected format.
        value: String,
    },
    /// `profile` is not `lan`, `wan` or `local`.
    #[error("unknown profile '{value}': expected lan, wan or local")]
    UnknownProfile {
        /// The rejected profile.
        value: String,
    },
    /// `misfire-policy` is not `run_once`, `skip` or `run_all`.
    #[error("unknown misfire-policy '{value}': expected run_once, skip or run_all")]
    UnknownMisfirePolicy {
        /// The rejected policy.
        value: String,
    },
    /// `notify-on` is not `always`, `failure` or `change`.
    #[error("unknown notify-on '{value}': expected always, failure or change")]
    UnknownNotifyOn {
        /// The rejected value.
        value: String,
    },
    /// `mail-tls` is not `auto`, `starttls`, `tls` or `none`.
    #[error("unknown mail-tls '{value}': expected auto, starttls, tls or none")]
    UnknownMailTls {
        /// The rejected value.
        value: String,
    },
    /// A duration setting is not a Go duration such as `30s` or `1h30m`.
    #[error("{key}: {error}")]
    InvalidDuration {
        /// The setting.
        key: &'static str,
        /// Why the text was rejected.
        error: DurationError,
    },
    /// An address setting is not `host:port`.
    #[error("invalid {key} '{value}': {problem}")]
    InvalidAddress {
        /// The setting.
        key: &'static str,
        /// The rejected address.
        value: String,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// A header list entry is not `Name: value`.
    #[error("invalid {key} entry '{header}': expected 'Name: value'")]
    InvalidHeader {
        /// The setting.
        key: &'static str,
        /// The rejected entry.
        header: String,
    },
    /// A setting that must have a value is empty.
    #[error("{key} must not be empty")]
    Empty {
        /// The setting.
        key: &'static str,
    },
    /// A count, size or port is zero where at least 1 is needed.
    #[error("{key} must be at least 1")]
    Zero {
        /// The setting.
        key: &'static str,
    },
    /// A size is larger than this build accepts.
    #[error("{key} cannot be {value}: the most accepted is {max}")]
    TooLarge {
        /// The setting.
        key: &'static str,
        /// The rejected value.
        value: u64,
        /// The largest accepted value.
        max: u64,
    },
    /// A setting needs another one that is not set.
    #[error("{key} needs {needs} to be set too: {why}")]
    Needs {
        /// The setting that is set.
        key: &'static str,
        /// The setting it needs.
        needs: &'static str,
        /// Why.
        why: &'static str,
    },
    /// A Dkron (Pro) setting dkron-rs refuses, with what to use instead.
    #[error("{key} is not supported by dkron-rs: {instead}")]
    Unsupported {
        /// The setting.
        key: &'static str,
        /// What to do instead.
        instead: &'static str,
    },
}

impl ValidationError {
    /// Returns the configuration key the error is about.
    pub fn key(&self) -> &'static str {
        match self {
            ValidationError::RaftMultiplierOutOfRange { .. } => "raft-multiplier",
            ValidationError::InvalidTag { .. } => "tag",
            ValidationError::InvalidEncryptionKey { .. } => "encrypt",
            ValidationError::UnknownLogLevel { .. } => "log-level",
            ValidationError::UnknownLogFormat { .. } => "log-format",
            ValidationError::UnknownProfile { .. } => "profile",
            ValidationError::UnknownMisfirePolicy { .. } => "misfire-policy",
            ValidationError::UnknownNotifyOn { .. } => "notify-on",
            ValidationError::UnknownMailTls { .. } => "mail-tls",
            ValidationError::InvalidDuration { key, .. }
            | ValidationError::InvalidAddress { key, .. }
            | ValidationError::InvalidHeader { key, .. }
            | ValidationError::Empty { key }
            | ValidationError::Zero { key }
            | ValidationError::TooLarge { key, .. }
            | ValidationError::Needs { key, .. }
            | ValidationError::Unsupported { key, .. } => key,
        }
    }
}

/// Why the configuration could not be loaded. Every message names the key and its source.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A config file exists (or was named by `--config`) but cannot be read.
    #[error("cannot read config file {}: {source}", path.display())]
    ReadFile {
        /// Path of the file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A config file is not valid YAML, TOML or JSON, or is not a map of keys.
    #[error("cannot parse config file {}: {message}", path.display())]
    ParseFile {
        /// Path of the file.
        path: PathBuf,
        /// The parser's message, with line and column where known.
        message: String,
    },
    /// A value has the wrong shape for its key, such as text where a number is needed.
    #[error(
        "invalid value for {key} ({}): {message}",
        describe_origin(key, origin)
    )]
    WrongType {
        /// The key, with `.` between levels for nested values (`tags.rack`).
        key: String,
        /// Where the value came from.
        origin: ValueOrigin,
        /// What was expected and found.
        message: String,
    },
    /// A value is well-formed but breaks a rule.
    #[error("{error} ({})", describe_origin(error.key(), origin))]
    Invalid {
        /// The broken rule, naming the key.
        error: ValidationError,
        /// Where the offending value came from.
        origin: ValueOrigin,
    },
}

/// Says where a key's value came from, without repeating the key when the source names it.
fn describe_origin(key: &str, origin: &ValueOrigin) -> String {
    match origin {
        ValueOrigin::Flag { .. } | ValueOrigin::Env { .. } => format!("set by {origin}"),
        ValueOrigin::File { .. } => format!("set by `{key}` in {origin}"),
        ValueOrigin::Default => format!("built-in default of `{key}`"),
        ValueOrigin::Hostname => format!("`{key}` from {origin}"),
    }
}

/// Something in the configuration that is ignored but probably a mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigWarning {
    /// The config file has a key that no setting uses (Dkron ignores these silently).
    UnknownKey {
        /// The unknown key.
        key: String,
        /// The file it is in.
        file: PathBuf,
        /// A known key it probably means, such as `node-name` for `node_name`.
        suggestion: Option<&'static str>,
    },
    /// `webhook-url` is set; like Dkron, dkron-rs ignores it.
    DeprecatedWebhookUrl {
        /// Where it was set.
        origin: ValueOrigin,
    },
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigWarning::UnknownKey {
                key,
                file,
                suggestion,
            } => {
                write!(
                    formatter,
                    "unknown key `{key}` in config file {} is ignored",
                    file.display()
                )?;
                if let Some(suggestion) = suggestion {
                    write!(formatter, " (did you mean `{suggestion}`?)")?;
                }
                Ok(())
            }
            ConfigWarning::DeprecatedWebhookUrl { origin } => write!(
                formatter,
                "webhook-url ({origin}) is deprecated and has no effect; use webhook-endpoint"
            ),
        }
    }
}
