//! The one thing the planner needs from a schedule: the next nominal time.

use chrono::{DateTime, Utc};

/// A source of nominal times, implemented by `dkron_model::Schedule`; tests may use their own.
pub trait NominalSchedule {
    /// Returns the first nominal time strictly after `after`, or `None` when there is none.
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>>;

    /// Returns true when the schedule never fires by itself (`@manually`).
    fn is_manual(&self) -> bool;
}

impl<S: NominalSchedule + ?Sized> NominalSchedule for &S {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (**self).next_after(after)
    }

    fn is_manual(&self) -> bool {
        (**self).is_manual()
    }
}

impl NominalSchedule for dkron_model::Schedule {
    fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        dkron_model::Schedule::next_after(self, after)
    }

    fn is_manual(&self) -> bool {
        dkron_model::Schedule::is_manual(self)
    }
}
