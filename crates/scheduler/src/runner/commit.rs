//! Committing decisions through the backend, and dispatching what it accepted.
//!
//! While a commit is in flight the task keeps dispatching launches accepted earlier, so a
//! slow replicated write never delays a launch that is already committed.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dkron_model::{SkipReason, Trigger};
use tokio::sync::oneshot;
use tracing::{debug, error, info, warn};

use super::{Backoff, Flow, Runner, stop_signal};
use crate::backend::{AcceptedLaunch, CommitOutcome, SchedulerBackend};
use crate::clock::Sleep;
use crate::decision::Decision;
use crate::error::SchedulerError;

type CommitResult = Result<Vec<crate::backend::CommitOutcome>, SchedulerError>;

impl<B: SchedulerBackend> Runner<B> {
    /// Commits a batch of scheduled decisions, retrying the same batch with backoff until it
    /// is applied. Retrying is safe: the backend rejects occurrences it already holds.
    pub(super) async fn commit_scheduled(&mut self, batch: Vec<Decision>) -> Flow {
        let mut backoff = Backoff::new();
        loop {
            let Some(result) = self.commit_while_dispatching(batch.clone()).await else {
                return Flow::Stop;
            };
            match result {
                Ok(outcomes) => {
                    self.apply_outcomes(&batch, outcomes);
                    return Flow::Continue;
                }
                Err(SchedulerError::NotLeader { detail }) => {
                    warn!(detail = %detail, "leadership lost while committing; scheduler stops");
                    return Flow::Stop;
                }
                Err(error) => {
                    self.counters.commit_failures += 1;
                    warn!(error = %error, decisions = batch.len(), "commit failed; retrying the same batch");
                    if self.backoff_wait(&mut backoff).await == Flow::Stop {
                        return Flow::Stop;
                    }
                }
            }
        }
    }

    /// Runs one commit while dispatching due launches; `None` when a stop interrupted it.
    ///
    /// An interrupted commit may still be applied by the backend; its launches then stay
    /// `launched` in the ledger without a run, and the next leader's reconciliation ends them.
    async fn commit_while_dispatching(&mut self, batch: Vec<Decision>) -> Option<CommitResult> {
        let backend = Arc::clone(&self.backend);
        let commit = backend.commit(batch);
        tokio::pin!(commit);
        loop {
            let dispatch_wake = self.dispatch_wake();
            let mut stop = self.stop.clone();
            tokio::select! {
                biased;
                () = stop_signal(&mut stop) => return None,
                result = &mut commit => return Some(result),
                () = dispatch_wake => {}
            }
            self.dispatch_due(self.clock.now());
        }
    }

    /// Waits out one backoff delay (real time) while dispatching due launches.
    pub(super) async fn backoff_wait(&mut self, backoff: &mut Backoff) -> Flow {
        let deadline = tokio::time::Instant::now() + backoff.next_delay();
        loop {
            let dispatch_wake = self.dispatch_wake();
            let mut stop = self.stop.clone();
            tokio::select! {
                biased;
                () = stop_signal(&mut stop) => return Flow::Stop,
                () = tokio::time::sleep_until(deadline) => return Flow::Continue,
                () = dispatch_wake => {}
            }
            self.dispatch_due(self.clock.now());
        }
    }

    fn dispatch_wake(&self) -> Sleep {
        match self.pending.earliest() {
            Some(nominal) => self.clock.sleep_until(
                nominal
                    .checked_sub_signed(self.dispatch_lead)
                    .unwrap_or(nominal),
            ),
            None => Box::pin(std::future::pending()),
        }
    }

    /// Hands every accepted launch due by `now` plus the dispatch lead to the dispatcher,
    /// unless the gate is closed.
    pub(super) fn dispatch_due(&mut self, now: DateTime<Utc>) {
        let horizon = now.checked_add_signed(self.dispatch_lead).unwrap_or(now);
        while let Some(launch) = self.pending.pop_due(horizon) {
            if !self.dispatch(launch, now) {
                return;
            }
        }
    }

    /// Dispatches one launch; returns false (and keeps the launch) when the gate is closed.
    fn dispatch(&mut self, launch: AcceptedLaunch, now: DateTime<Utc>) -> bool {
        let lateness_ms = (now - launch.nominal).num_milliseconds();
        debug!(job = %launch.job, nominal = %launch.nominal, trigger = %launch.trigger, lateness_ms, "dispatching");
        let backend = &self.backend;
        match self.gate.pass(launch, |launch| backend.dispatch(launch)) {
            Ok(()) => {
                self.counters.launches_dispatched += 1;
                true
            }
            Err(launch) => {
                self.pending.put_back(launch);
                false
            }
        }
    }

