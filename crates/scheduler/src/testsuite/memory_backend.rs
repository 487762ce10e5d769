//! An in-memory `SchedulerBackend` with a ledger, cursors and fault injection.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Utc};
use dkron_model::{Job, Schedule, ScheduleError, SkipReason, Trigger, execution_id};

use crate::backend::{AcceptedLaunch, CommitOutcome, PlannedRun, ScheduledJob, SchedulerBackend};
use crate::clock::Clock;
use crate::decision::Decision;
use crate::error::SchedulerError;

/// The node every accepted launch is planned on.
const NODE_NAME: &str = "memory-node";

/// What the ledger holds for one occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRecord {
    /// What caused the occurrence.
    pub trigger: Trigger,
    /// Launched or skipped.
    pub state: RecordedState,
}

/// The state of one recorded occurrence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedState {
    /// A launch was accepted.
    Launched,
    /// The occurrence was skipped.
    Skipped(SkipReason),
}

/// A recorded run of skipped occurrences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRange {
    /// Oldest nominal time.
    pub first: DateTime<Utc>,
    /// Newest nominal time.
    pub last: DateTime<Utc>,
    /// Occurrences in the range.
    pub count: u64,
}

/// A launch handed to the dispatcher, with the clock time of the hand-off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// The launch.
    pub launch: AcceptedLaunch,
    /// Clock time of the `dispatch` call.
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default)]
struct MemoryState {
    jobs: BTreeMap<String, ScheduledJob>,
    ledger: BTreeMap<(String, DateTime<Utc>), LedgerRecord>,
    ranges: BTreeMap<String, Vec<RecordedRange>>,
    dispatched: Vec<Dispatched>,
    commit_sizes: Vec<usize>,
    committed: Vec<(String, DateTime<Utc>)>,
    failures_left: usize,
    commits_before_leadership_loss: Option<usize>,
    overlapping_jobs: BTreeSet<String>,
}

/// A backend that keeps everything in memory: jobs with cursors, a ledger of occurrences, the
/// dispatched launches. Commits are atomic and idempotent like the replicated one's.
pub struct InMemoryBackend {
    clock: Arc<dyn Clock>,
    state: Mutex<MemoryState>,
}

impl std::fmt::Debug for InMemoryBackend {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("InMemoryBackend")
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

impl InMemoryBackend {
    /// Returns an empty backend stamping dispatches with `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        InMemoryBackend {
            clock,
            state: Mutex::new(MemoryState::default()),
        }
    }

    fn state(&self) -> MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates or replaces a job with the given cursor and returns it as the scheduler sees it.
    pub fn put_job(&self, job: Job, cursor: Option<DateTime<Utc>>) -> ScheduledJob {
        let scheduled = ScheduledJob { job, cursor };
        self.state()
            .jobs
            .insert(scheduled.job.name.clone(), scheduled.clone());
        scheduled
    }

    /// Deletes a job (its ledger stays).
    pub fn remove_job(&self, name: &str) {
        self.state().jobs.remove(name);
    }

    /// Makes the next `count` commits fail with a retryable backend error.
    pub fn fail_next_commits(&self, count: usize) {
        self.state().failures_left = count;
    }

    /// Accepts `commits` more commits, then answers every commit with `NotLeader`.
    pub fn lose_leadership_after(&self, commits: usize) {
        self.state().commits_before_leadership_loss = Some(commits);
    }

    /// Accepts commits again after `lose_leadership_after`.
    pub fn regain_leadership(&self) {
        self.state().commits_before_leadership_loss = None;
    }

    /// Answers every launch of `job` with a skip for overlap, as `concurrency: forbid` would.
    pub fn skip_launches_as_overlap(&self, job: &str) {
        self.state().overlapping_jobs.insert(job.to_string());
    }

    /// Records an occurrence as launched, as an earlier leader would have.
    pub fn record_launched(&self, job: &str, nominal: DateTime<Utc>, trigger: Trigger) {
        let record = LedgerRecord {
            trigger,
            state: RecordedState::Launched,
        };
        self.state()
            .ledger
            .insert((job.to_string(), nominal), record);
    }

    /// Returns the replicated cursor of a job.
    pub fn cursor(&self, job: &str) -> Option<DateTime<Utc>> {
        self.state()
            .jobs
            .get(job)
            .and_then(|scheduled| scheduled.cursor)
    }

    /// Returns the individual ledger entries of a job, by nominal time.
    pub fn ledger(&self, job: &str) -> Vec<(DateTime<Utc>, LedgerRecord)> {
        self.state()
            .ledger
            .iter()
            .filter(|((name, _), _)| name == job)
            .map(|((_, nominal), record)| (*nominal, record.clone()))
            .collect()
    }

    /// Returns the skip ranges recorded for a job.
    pub fn ranges(&self, job: &str) -> Vec<RecordedRange> {
        self.state().ranges.get(job).cloned().unwrap_or_default()
    }

    /// Returns every dispatched launch, in dispatch order.
    pub fn dispatched(&self) -> Vec<Dispatched> {
        self.state().dispatched.clone()
    }

    /// Returns the size of every successful commit, in order.
    pub fn commit_sizes(&self) -> Vec<usize> {
        self.state().commit_sizes.clone()
    }

    /// Returns the job and nominal time of every committed launch, in commit order.
    pub fn committed_launches(&self) -> Vec<(String, DateTime<Utc>)> {
        self.state().committed.clone()
    }

    fn commit_now(&self, decisions: Vec<Decision>) -> Result<Vec<CommitOutcome>, SchedulerError> {
        let mut state = self.state();
        if let Some(left) = state.commits_before_leadership_loss {
            if left == 0 {
                return Err(SchedulerError::NotLeader {
                    detail: "in-memory backend lost leadership".to_string(),
                });
            }
            state.commits_before_leadership_loss = Some(left - 1);
        }
        if state.failures_left > 0 {
            state.failures_left -= 1;
            return Err(SchedulerError::Backend {
                detail: "injected commit failure".to_string(),
            });
        }
        state.commit_sizes.push(decisions.len());
        let outcomes = decisions
            .iter()
            .map(|decision| state.apply(decision))
            .collect();
        Ok(outcomes)
    }
}

