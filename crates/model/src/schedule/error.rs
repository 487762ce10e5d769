//! Why a schedule spec or a time zone name was rejected.
//!
//! The messages follow the wording of Dkron (robfig/cron plus Dkron's extensions) so that a
//! client sees the same text from either server; the few cases Dkron does not cover get a
//! message of our own that names the offending text.

use crate::DurationError;

/// A schedule spec or time zone that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// The spec is the empty string.
    #[error("empty spec string")]
    Empty,
    /// A cron spec without exactly six whitespace-separated fields.
    #[error("expected exactly 6 fields, found {found}: [{}]", fields.join(" "))]
    FieldCount {
        /// How many fields were found.
        found: usize,
        /// The fields as written.
        fields: Vec<String>,
    },
    /// An `@word` that is not a known descriptor.
    #[error("unrecognized descriptor: {0}")]
    UnknownDescriptor(String),
    /// `@every` followed by something that is not a Go duration.
    #[error("failed to parse duration {spec}: {source}")]
    Duration {
        /// The whole descriptor, e.g. `@every x`.
        spec: String,
        /// What the duration parser said.
        source: DurationError,
    },
    /// `@at` followed by something that is not an RFC 3339 time.
    #[error("failed to parse date {spec}: {detail}")]
    Date {
        /// The whole descriptor, e.g. `@at badtime`.
        spec: String,
        /// What is wrong with the date.
        detail: String,
    },
    /// A `TZ=` or `CRON_TZ=` prefix naming an unknown zone.
    #[error("provided bad location {name}: unknown time zone {name}")]
    BadLocation {
        /// The zone name as written.
        name: String,
    },
    /// A `TZ=` or `CRON_TZ=` prefix with nothing after it.
    #[error("time zone prefix {prefix} must be followed by a space and a schedule")]
    ZonePrefixAlone {
        /// The prefix as written.
        prefix: String,
    },
    /// A job `timezone` that is not an IANA zone name, `""` or `Local`.
    #[error("unknown time zone {0}")]
    UnknownTimeZone(String),
    /// A range with more than one `-`.
    #[error("too many hyphens: {0}")]
    TooManyHyphens(String),
    /// A range with more than one `/`.
    #[error("too many slashes: {0}")]
    TooManySlashes(String),
    /// A range starting below the field's minimum.
    #[error("beginning of range ({start}) below minimum ({min}): {expr}")]
    BelowMinimum {
        /// First value of the range.
        start: u64,
        /// Smallest value the field allows.
        min: u64,
        /// The range as written.
        expr: String,
    },
    /// A range ending above the field's maximum.
    #[error("end of range ({end}) above maximum ({max}): {expr}")]
    AboveMaximum {
        /// Last value of the range.
        end: u64,
        /// Largest value the field allows.
        max: u64,
        /// The range as written.
        expr: String,
    },
    /// A range whose start is after its end.
    #[error("beginning of range ({start}) beyond end of range ({end}): {expr}")]
    StartBeyondEnd {
        /// First value of the range.
        start: u64,
        /// Last value of the range.
        end: u64,
        /// The range as written.
        expr: String,
    },
    /// A step of zero.
    #[error("step of range should be a positive number: {0}")]
    ZeroStep(String),
    /// A value that is neither a number nor a known name.
    #[error("failed to parse int from {text}: strconv.Atoi: parsing \"{text}\": {reason}")]
    NotANumber {
        /// The text that should have been a number.
        text: String,
        /// `invalid syntax` or `value out of range`.
        reason: &'static str,
    },
    /// A negative step.
    #[error("negative number ({value}) not allowed: {text}")]
    Negative {
        /// The parsed value.
        value: i64,
        /// The text as written.
        text: String,
    },
    /// The cron library refused a pattern our own grammar accepted (a bug on our side).
    #[error("cron pattern {pattern} was refused by the cron engine: {detail}")]
    Engine {
        /// The normalised pattern handed to the engine.
        pattern: String,
        /// The engine's message.
        detail: String,
    },
}
