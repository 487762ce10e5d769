//! The grammar of one cron field, as Dkron's parser (robfig/cron v3) reads it.
//!
//! A field is a comma-separated list of ranges; each range is `*`, `?`, `N`, `A-B`, `*/S`,
//! `N/S` (meaning `N-max/S`) or `A-B/S`, with month and weekday names allowed wherever a
//! number is. The result is the set of values the field matches plus the "star" flag that
//! decides how day-of-month and day-of-week combine. Matching and the calendar search are
//! left to croner; this module only decides which values a field means, so that our
//! language and our error messages are exactly Dkron's.

use super::error::ScheduleError;

/// The values one field matches, and whether it was written as a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FieldValues {
    /// Bit `n` set when value `n` matches.
    pub(crate) bits: u64,
    /// Set when a range was `*` or `?` without a step above 1 (robfig's star bit).
    pub(crate) star: bool,
}

impl FieldValues {
    /// Returns the matched values in increasing order.
    pub(crate) fn values(self) -> impl Iterator<Item = u32> {
        (0..64u32).filter(move |value| self.bits & (1u64 << value) != 0)
    }

    /// Returns the field that matches every value of `bounds`, written as `*`.
    pub(crate) fn every(bounds: &Bounds) -> FieldValues {
        FieldValues {
            bits: bits_between(bounds.min, bounds.max, 1),
            star: true,
        }
    }

    /// Returns the field that matches exactly `value`.
    pub(crate) fn single(value: u64) -> FieldValues {
        FieldValues {
            bits: 1u64 << value,
            star: false,
        }
    }
}

/// The limits and names of one field.
#[derive(Debug)]
pub(crate) struct Bounds {
    pub(crate) min: u64,
    pub(crate) max: u64,
    names: &'static [(&'static str, u64)],
}

/// Seconds: 0-59.
pub(crate) const SECONDS: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
/// Minutes: 0-59.
pub(crate) const MINUTES: Bounds = Bounds {
    min: 0,
    max: 59,
    names: &[],
};
/// Hours: 0-23.
pub(crate) const HOURS: Bounds = Bounds {
    min: 0,
    max: 23,
    names: &[],
};
/// Day of month: 1-31.
pub(crate) const DAYS_OF_MONTH: Bounds = Bounds {
    min: 1,
    max: 31,
    names: &[],
};
/// Month: 1-12 or `jan`..`dec`.
pub(crate) const MONTHS: Bounds = Bounds {
    min: 1,
    max: 12,
    names: &[
        ("jan", 1),
        ("feb", 2),
        ("mar", 3),
        ("apr", 4),
        ("may", 5),
        ("jun", 6),
        ("jul", 7),
        ("aug", 8),
        ("sep", 9),
        ("oct", 10),
        ("nov", 11),
        ("dec", 12),
    ],
};
/// Day of week: 0-6 (Sunday is 0; 7 is rejected) or `sun`..`sat`.
pub(crate) const DAYS_OF_WEEK: Bounds = Bounds {
    min: 0,
    max: 6,
    names: &[
        ("sun", 0),
        ("mon", 1),
        ("tue", 2),
        ("wed", 3),
        ("thu", 4),
        ("fri", 5),
        ("sat", 6),
    ],
};

/// Parses one field. Empty list items are skipped, so `,` alone matches nothing.
pub(crate) fn parse_field(field: &str, bounds: &Bounds) -> Result<FieldValues, ScheduleError> {
    let mut values = FieldValues {
        bits: 0,
        star: false,
    };
    for range_text in field.split(',').filter(|item| !item.is_empty()) {
        let range = parse_range(range_text, bounds)?;
        values.bits |= range.bits;
        values.star |= range.star;
    }
    Ok(values)
}

/// Parses one range of a list, checking in the order Dkron checks.
fn parse_range(expr: &str, bounds: &Bounds) -> Result<FieldValues, ScheduleError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single_value = low_and_high.len() == 1;

    let (start, mut end, mut star) = if low_and_high[0] == "*" || low_and_high[0] == "?" {
        // Anything after a `*-` is ignored, as Dkron does.
        (bounds.min, bounds.max, true)
    } else {
        let start = parse_value_or_name(low_and_high[0], bounds)?;
        let end = match low_and_high.len() {
            1 => start,
            2 => parse_value_or_name(low_and_high[1], bounds)?,
            _ => return Err(ScheduleError::TooManyHyphens(expr.to_string())),
        };
        (start, end, false)
    };

    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = parse_unsigned(range_and_step[1])?;
            if single_value {
                end = bounds.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(ScheduleError::TooManySlashes(expr.to_string())),
    };

    let expr = expr.to_string();
    if start < bounds.min {
        return Err(ScheduleError::BelowMinimum {
            start,
            min: bounds.min,
            expr,
        });
    }
    if end > bounds.max {
        return Err(ScheduleError::AboveMaximum {
            end,
            max: bounds.max,
            expr,
        });
    }
    if start > end {
        return Err(ScheduleError::StartBeyondEnd { start, end, expr });
    }
    if step == 0 {
        return Err(ScheduleError::ZeroStep(expr));
    }
    Ok(FieldValues {
        bits: bits_between(start, end, step),
        star,
    })
}

