//! The loop's two ordered queues: jobs by their next nominal time, and accepted launches
//! waiting for theirs. Both are ordered maps, so the next wake is the first key and nothing is
//! ever scanned per tick.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::backend::AcceptedLaunch;

/// Jobs keyed by their next nominal time.
#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    entries: BTreeSet<(DateTime<Utc>, String)>,
}

impl TimerQueue {
    /// Schedules a wake for `job` at `nominal`.
    pub(crate) fn insert(&mut self, nominal: DateTime<Utc>, job: String) {
        self.entries.insert((nominal, job));
    }

    /// Cancels the wake of `job` at `nominal`.
    pub(crate) fn remove(&mut self, nominal: DateTime<Utc>, job: &str) {
        self.entries.remove(&(nominal, job.to_string()));
    }

    /// Returns the earliest nominal time waiting.
    pub(crate) fn earliest(&self) -> Option<DateTime<Utc>> {
        self.entries.first().map(|(nominal, _)| *nominal)
    }

    /// Removes and returns the earliest job whose nominal time is at or before `horizon`.
    pub(crate) fn pop_due(&mut self, horizon: DateTime<Utc>) -> Option<(DateTime<Utc>, String)> {
        if self.earliest()? > horizon {
            return None;
        }
        self.entries.pop_first()
    }

    /// Removes and returns the earliest job whose nominal time is between `from` and
    /// `horizon` (both included): the next occurrence that can still start on time.
    pub(crate) fn pop_due_from(
        &mut self,
        from: DateTime<Utc>,
        horizon: DateTime<Utc>,
    ) -> Option<(DateTime<Utc>, String)> {
        let first = self.entries.range((from, String::new())..).next()?.clone();
        if first.0 > horizon {
            return None;
        }
        self.entries.remove(&first);
        Some(first)
    }

    /// Returns how many jobs wait.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

/// Accepted launches waiting for their nominal time, in nominal order (then acceptance order).
#[derive(Debug, Default)]
pub(crate) struct DispatchQueue {
    entries: BTreeMap<(DateTime<Utc>, u64), AcceptedLaunch>,
    sequence: u64,
}

impl DispatchQueue {
    /// Queues an accepted launch.
    pub(crate) fn push(&mut self, launch: AcceptedLaunch) {
        self.sequence += 1;
        self.entries.insert((launch.nominal, self.sequence), launch);
    }

    /// Returns the earliest nominal time waiting.
    pub(crate) fn earliest(&self) -> Option<DateTime<Utc>> {
        self.entries
            .first_key_value()
            .map(|((nominal, _), _)| *nominal)
    }

    /// Removes and returns the earliest launch due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: DateTime<Utc>) -> Option<AcceptedLaunch> {
        if self.earliest()? > now {
            return None;
        }
        self.entries.pop_first().map(|(_, launch)| launch)
    }

    /// Puts back a launch taken by `pop_due` that could not be dispatched.
    pub(crate) fn put_back(&mut self, launch: AcceptedLaunch) {
        self.push(launch);
    }

    /// Returns how many launches wait.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Empties the queue, in nominal order.
    pub(crate) fn drain(&mut self) -> Vec<AcceptedLaunch> {
        std::mem::take(&mut self.entries).into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use dkron_model::Trigger;

    use super::*;

    fn second(offset: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, offset)
            .single()
            .expect("valid")
    }

    fn launch(job: &str, nominal: DateTime<Utc>) -> AcceptedLaunch {
        AcceptedLaunch {
            job: job.to_string(),
            nominal,
            trigger: Trigger::Schedule,
            runs: Vec::new(),
        }
    }

    #[test]
    fn timers_pop_in_time_order_up_to_the_horizon() {
        let mut timers = TimerQueue::default();
        timers.insert(second(5), "b".to_string());
        timers.insert(second(1), "a".to_string());
        timers.insert(second(5), "a".to_string());
        timers.remove(second(5), "a");
        assert_eq!(timers.pop_due(second(0)), None);
        assert_eq!(
            timers.pop_due(second(5)),
            Some((second(1), "a".to_string()))
        );
        assert_eq!(
            timers.pop_due(second(5)),
            Some((second(5), "b".to_string()))
        );
        assert_eq!(timers.len(), 0);
    }

    #[test]
    fn launches_pop_by_nominal_time_then_acceptance() {
        let mut queue = DispatchQueue::default();
        queue.push(launch("late", second(9)));
        queue.push(launch("first", second(3)));
        queue.push(launch("second", second(3)));
        assert_eq!(queue.pop_due(second(2)), None);
        let first = queue.pop_due(second(3)).expect("due");
        assert_eq!(first.job, "first");
        queue.put_back(first);
        assert_eq!(
            queue.pop_due(second(3)).map(|l| l.job),
            Some("second".into())
        );
        assert_eq!(queue.len(), 2);
        let rest: Vec<_> = queue.drain().into_iter().map(|l| l.job).collect();
        assert_eq!(rest, vec!["first", "late"]);
    }
}
