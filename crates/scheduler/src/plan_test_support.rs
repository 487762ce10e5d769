//! Hand-made schedules and helpers shared by the planner's tests.

use chrono::{DateTime, DurationRound, TimeDelta, TimeZone, Utc};
use dkron_model::Job;

use crate::nominal::NominalSchedule;

/// `@every period`: the next time is `after` truncated to the second plus the period.
pub(super) struct Every(pub(super) TimeDelta);

impl NominalSchedule for Every {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let truncated = after.duration_trunc(TimeDelta::seconds(1)).ok()?;
        truncated.checked_add_signed(self.0)
    }

    fn is_manual(&self) -> bool {
        false
    }

    fn interval(&self) -> Option<TimeDelta> {
        Some(self.0)
    }
}

/// `@at instant`.
pub(super) struct At(pub(super) DateTime<Utc>);

impl NominalSchedule for At {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.0 > after).then_some(self.0)
    }

    fn is_manual(&self) -> bool {
        false
    }
}

/// `@manually`.
pub(super) struct Manually;

impl NominalSchedule for Manually {
    fn next_after(&self, _after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        None
    }

    fn is_manual(&self) -> bool {
        true
    }
}

/// A broken schedule that never moves forward.
pub(super) struct Stuck(pub(super) DateTime<Utc>);

impl NominalSchedule for Stuck {
    fn next_after(&self, _after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        Some(self.0)
    }

    fn is_manual(&self) -> bool {
        false
    }
}

pub(super) fn at(hour: u32, minute: u32, second: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, hour, minute, second)
        .single()
        .expect("valid test time")
}

pub(super) fn job(name: &str) -> Job {
    Job {
        name: name.to_string(),
        ..Job::default()
    }
}
