//! Runs received while this node is still ending its previous process's runs.
//!
//! A node that starts ends, as lost, the runs its previous process had in flight
//! (`run::end_previous_runs`). It already accepts runs while that command waits for a leader,
//! and the command must not end those runs under it. So until it is written, received runs
//! are parked:
//! - the command spares the runs this process has received when it is built;
//! - a run received after the first attempt was built might still be ended by that attempt
//!   (an attempt that reported an error may have been written all the same), so it starts
//!   only after its start record is accepted, which proves the store still has it active.

use std::collections::HashSet;

use super::RunKey;

/// How a parked run starts once the previous runs are ended.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Release<T> {
    /// Spared by every attempt: starts as usual.
    Start(T),
    /// Received after the first attempt was built: its start is recorded first.
    StartIfStillActive(T),
}

/// The runs parked until the previous process's runs are ended.
pub(super) struct Settling<T> {
    parked: Vec<(RunKey, T)>,
    /// What the first attempt spared; `None` until it is built.
    first_spared: Option<HashSet<RunKey>>,
    settled: bool,
}

impl<T> Default for Settling<T> {
    fn default() -> Self {
        Settling {
            parked: Vec::new(),
            first_spared: None,
            settled: false,
        }
    }
}

impl<T> Settling<T> {
    /// Parks a run, or hands it back when the previous runs are already ended.
    pub(super) fn park(&mut self, key: RunKey, run: T) -> Option<T> {
        if self.settled {
            return Some(run);
        }
        self.parked.push((key, run));
        None
    }

    /// The runs to spare in an attempt being built now: every run parked so far.
    pub(super) fn spare_now(&mut self) -> Vec<RunKey> {
        let keys: Vec<RunKey> = self.parked.iter().map(|(key, _)| key.clone()).collect();
        if self.first_spared.is_none() {
            self.first_spared = Some(keys.iter().cloned().collect());
        }
        keys
    }

    /// The previous runs are ended: from now on runs start as they arrive. Returns the parked
    /// runs, in the order they arrived, with how each may start.
    pub(super) fn settle(&mut self) -> Vec<Release<T>> {
        self.settled = true;
        let first_spared = self.first_spared.take().unwrap_or_default();
        std::mem::take(&mut self.parked)
            .into_iter()
            .map(|(key, run)| {
                if first_spared.contains(&key) {
                    Release::Start(run)
                } else {
                    Release::StartIfStillActive(run)
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> RunKey {
        ("job".to_string(), id.to_string())
    }

    #[test]
    fn runs_wait_until_settled_and_then_pass_straight_through() {
        let mut settling = Settling::default();
        assert_eq!(settling.park(key("a"), "a"), None);
        assert_eq!(settling.settle(), vec![Release::StartIfStillActive("a")]);
        assert_eq!(settling.park(key("b"), "b"), Some("b"));
        assert!(settling.settle().is_empty());
    }

    #[test]
    fn only_runs_every_attempt_spared_start_without_a_check() {
        let mut settling = Settling::default();
        settling.park(key("early"), "early");
        assert_eq!(settling.spare_now(), vec![key("early")]);
        // Arrives while the first attempt is in flight; the second attempt names it, but the
        // first may have been written without it.
        settling.park(key("late"), "late");
        assert_eq!(settling.spare_now(), vec![key("early"), key("late")]);
        assert_eq!(
            settling.settle(),
            vec![Release::Start("early"), Release::StartIfStillActive("late")]
        );
    }
}
