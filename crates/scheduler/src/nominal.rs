//! The one thing the planner needs from a schedule: the next nominal time.

use chrono::{DateTime, TimeDelta, Utc};

/// A source of nominal times, implemented by `dkron_model::Schedule`; tests may use their own.
pub trait NominalSchedule {
    /// Returns the first nominal time strictly after `after`, or `None` when there is none.
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>>;

    /// Returns true when the schedule never fires by itself (`@manually`).
    fn is_manual(&self) -> bool;

    /// Returns the interval of an `@every` schedule, whose rhythm counts from a start point
    /// rather than from the calendar; `None` for every other kind.
    fn interval(&self) -> Option<TimeDelta> {
        None
    }
}

impl<S: NominalSchedule + ?Sized> NominalSchedule for &S {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (**self).next_after(after)
    }

    fn is_manual(&self) -> bool {
        (**self).is_manual()
    }

    fn interval(&self) -> Option<TimeDelta> {
        (**self).interval()
    }
}

impl NominalSchedule for dkron_model::Schedule {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        dkron_model::Schedule::next_after(self, after)
    }

    fn is_manual(&self) -> bool {
        dkron_model::Schedule::is_manual(self)
    }

    fn interval(&self) -> Option<TimeDelta> {
        self.every()
            .and_then(|every| TimeDelta::from_std(every).ok())
    }
}