impl MemoryState {
    fn apply(&mut self, decision: &Decision) -> CommitOutcome {
        let job = decision.job().to_string();
        if !self.jobs.contains_key(&job) {
            return CommitOutcome::Rejected(format!("unknown job {job}"));
        }
        if self.already_decided(&job, decision) {
            return CommitOutcome::Rejected("occurrence already decided".to_string());
        }
        let outcome = match decision {
            Decision::Launch {
                nominal, trigger, ..
            } => {
                let (state, outcome) = if self.overlapping_jobs.contains(&job) {
                    let reason = SkipReason::Overlap;
                    (
                        RecordedState::Skipped(reason.clone()),
                        CommitOutcome::Skipped(reason),
                    )
                } else {
                    let launch = AcceptedLaunch {
                        job: job.clone(),
                        nominal: *nominal,
                        trigger: *trigger,
                        runs: vec![PlannedRun {
                            execution_id: execution_id(*nominal, NODE_NAME, 1),
                            node_name: NODE_NAME.to_string(),
                        }],
                    };
                    self.committed.push((job.clone(), *nominal));
                    (RecordedState::Launched, CommitOutcome::Launched(launch))
                };
                let record = LedgerRecord {
                    trigger: *trigger,
                    state,
                };
                self.ledger.insert((job.clone(), *nominal), record);
                outcome
            }
            Decision::Skip {
                nominal,
                trigger,
                reason,
                ..
            } => {
                let record = LedgerRecord {
                    trigger: *trigger,
                    state: RecordedState::Skipped(reason.clone()),
                };
                self.ledger.insert((job.clone(), *nominal), record);
                CommitOutcome::Recorded
            }
            Decision::SkipRange {
                first, last, count, ..
            } => {
                let range = RecordedRange {
                    first: *first,
                    last: *last,
                    count: *count,
                };
                self.ranges.entry(job.clone()).or_default().push(range);
                CommitOutcome::Recorded
            }
        };
        if decision.advances_cursor()
            && let Some(scheduled) = self.jobs.get_mut(&job)
        {
            scheduled.cursor = scheduled.cursor.max(Some(decision.last_nominal()));
        }
        outcome
    }

    fn already_decided(&self, job: &str, decision: &Decision) -> bool {
        let first = (job.to_string(), decision.first_nominal());
        let last = (job.to_string(), decision.last_nominal());
        let in_ledger = self.ledger.range(first..=last).next().is_some();
        let in_range = self.ranges.get(job).is_some_and(|ranges| {
            ranges.iter().any(|range| {
                range.first <= decision.last_nominal() && decision.first_nominal() <= range.last
            })
        });
        in_ledger || in_range
    }
}

impl SchedulerBackend for InMemoryBackend {
    async fn load_jobs(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ScheduledJob>, SchedulerError> {
        use std::ops::Bound;
        let start = after.map_or(Bound::Unbounded, |name| Bound::Excluded(name.to_string()));
        Ok(self
            .state()
            .jobs
            .range((start, Bound::Unbounded))
            .take(limit)
            .map(|(_, job)| job.clone())
            .collect())
    }

    async fn load_job(&self, name: &str) -> Result<Option<ScheduledJob>, SchedulerError> {
        Ok(self.state().jobs.get(name).cloned())
    }

    async fn commit(&self, decisions: Vec<Decision>) -> Result<Vec<CommitOutcome>, SchedulerError> {
        self.commit_now(decisions)
    }

    fn dispatch(&self, launch: AcceptedLaunch) {
        let at = self.clock.now();
        self.state().dispatched.push(Dispatched { launch, at });
    }

    fn parse_schedule(&self, job: &Job) -> Result<Schedule, ScheduleError> {
        job.parse_schedule(chrono_tz::UTC)
    }
}
