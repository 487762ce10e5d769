//! Schedules: Dkron's spec language turned into fire times.
//!
//! A spec is one of: six cron fields with seconds (`0 30 9 * * MON-FRI`), a descriptor
//! (`@daily`, `@hourly`, …), `@every <Go duration>`, `@at <RFC 3339 time>` or `@manually`,
//! optionally behind a `TZ=<zone> ` / `CRON_TZ=<zone> ` prefix, with `~` standing for a value
//! hashed from the job name. `docs/schedule.md` is the user-facing description; the daylight
//! saving rule is in `dst.rs`.

mod cron;
mod dst;
mod error;
mod fields;
mod hash;
mod preview;
mod spec;
mod zone;

#[cfg(test)]
mod next_test;
#[cfg(test)]
mod reference_test;

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;

pub use error::ScheduleError;
pub use hash::hash_spec;
pub use preview::{DstNote, MAX_PREVIEW_COUNT, PreviewTime, PreviewWindow, preview};
pub use zone::{LOCAL_ZONE_NAME, check_time_zone, resolve_time_zone};

use self::cron::CronSchedule;
use self::spec::{ParsedSpec, parse_spec};
use self::zone::job_zone;

/// A parsed schedule, bound to the zone its cron fields are matched in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Cron(Box<CronSchedule>),
    Every(Duration),
    At(DateTime<Utc>),
    Manual,
}

impl Schedule {
    /// Parses a job's schedule.
    ///
    /// `job_name` seeds the `~` placeholder. `timezone` is the job's `timezone` field: `""` or
    /// `Local` mean `local_zone` (the server's zone, chosen by the caller), anything else must
    /// be an IANA name. A `TZ=`/`CRON_TZ=` prefix in the spec wins over `timezone`. Unlike
    /// Dkron, descriptors such as `@daily` also follow `timezone`.
    pub fn parse(
        spec: &str,
        job_name: &str,
        timezone: &str,
        local_zone: Tz,
    ) -> Result<Schedule, ScheduleError> {
        let parsed = parse_spec(&hash_spec(spec, job_name))?;
        let job_zone = job_zone(timezone)?.resolve(local_zone);
        let kind = match parsed {
            ParsedSpec::Cron { fields, zone } => {
                let zone = zone.map_or(job_zone, |choice| choice.resolve(local_zone));
                Kind::Cron(Box::new(CronSchedule::new(fields, zone)?))
            }
            ParsedSpec::Every(interval) => Kind::Every(interval),
            ParsedSpec::At(instant) => Kind::At(instant),
            ParsedSpec::Manual => Kind::Manual,
        };
        Ok(Schedule { kind })
    }

    /// Checks a spec (with `~` hashed from `job_name`) without choosing a zone for it.
    pub fn check_spec(spec: &str, job_name: &str) -> Result<(), ScheduleError> {
        match parse_spec(&hash_spec(spec, job_name))? {
            ParsedSpec::Cron { fields, .. } => CronSchedule::new(fields, Tz::UTC).map(|_| ()),
            _ => Ok(()),
        }
    }

    /// Returns the first fire time strictly after `after`, or `None` when there is none.
    ///
    /// For `@every` the result is `after`, truncated to the whole second, plus the interval:
    /// pass the previous fire time to keep a steady rhythm.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match &self.kind {
            Kind::Cron(cron) => cron.next_after(after),
            Kind::Every(interval) => {
                let whole_second = after.with_nanosecond(0)?;
                let interval = TimeDelta::from_std(*interval).ok()?;
                whole_second.checked_add_signed(interval)
            }
            Kind::At(instant) => (*instant > after).then_some(*instant),
            Kind::Manual => None,
        }
    }

    /// Returns the fire times in `(after, until]`, in order, at most `limit` of them.
    pub fn fire_times(
        &self,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> FireTimes<'_> {
        FireTimes {
            schedule: self,
            cursor: after,
            until,
            remaining: limit,
        }
    }

    /// Returns true for `@manually`: the job only runs when asked to.
    pub fn is_manual(&self) -> bool {
        matches!(self.kind, Kind::Manual)
    }

    /// Returns the instant of an `@at` schedule.
    pub fn one_shot(&self) -> Option<DateTime<Utc>> {
        match self.kind {
            Kind::At(instant) => Some(instant),
            _ => None,
        }
    }

    /// Returns the interval of an `@every` schedule (whole seconds, at least one).
    pub fn every(&self) -> Option<Duration> {
        match self.kind {
            Kind::Every(interval) => Some(interval),
            _ => None,
        }
    }

    /// Returns the zone a cron or descriptor schedule is matched in.
    pub fn zone(&self) -> Option<Tz> {
        match &self.kind {
            Kind::Cron(cron) => Some(cron.zone()),
            _ => None,
        }
    }
}

/// Returns the instant of an `@at` spec, or `None` for any other (or an invalid) spec.
pub fn one_shot_instant(spec: &str) -> Option<DateTime<Utc>> {
    match parse_spec(spec) {
        Ok(ParsedSpec::At(instant)) => Some(instant),
        _ => None,
    }
}

/// Checks a spec (with `~` hashed from `job_name`) without choosing a zone for it.
pub fn check_spec(spec: &str, job_name: &str) -> Result<(), ScheduleError> {
    Schedule::check_spec(spec, job_name)
}

/// Iterator over the fire times of a schedule in a window; see [`Schedule::fire_times`].
#[derive(Debug, Clone)]
pub struct FireTimes<'a> {
    schedule: &'a Schedule,
    cursor: DateTime<Utc>,
    until: DateTime<Utc>,
    remaining: usize,
}

impl Iterator for FireTimes<'_> {
    type Item = DateTime<Utc>;

    fn next(&mut self) -> Option<DateTime<Utc>> {
        if self.remaining == 0 {
            return None;
        }
        let next = self.schedule.next_after(self.cursor)?;
        if next > self.until {
            self.remaining = 0;
            return None;
        }
        self.remaining -= 1;
        self.cursor = next;
        Some(next)
    }
}

impl crate::Job {
    /// Parses the job's schedule in its time zone (`local_zone` for `""` and `Local`).
    pub fn parse_schedule(&self, local_zone: Tz) -> Result<Schedule, ScheduleError> {
        Schedule::parse(&self.schedule, &self.name, &self.timezone, local_zone)
    }
}
