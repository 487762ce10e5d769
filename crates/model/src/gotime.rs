//! Time values as Dkron puts them on the wire.
//!
//! Dkron serialises `time.Time` the Go way: RFC 3339 in UTC with the fractional seconds trimmed
//! of trailing zeros, and the zero time `0001-01-01T00:00:00Z` standing for "none" in fields that
//! are not nullable. Nullable fields additionally accept the HTML `datetime-local` form
//! `2006-01-02T15:04`, read as UTC.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serializer};

/// Returns Go's zero time, `0001-01-01T00:00:00Z`, which Dkron uses for "no time".
pub fn zero_time() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 1)
        .and_then(|date| date.and_hms_opt(0, 0, 0))
        .expect("0001-01-01 00:00:00 is a valid date")
        .and_utc()
}

/// Returns true when `time` is Go's zero time.
pub fn is_zero(time: &DateTime<Utc>) -> bool {
    *time == zero_time()
}

/// Formats a time exactly as Go's `time.Time.MarshalJSON` does for a UTC time.
pub fn format(time: &DateTime<Utc>) -> String {
    // AutoSi pads to 3, 6 or 9 digits; Go trims every trailing zero, so trim ourselves.
    let text = time.to_rfc3339_opts(SecondsFormat::Nanos, true);
    let Some((whole, fraction)) = text.trim_end_matches('Z').split_once('.') else {
        return text;
    };
    let fraction = fraction.trim_end_matches('0');
    if fraction.is_empty() {
        format!("{whole}Z")
    } else {
        format!("{whole}.{fraction}Z")
    }
}

/// A text that is not a time in either accepted form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cannot parse \"{text}\" as a time: expected RFC 3339 (2006-01-02T15:04:05Z07:00) or 2006-01-02T15:04"
)]
pub struct TimeParseError {
    /// The rejected text.
    pub text: String,
}

/// Parses RFC 3339 (any offset, optional fraction) or `YYYY-MM-DDTHH:MM` as UTC.
pub fn parse(text: &str) -> Result<DateTime<Utc>, TimeParseError> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M") {
        return Ok(naive.and_utc());
    }
    Err(TimeParseError {
        text: text.to_string(),
    })
}

/// Serde helpers for a non-nullable time (`next`): zero time when unset.
pub mod required {
    use super::*;

    /// Serialises a time in Go's JSON form.
    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&format(time))
    }

    /// Deserialises a time; `null` reads as the zero time, as Go does.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        match text {
            None => Ok(zero_time()),
            Some(text) => parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

/// Serde helpers for a nullable time (`last_success`, `starts_at`, …).
pub mod nullable {
    use super::*;

    /// Serialises `None` as `null` and a time in Go's JSON form.
    pub fn serialize<S: Serializer>(
        time: &Option<DateTime<Utc>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match time {
            Some(time) => serializer.serialize_str(&format(time)),
            None => serializer.serialize_none(),
        }
    }

    /// Deserialises `null`, RFC 3339 or `YYYY-MM-DDTHH:MM`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<DateTime<Utc>>, D::Error> {
        let text: Option<String> = Option::deserialize(deserializer)?;
        text.map(|text| parse(&text).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_go() {
        assert_eq!(format(&zero_time()), "0001-01-01T00:00:00Z");
        let time = parse("2025-12-20T10:15:30.512338910Z").unwrap();
        assert_eq!(format(&time), "2025-12-20T10:15:30.51233891Z");
        let whole = parse("2025-12-20T11:15:30+01:00").unwrap();
        assert_eq!(format(&whole), "2025-12-20T10:15:30Z");
    }

    #[test]
    fn parses_datetime_local_as_utc() {
        let time = parse("2030-01-02T03:04").unwrap();
        assert_eq!(format(&time), "2030-01-02T03:04:00Z");
        assert!(parse("yesterday").is_err());
    }
}
