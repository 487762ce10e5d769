//! Go's `time.ParseDuration` syntax, which Dkron uses for `@every` and shell `timeout`.

use std::time::Duration;

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration \"{input}\": {problem}")]
pub struct DurationError {
    /// The rejected text.
    pub input: String,
    /// What is wrong with it.
    pub problem: &'static str,
}

const UNITS: [(&str, f64); 8] = [
    ("ns", 1.0),
    ("us", 1e3),
    ("µs", 1e3),
    ("μs", 1e3),
    ("ms", 1e6),
    ("s", 1e9),
    ("m", 60e9),
    ("h", 3600e9),
];

/// Parses a Go duration such as `1h30m`, `1.5h`, `300ms` or `0`.
///
/// Negative durations are rejected: nothing in a schedule or a timeout can be negative.
pub fn parse_go_duration(input: &str) -> Result<Duration, DurationError> {
    let fail = |problem| DurationError {
        input: input.to_string(),
        problem,
    };
    let mut rest = input.strip_prefix('+').unwrap_or(input);
    if rest.starts_with('-') {
        return Err(fail("negative durations are not allowed"));
    }
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(fail("empty duration"));
    }
    let mut total_nanos = 0f64;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number_text = &rest[..number_len];
        if number_text.is_empty() || number_text == "." || number_text.matches('.').count() > 1 {
            return Err(fail("expected a number"));
        }
        let number: f64 = number_text.parse().map_err(|_| fail("expected a number"))?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_text = &rest[..unit_len];
        if unit_text.is_empty() {
            return Err(fail("missing unit (one of ns, us, ms, s, m, h)"));
        }
        let scale = UNITS
            .iter()
            .find(|(name, _)| *name == unit_text)
            .map(|(_, scale)| *scale)
            .ok_or_else(|| fail("unknown unit (use ns, us, ms, s, m or h)"))?;
        total_nanos += number * scale;
        rest = &rest[unit_len..];
    }
    if total_nanos > u64::MAX as f64 {
        return Err(fail("duration out of range"));
    }
    Ok(Duration::from_nanos(total_nanos.round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_go_forms() {
        assert_eq!(parse_go_duration("10s").unwrap(), Duration::from_secs(10));
        assert_eq!(
            parse_go_duration("1h30m10s").unwrap(),
            Duration::from_secs(5410)
        );
        assert_eq!(
            parse_go_duration("1.5h").unwrap(),
            Duration::from_secs(5400)
        );
        assert_eq!(
            parse_go_duration("300ms").unwrap(),
            Duration::from_millis(300)
        );
        assert_eq!(parse_go_duration("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_go_duration("2us").unwrap(), Duration::from_micros(2));
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in ["", "10", "s", "1x", "-1s", "1..5s", "abc", "1 s"] {
            assert!(parse_go_duration(bad).is_err(), "{bad} should be rejected");
        }
    }
}