    /// Books the backend's answers: queues accepted launches, counts the rest.
    fn apply_outcomes(&mut self, batch: &[Decision], outcomes: Vec<CommitOutcome>) {
        if outcomes.len() != batch.len() {
            error!(
                decisions = batch.len(),
                outcomes = outcomes.len(),
                "backend returned a wrong number of outcomes; unmatched decisions are ignored"
            );
        }
        for (decision, outcome) in batch.iter().zip(outcomes) {
            match (decision, outcome) {
                (Decision::Launch { .. }, CommitOutcome::Launched(accepted)) => {
                    self.counters.launches_committed += 1;
                    debug!(job = %accepted.job, nominal = %accepted.nominal, trigger = %accepted.trigger, runs = accepted.runs.len(), "launch committed");
                    self.pending.push(accepted);
                }
                (Decision::Launch { job, nominal, .. }, CommitOutcome::Queued) => {
                    self.counters.launches_committed += 1;
                    debug!(job = %job, nominal = %nominal, "launch queued behind an active run");
                }
                (Decision::Launch { job, nominal, .. }, CommitOutcome::Skipped(reason)) => {
                    self.counters.occurrences_skipped += 1;
                    info!(job = %job, nominal = %nominal, reason = %reason, "occurrence skipped by the backend");
                }
                (
                    Decision::Skip { reason, .. } | Decision::SkipRange { reason, .. },
                    CommitOutcome::Recorded,
                ) => {
                    self.counters.occurrences_skipped += decision.occurrence_count();
                    if matches!(reason, SkipReason::Overloaded { .. }) {
                        self.counters.occurrences_overloaded += decision.occurrence_count();
                    }
                }
                (_, CommitOutcome::Rejected(detail)) => {
                    self.counters.decisions_rejected += 1;
                    info!(job = %decision.job(), nominal = %decision.last_nominal(), detail = %detail, "decision rejected; the occurrence was already decided");
                }
                (decision, outcome) => {
                    error!(decision = ?decision, outcome = ?outcome, "outcome does not match its decision; ignored");
                }
            }
        }
    }

    /// Commits a run outside the schedule and dispatches it at once. A failed commit is not
    /// retried: the caller gets the error and may ask again.
    pub(super) async fn run_now(
        &mut self,
        job: String,
        nominal: DateTime<Utc>,
        trigger: Trigger,
        reply: oneshot::Sender<Result<AcceptedLaunch, SchedulerError>>,
    ) -> Flow {
        let (answer, flow) = self.commit_manual(job, nominal, trigger).await;
        if reply.send(answer).is_err() {
            debug!("manual run caller went away before the answer");
        }
        flow
    }

    async fn commit_manual(
        &mut self,
        job: String,
        now: DateTime<Utc>,
        trigger: Trigger,
    ) -> (Result<AcceptedLaunch, SchedulerError>, Flow) {
        if !self.jobs.contains_key(&job) {
            match self.backend.load_job(&job).await {
                Ok(Some(scheduled)) => {
                    debug!(job = %job, "job not heard of yet; read from the backend");
                    self.track(scheduled, self.clock.now());
                }
                Ok(None) => return (Err(SchedulerError::UnknownJob { job }), Flow::Continue),
                Err(error) => return (Err(error), Flow::Continue),
            }
        }
        let decision = Decision::Launch {
            job: job.clone(),
            nominal: now,
            trigger,
        };
        let outcome = match self.commit_while_dispatching(vec![decision]).await {
            None => return (Err(SchedulerError::Stopped), Flow::Stop),
            Some(Err(error @ SchedulerError::NotLeader { .. })) => {
                warn!(error = %error, "leadership lost during a manual run; scheduler stops");
                return (Err(error), Flow::Stop);
            }
            Some(Err(error)) => {
                self.counters.commit_failures += 1;
                return (Err(error), Flow::Continue);
            }
            Some(Ok(outcomes)) => outcomes.into_iter().next(),
        };
        let answer = match outcome {
            Some(CommitOutcome::Launched(accepted)) => {
                self.counters.launches_committed += 1;
                info!(job = %job, nominal = %now, %trigger, "run outside the schedule committed");
                if self.dispatch(accepted.clone(), self.clock.now()) {
                    Ok(accepted)
                } else {
                    Err(SchedulerError::Stopped)
                }
            }
            Some(CommitOutcome::Queued) => {
                self.counters.launches_committed += 1;
                info!(job = %job, nominal = %now, %trigger, "run outside the schedule queued behind an active run");
                Ok(AcceptedLaunch {
                    job,
                    nominal: now,
                    trigger,
                    runs: Vec::new(),
                })
            }
            Some(CommitOutcome::Skipped(reason)) => {
                self.counters.occurrences_skipped += 1;
                Err(SchedulerError::Skipped { job, reason })
            }
            Some(CommitOutcome::Rejected(detail)) => {
                self.counters.decisions_rejected += 1;
                Err(SchedulerError::Rejected { job, detail })
            }
            Some(CommitOutcome::Recorded) | None => Err(SchedulerError::Rejected {
                job,
                detail: "backend gave no launch outcome".to_string(),
            }),
        };
        (answer, Flow::Continue)
    }
}
