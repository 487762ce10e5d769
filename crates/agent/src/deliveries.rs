//! What this leader knows of the runs it sent to other nodes: which ones a node accepted.
//!
//! The replicated state says a run is active and whether its start was recorded, not whether
//! its node ever had it. When a node says it does not know a run that has no start record,
//! this memory tells the two cases apart:
//! - the node accepted it from this leader, so a previous process of the node had it and
//!   may have started it just before dying: it is lost (runs are started at most once);
//! - it never reached the node (say, the previous leader died between committing and
//!   sending): it is sent again.
//!
//! A new leader starts with an empty memory and sends such runs again, except those its own
//! previous process had (the memory starts with them).

use std::collections::HashSet;
use std::sync::Mutex;

use dkron_store::ActiveRun;

/// (job, execution id).
type RunKey = (String, String);

/// Runs other nodes accepted from this leader and that are still active.
#[derive(Default)]
pub struct Deliveries {
    accepted: Mutex<HashSet<RunKey>>,
}

/// What the leader does with an active run its node says it does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownRun {
    /// End it as lost, with this reason.
    Lose(&'static str),
    /// Send it to its node again.
    Resend,
}

impl Deliveries {
    /// The node accepted the run.
    pub fn accepted(&self, job: &str, execution_id: &str) {
        self.lock()
            .insert((job.to_owned(), execution_id.to_owned()));
    }

    /// The run ended while this leader followed it.
    pub fn ended(&self, job: &str, execution_id: &str) {
        self.lock()
            .remove(&(job.to_owned(), execution_id.to_owned()));
    }

    /// Forgets runs that are no longer active (their stream broke, then they ended).
    pub fn retain_active(&self, active: &[ActiveRun]) {
        let mut accepted = self.lock();
        if accepted.is_empty() {
            return;
        }
        let active: HashSet<(&str, &str)> = active
            .iter()
            .map(|run| (run.job.as_str(), run.execution_id.as_str()))
            .collect();
        accepted.retain(|(job, id)| active.contains(&(job.as_str(), id.as_str())));
    }

    /// Starts with the runs this server's replica lists as active on this very server when
    /// the process starts: they were with its previous process, as if accepted from us.
    pub fn with_previous_process(runs: HashSet<RunKey>) -> Deliveries {
        Deliveries {
            accepted: Mutex::new(runs),
        }
    }

    /// Decides about an active run its node does not know.
    pub fn settle_unknown(&self, job: &str, execution_id: &str, started: bool) -> UnknownRun {
        let accepted = self
            .lock()
            .contains(&(job.to_owned(), execution_id.to_owned()));
        decide(started, accepted)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<RunKey>> {
        self.accepted
            .lock()
            .expect("deliveries lock is never poisoned")
    }
}

fn decide(started: bool, accepted: bool) -> UnknownRun {
    match (started, accepted) {
        (true, _) => UnknownRun::Lose("the node no longer knows the run (it restarted or lost it)"),
        (false, true) => UnknownRun::Lose(
            "the node restarted after it accepted the run and before its start was recorded; whether it ran is unknown",
        ),
        (false, false) => UnknownRun::Resend,
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;

    use super::*;

    fn active(job: &str, id: &str) -> ActiveRun {
        ActiveRun {
            job: job.into(),
            nominal: Utc::now(),
            execution_id: id.into(),
            node_name: "n1".into(),
        }
    }

    #[test]
    fn an_unknown_run_is_sent_again_only_if_no_node_process_had_it() {
        let deliveries = Deliveries::default();
        assert_eq!(
            deliveries.settle_unknown("a", "1", false),
            UnknownRun::Resend
        );
        assert!(matches!(
            deliveries.settle_unknown("a", "1", true),
            UnknownRun::Lose(_)
        ));
        deliveries.accepted("a", "1");
        assert!(matches!(
            deliveries.settle_unknown("a", "1", false),
            UnknownRun::Lose(reason) if reason.contains("accepted")
        ));
        // Same execution id, another job: a different run.
        assert_eq!(
            deliveries.settle_unknown("b", "1", false),
            UnknownRun::Resend
        );
    }

    #[test]
    fn runs_of_the_previous_process_count_as_accepted() {
        let previous = HashSet::from([("a".to_string(), "1".to_string())]);
        let deliveries = Deliveries::with_previous_process(previous);
        assert!(matches!(
            deliveries.settle_unknown("a", "1", false),
            UnknownRun::Lose(_)
        ));
        assert_eq!(
            deliveries.settle_unknown("a", "2", false),
            UnknownRun::Resend
        );
    }

    #[test]
    fn runs_are_forgotten_when_they_end_or_are_no_longer_active() {
        let deliveries = Deliveries::default();
        deliveries.accepted("a", "1");
        deliveries.accepted("a", "2");
        deliveries.accepted("b", "3");
        deliveries.ended("a", "1");
        deliveries.retain_active(&[active("a", "2")]);
        assert!(matches!(
            deliveries.settle_unknown("a", "2", false),
            UnknownRun::Lose(_)
        ));
        assert_eq!(
            deliveries.settle_unknown("a", "1", false),
            UnknownRun::Resend
        );
        assert_eq!(
            deliveries.settle_unknown("b", "3", false),
            UnknownRun::Resend
        );
    }
}
