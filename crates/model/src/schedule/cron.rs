//! Six-field cron patterns: our grammar decides the values, croner searches the calendar.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use super::dst::{fire_instant, search_start};
use super::error::ScheduleError;
use super::fields::{
    Bounds, DAYS_OF_MONTH, DAYS_OF_WEEK, FieldValues, HOURS, MINUTES, MONTHS, SECONDS, parse_field,
};

/// How many wall-clock matches `next_after` inspects before giving up. With the mapping of
/// `dst.rs` the first one is always the answer; the bound only guards against surprises.
const MAX_CANDIDATES: usize = 1_000;

/// The values of the six fields, in order: second, minute, hour, day of month, month, weekday.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct CronFields {
    pub(crate) fields: [FieldValues; 6],
}

impl CronFields {
    /// Parses six fields written as text.
    pub(crate) fn parse(fields: &[&str]) -> Result<CronFields, ScheduleError> {
        let bounds: [&Bounds; 6] = [
            &SECONDS,
            &MINUTES,
            &HOURS,
            &DAYS_OF_MONTH,
            &MONTHS,
            &DAYS_OF_WEEK,
        ];
        let mut parsed = [FieldValues::every(&SECONDS); 6];
        for (index, (text, bounds)) in fields.iter().zip(bounds).enumerate() {
            parsed[index] = parse_field(text, bounds)?;
        }
        Ok(CronFields { fields: parsed })
    }

    /// Returns the fields of a descriptor such as `@daily`, or `None` for an unknown one.
    pub(crate) fn descriptor(name: &str) -> Option<CronFields> {
        let zero = FieldValues::single(0);
        let first = FieldValues::single(1);
        let every_hour = FieldValues::every(&HOURS);
        let every_day = FieldValues::every(&DAYS_OF_MONTH);
        let every_month = FieldValues::every(&MONTHS);
        let every_weekday = FieldValues::every(&DAYS_OF_WEEK);
        let fields = match name {
            "@yearly" | "@annually" => [zero, zero, zero, first, first, every_weekday],
            "@monthly" => [zero, zero, zero, first, every_month, every_weekday],
            "@weekly" => [zero, zero, zero, every_day, every_month, zero],
            "@daily" | "@midnight" => [zero, zero, zero, every_day, every_month, every_weekday],
            "@hourly" => [
                zero,
                zero,
                every_hour,
                every_day,
                every_month,
                every_weekday,
            ],
            "@minutely" => [
                zero,
                FieldValues::every(&MINUTES),
                every_hour,
                every_day,
                every_month,
                every_weekday,
            ],
            _ => return None,
        };
        Some(CronFields { fields })
    }

    /// Returns true when some calendar day can match.
    ///
    /// Only two shapes can never fire: a field that matches nothing (`,`), and a day of month
    /// that no chosen month has (`0 0 0 30 2 *`) while the weekday is left open.
    fn can_fire(&self) -> bool {
        if self.fields.iter().any(|field| field.bits == 0) {
            return false;
        }
        let [.., days, months, weekdays] = self.fields;
        if days.star || !weekdays.star {
            return true;
        }
        months.values().any(|month| {
            let longest = match month {
                2 => 29,
                4 | 6 | 9 | 11 => 30,
                _ => 31,
            };
            days.values().any(|day| day <= longest)
        })
    }

    /// Returns the pattern in croner's syntax: `*` for a wildcard, else the explicit values.
    ///
    /// Writing values out (instead of passing the user's text through) keeps robfig's meaning
    /// of `*/2`, `?`, names and steps whatever croner's own reading of them would be; a field
    /// is `*` exactly when Dkron sets its star bit, which is what decides between AND and OR
    /// for day of month and day of week in both libraries.
    fn croner_pattern(&self) -> String {
        let texts: Vec<String> = self.fields.iter().map(|field| field_text(*field)).collect();
        texts.join(" ")
    }
}

/// Writes one field for croner, folding consecutive values into ranges.
fn field_text(field: FieldValues) -> String {
    if field.star {
        return "*".to_string();
    }
    let mut pieces: Vec<String> = Vec::new();
    let mut run: Option<(u32, u32)> = None;
    for value in field.values() {
        run = match run {
            Some((start, end)) if value == end + 1 => Some((start, value)),
            Some(finished) => {
                pieces.push(range_text(finished));
                Some((value, value))
            }
            None => Some((value, value)),
        };
    }
    if let Some(finished) = run {
        pieces.push(range_text(finished));
    }
    pieces.join(",")
}

fn range_text((start, end): (u32, u32)) -> String {
    if start == end {
        start.to_string()
    } else {
        format!("{start}-{end}")
    }
}

/// A cron pattern bound to the zone whose wall clock it is matched on.
///
/// Only our parsed fields are kept per schedule. croner's compiled form holds a byte per
/// possible value of every field, years 1 to 5000 included (about 5 KB: 500 MB for 100,000
/// jobs), so compiled patterns live in one small shared cache instead (`compiled`), where
/// the many jobs that share a pattern share one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CronSchedule {
    fields: CronFields,
    /// False when the pattern can never fire (e.g. 30 February).
    fires: bool,
    zone: Tz,
}