/// Returns a name's value (case-insensitive) or parses a number.
fn parse_value_or_name(text: &str, bounds: &Bounds) -> Result<u64, ScheduleError> {
    let lowercase = text.to_lowercase();
    if let Some((_, value)) = bounds.names.iter().find(|(name, _)| *name == lowercase) {
        return Ok(*value);
    }
    parse_unsigned(text)
}

/// Parses a number the way Go's `strconv.Atoi` does, then refuses negatives.
fn parse_unsigned(text: &str) -> Result<u64, ScheduleError> {
    let value = go_atoi(text).map_err(|reason| ScheduleError::NotANumber {
        text: text.to_string(),
        reason,
    })?;
    u64::try_from(value).map_err(|_| ScheduleError::Negative {
        value,
        text: text.to_string(),
    })
}

/// Go's `strconv.Atoi` on a 64-bit platform: optional sign, ASCII digits, no spaces.
fn go_atoi(text: &str) -> Result<i64, &'static str> {
    let digits = text
        .strip_prefix('+')
        .or_else(|| text.strip_prefix('-'))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("invalid syntax");
    }
    // Rust's integer parser takes the same sign and digits; only overflow remains.
    text.parse::<i64>().map_err(|_| "value out of range")
}

/// Sets the bits `start`, `start + step`, … up to `end` (all below 64).
fn bits_between(start: u64, end: u64, step: u64) -> u64 {
    debug_assert!(end < 64 && step > 0, "bounds are checked before");
    let mut bits = 0u64;
    let mut value = start;
    while value <= end {
        bits |= 1u64 << value;
        value = value.saturating_add(step);
    }
    bits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(field: &str, bounds: &Bounds) -> Vec<u32> {
        parse_field(field, bounds).unwrap().values().collect()
    }

    fn error(field: &str, bounds: &Bounds) -> String {
        parse_field(field, bounds).unwrap_err().to_string()
    }

    #[test]
    fn reads_lists_ranges_and_steps() {
        assert_eq!(values("5", &SECONDS), vec![5]);
        assert_eq!(values("1,3,5", &SECONDS), vec![1, 3, 5]);
        assert_eq!(values("10-12", &MINUTES), vec![10, 11, 12]);
        assert_eq!(values("*/20", &SECONDS), vec![0, 20, 40]);
        assert_eq!(values("5/10", &SECONDS), vec![5, 15, 25, 35, 45, 55]);
        assert_eq!(values("1-10/4", &MINUTES), vec![1, 5, 9]);
        assert_eq!(values("?", &HOURS).len(), 24);
        assert_eq!(values("1,,2,", &HOURS), vec![1, 2]);
        assert_eq!(values(",", &HOURS), Vec::<u32>::new());
        assert_eq!(values("+3", &HOURS), vec![3]);
    }

    #[test]
    fn reads_names_in_any_case() {
        assert_eq!(values("JAN,mar,Dec", &MONTHS), vec![1, 3, 12]);
        assert_eq!(values("mon-FRI", &DAYS_OF_WEEK), vec![1, 2, 3, 4, 5]);
        assert_eq!(values("sun/2", &DAYS_OF_WEEK), vec![0, 2, 4, 6]);
        assert!(parse_field("mon", &HOURS).is_err());
    }

    #[test]
    fn keeps_the_star_only_without_a_step_above_one() {
        assert!(parse_field("*", &DAYS_OF_MONTH).unwrap().star);
        assert!(parse_field("?", &DAYS_OF_MONTH).unwrap().star);
        assert!(parse_field("*/1", &DAYS_OF_MONTH).unwrap().star);
        assert!(parse_field("1,*", &DAYS_OF_MONTH).unwrap().star);
        assert!(!parse_field("*/2", &DAYS_OF_MONTH).unwrap().star);
        assert!(!parse_field("1-31", &DAYS_OF_MONTH).unwrap().star);
        // Dkron ignores what follows `*-`.
        assert_eq!(
            parse_field("*-5", &HOURS).unwrap(),
            FieldValues::every(&HOURS)
        );
    }

    #[test]
    fn rejects_with_dkron_messages() {
        assert_eq!(
            error("60", &SECONDS),
            "end of range (60) above maximum (59): 60"
        );
        assert_eq!(
            error("7", &DAYS_OF_WEEK),
            "end of range (7) above maximum (6): 7"
        );
        assert_eq!(
            error("0", &DAYS_OF_MONTH),
            "beginning of range (0) below minimum (1): 0"
        );
        assert_eq!(
            error("5-2", &HOURS),
            "beginning of range (5) beyond end of range (2): 5-2"
        );
        assert_eq!(error("1-2-3", &HOURS), "too many hyphens: 1-2-3");
        assert_eq!(error("1/2/3", &HOURS), "too many slashes: 1/2/3");
        assert_eq!(
            error("*/0", &HOURS),
            "step of range should be a positive number: */0"
        );
        assert_eq!(
            error("x", &HOURS),
            "failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax"
        );
        assert_eq!(
            error("*/-5", &HOURS),
            "negative number (-5) not allowed: -5"
        );
        assert_eq!(
            error("99999999999999999999", &HOURS),
            "failed to parse int from 99999999999999999999: strconv.Atoi: parsing \
             \"99999999999999999999\": value out of range"
        );
        for unsupported in ["L", "15W", "5#3", "H", "1L"] {
            assert!(
                parse_field(unsupported, &DAYS_OF_MONTH).is_err(),
                "{unsupported}"
            );
        }
    }
}
