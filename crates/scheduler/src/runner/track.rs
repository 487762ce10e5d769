//! Loading and tracking jobs, and deciding about the ones that are due.

use chrono::{DateTime, Utc};
use dkron_model::Trigger;
use tracing::{debug, info, warn};

use super::{Backoff, Flow, Runner, TrackedJob, stop_signal};
use crate::backend::{ScheduledJob, SchedulerBackend};
use crate::decision::Decision;
use crate::error::SchedulerError;
use crate::plan::{next_scheduled, plan_job};
use crate::planned_job::PlanningFacts;

/// Jobs read per call when loading, so that only this many whole jobs are in memory at once.
const LOAD_PAGE: usize = 1_000;

/// What planning one job produced, applied once its decisions are committed.
struct Planned {
    name: String,
    cursor: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
}

impl<B: SchedulerBackend> Runner<B> {
    /// Reads every job once, a page at a time (so only a page of whole jobs is in memory at
    /// once), retrying a page with backoff until it works or leadership is lost.
    pub(super) async fn load_jobs(&mut self) -> Flow {
        let mut backoff = Backoff::new();
        let mut after: Option<String> = None;
        loop {
            let backend = std::sync::Arc::clone(&self.backend);
            let mut stop = self.stop.clone();
            let loaded = tokio::select! {
                biased;
                () = stop_signal(&mut stop) => return Flow::Stop,
                loaded = backend.load_jobs(after.as_deref(), LOAD_PAGE) => loaded,
            };
            match loaded {
                Ok(jobs) => {
                    backoff = Backoff::new();
                    let full_page = jobs.len() == LOAD_PAGE;
                    let now = self.clock.now();
                    for scheduled in jobs {
                        after = Some(scheduled.job.name.clone());
                        self.track(scheduled, now);
                    }
                    if full_page {
                        continue;
                    }
                    info!(
                        jobs_tracked = self.jobs.len(),
                        jobs_scheduled = self.timers.len(),
                        "jobs loaded"
                    );
                    self.publish(None);
                    return Flow::Continue;
                }
                Err(SchedulerError::NotLeader { detail }) => {
                    warn!(detail = %detail, "not the leader while loading jobs; scheduler stops");
                    return Flow::Stop;
                }
                Err(error) => {
                    warn!(error = %error, "loading jobs failed; retrying");
                    if self.backoff_wait(&mut backoff).await == Flow::Stop {
                        return Flow::Stop;
                    }
                }
            }
        }
    }

    /// Inserts or replaces a job and schedules its next occurrence.
    ///
    /// The cursor never moves back: the newer of the cursor already held and the one given
    /// wins, so a stale read cannot make an occurrence be decided twice.
    pub(super) fn track(&mut self, scheduled: ScheduledJob, now: DateTime<Utc>) {
        let name = scheduled.job.name.clone();
        let previous_cursor = self.untrack(&name).map(|previous| previous.cursor);
        let schedule = match self.backend.parse_schedule(&scheduled.job) {
            Ok(schedule) => Some(schedule),
            Err(error) => {
                warn!(job = %name, error = %error, "schedule does not parse; job runs only manually");
                None
            }
        };
        let cursor = previous_cursor.max(scheduled.cursor).unwrap_or(now);
        let next = schedule
            .as_ref()
            .and_then(|schedule| next_scheduled(&scheduled.job, schedule, cursor));
        if let Some(nominal) = next {
            self.timers.insert(nominal, name.clone());
        }
        debug!(job = %name, cursor = %cursor, next = ?next, "job tracked");
        self.jobs.insert(
            name,
            TrackedJob {
                job: PlanningFacts::of(&scheduled.job),
                schedule,
                cursor,
                next,
            },
        );
    }

    /// Forgets a job and cancels its timer.
    pub(super) fn untrack(&mut self, name: &str) -> Option<TrackedJob> {
        let tracked = self.jobs.remove(name)?;
        if let Some(nominal) = tracked.next {
            self.timers.remove(nominal, name);
        }
        Some(tracked)
    }

    /// Plans the jobs due by `now + launch_lead` (until a batch is full), commits their
    /// decisions and re-arms their timers.
    pub(super) async fn decide_due(&mut self, now: DateTime<Utc>) -> Flow {
        let horizon = self.horizon(now);
        let mut decisions: Vec<Decision> = Vec::new();
        let mut planned: Vec<Planned> = Vec::new();
        let mut missed = MissedTally::default();
        while decisions.len() < self.config.max_batch {
            // Occurrences that can still start on time go first: ones already late (a new
            // leader's backlog, an overloaded round) are late whatever comes first, and must
            // not make the next ones late too. Nothing is dropped: late ones follow in the
            // same round once no on-time one is left.
            let next = self
                .timers
                .pop_due_from(now, horizon)
                .or_else(|| self.timers.pop_due(horizon));
            let Some((_, name)) = next else {
                break;
            };
            let Some(tracked) = self.jobs.get_mut(&name) else {
                continue;
            };
            tracked.next = None;
            let Some(schedule) = tracked.schedule.as_ref() else {
                continue;
            };
            let rules = self.rules.for_job(&tracked.job);
            let plan = plan_job(&tracked.job, schedule, Some(tracked.cursor), now, &rules);
            missed.count(&name, &plan.decisions);
            decisions.extend(plan.decisions);
            planned.push(Planned {
                name,
                cursor: plan.cursor,
                next: plan.next,
            });
        }
        missed.log();
        for batch in decisions.chunks(self.config.max_batch) {
            if self.commit_scheduled(batch.to_vec()).await == Flow::Stop {
                return Flow::Stop;
            }
        }
        for done in planned {
            self.rearm(done);
        }
        Flow::Continue
    }

    fn rearm(&mut self, planned: Planned) {
        let Some(tracked) = self.jobs.get_mut(&planned.name) else {
            return;
        };
        tracked.cursor = tracked.cursor.max(planned.cursor);
        tracked.next = planned.next;
        if let Some(nominal) = planned.next {
            self.timers.insert(nominal, planned.name);
        }
    }
}

/// What the misfire policy did in one round of planning, logged once per round (a leader
/// that resumes with thousands of late jobs writes one line, not thousands).
#[derive(Debug, Default)]
struct MissedTally {
    jobs: u64,
    skipped: u64,
    caught_up: u64,
}

impl MissedTally {
    fn count(&mut self, job: &str, decisions: &[Decision]) {
        let mut skipped = 0_u64;
        let mut caught_up = 0_u64;
        for decision in decisions {
            match decision {
                Decision::Launch {
                    trigger: Trigger::CatchUp,
                    ..
                } => caught_up += 1,
                Decision::Launch { .. } => {}
                Decision::Skip { .. } | Decision::SkipRange { .. } => {
                    skipped += decision.occurrence_count()
                }
            }
        }
        if skipped > 0 || caught_up > 0 {
            debug!(job = %job, skipped, caught_up, "missed occurrences decided");
            self.jobs += 1;
            self.skipped += skipped;
            self.caught_up += caught_up;
        }
    }

    fn log(&self) {
        if self.jobs > 0 {
            info!(
                jobs = self.jobs,
                skipped = self.skipped,
                caught_up = self.caught_up,
                "missed occurrences decided by the misfire policy"
            );
        }
    }
}