impl CronSchedule {
    /// Checks that croner takes the fields.
    pub(crate) fn new(fields: CronFields, zone: Tz) -> Result<CronSchedule, ScheduleError> {
        let fires = fields.can_fire();
        if fires {
            compiled(&fields)?;
        }
        Ok(CronSchedule {
            fields,
            fires,
            zone,
        })
    }

    /// Returns the zone the pattern is matched in.
    pub(crate) fn zone(&self) -> Tz {
        self.zone
    }

    /// Returns the first fire time strictly after `after`.
    pub(crate) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if !self.fires {
            return None;
        }
        let cron = compiled(&self.fields).ok()?;
        // Before year 1 nothing can fire; searching from there keeps chrono in range.
        let after = after.max(earliest_search_start());
        let start = search_start(self.zone, after)?;
        let mut cursor: NaiveDateTime = start.wall;
        let mut inclusive = start.inclusive;
        for _ in 0..MAX_CANDIDATES {
            let wall = cron.find_next_occurrence(&cursor, inclusive).ok()?;
            let instant = fire_instant(self.zone, wall)?;
            if instant > after {
                return Some(instant);
            }
            cursor = wall;
            inclusive = false;
        }
        None
    }
}

/// Compiled patterns kept, shared by every schedule (about 5 KB each).
const MAX_COMPILED: usize = crate::limits::MAX_COMPILED_CRON_PATTERNS;

/// The shared cache: pattern → (compiled form, last use), least recently used evicted.
type CompiledCache = HashMap<CronFields, (Arc<Cron>, u64)>;

static COMPILED: LazyLock<Mutex<(CompiledCache, u64)>> =
    LazyLock::new(|| Mutex::new((HashMap::new(), 0)));

/// Returns croner's form of `fields`, from the cache or compiled now. A compile is a few
/// microseconds; eviction scans the cache, on misses only.
fn compiled(fields: &CronFields) -> Result<Arc<Cron>, ScheduleError> {
    {
        let mut guard = COMPILED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (cache, clock) = &mut *guard;
        *clock += 1;
        if let Some((cron, used)) = cache.get_mut(fields) {
            *used = *clock;
            return Ok(Arc::clone(cron));
        }
    }
    let pattern = fields.croner_pattern();
    let cron = CronParser::builder()
        .seconds(Seconds::Required)
        .year(Year::Disallowed)
        .build()
        .parse(&pattern)
        .map_err(|error| ScheduleError::Engine {
            pattern: pattern.clone(),
            detail: error.to_string(),
        })?;
    let cron = Arc::new(cron);
    let mut guard = COMPILED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let (cache, clock) = &mut *guard;
    if cache.len() >= MAX_COMPILED
        && let Some(oldest) = cache
            .iter()
            .min_by_key(|(_, (_, used))| *used)
            .map(|(key, _)| *key)
    {
        cache.remove(&oldest);
    }
    cache.insert(*fields, (Arc::clone(&cron), *clock));
    Ok(cron)
}

/// How many compiled patterns the shared cache holds now.
#[cfg(test)]
fn compiled_count() -> usize {
    COMPILED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .0
        .len()
}

/// The earliest instant a search starts from: a day into year 1, clear of every zone offset.
fn earliest_search_start() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(1, 1, 2)
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|wall| wall.and_utc())
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(spec: &str) -> CronFields {
        CronFields::parse(&spec.split(' ').collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn writes_croner_patterns() {
        assert_eq!(
            fields("0 */15 * * * *").croner_pattern(),
            "0 0,15,30,45 * * * *"
        );
        assert_eq!(
            fields("1-5 0 0 1-31 * ?").croner_pattern(),
            "1-5 0 0 1-31 * *"
        );
        assert_eq!(
            fields("0 0 0 */2 * MON-FRI").croner_pattern(),
            "0 0 0 1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31 * 1-5"
        );
    }

    #[test]
    fn the_compiled_cache_stays_within_its_bound_and_keeps_answering() {
        let zone = chrono_tz::UTC;
        let after = Utc::now();
        let mut expected = Vec::new();
        for minute in 0..60 {
            for hour in 0..24 {
                let schedule =
                    CronSchedule::new(fields(&format!("0 {minute} {hour} * * *")), zone).unwrap();
                expected.push((schedule, minute, hour));
            }
        }
        assert!(compiled_count() <= MAX_COMPILED);
        // Evicted patterns compile again: every schedule still finds its next fire time.
        for (schedule, minute, hour) in &expected {
            let next = schedule.next_after(after).unwrap();
            assert_eq!(
                next.format("%M %H").to_string(),
                format!("{minute:02} {hour:02}")
            );
        }
        assert!(compiled_count() <= MAX_COMPILED);
    }

    #[test]
    fn knows_patterns_that_never_fire() {
        assert!(!fields("0 0 0 30 2 *").can_fire());
        assert!(!fields("0 0 0 31 4,6 *").can_fire());
        assert!(!fields(", * * * * *").can_fire());
        assert!(fields("0 0 0 29 2 *").can_fire());
        // With a weekday restricted, day of month and weekday are ORed.
        assert!(fields("0 0 0 30 2 MON").can_fire());
    }
}
