//! The figures a scrape cannot read from the state: run durations and start lateness, counted
//! from the run records the state machine applies (every server applies every record, so each
//! server's figures cover the whole cluster), kept in fixed-bucket histograms since this
//! process started.

use std::sync::{Arc, Mutex, MutexGuard};

use dkron_cluster::RunObservation;
use dkron_model::limits;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::completeness_cache::CompletenessCache;
use super::durations::{CheckJobs, JobDurations};
use super::histogram::Histogram;
use crate::node::Node;

/// Bucket bounds of run durations, in seconds: from a quick command to an hour-long job.
const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Bucket bounds of start lateness, in seconds: a healthy cluster stays in the first ones.
const LATENESS_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// What the state machine's run records told so far. Its memory is bounded: one histogram of
/// fixed buckets for lateness, and one per job for durations, bounded by [`JobDurations`].
#[derive(Debug)]
pub(super) struct Observed {
    /// Start lateness of every run.
    pub(super) lateness: Histogram,
    /// Run durations, per existing job.
    pub(super) durations: JobDurations,
}

/// The figures a scrape cannot read from the state: kept since this process started.
#[derive(Debug)]
pub struct Metrics {
    observed: Mutex<Observed>,
    /// The last completeness figures and when they were computed (they read the ledger of
    /// every job, so scrapes in quick succession share them).
    completeness: Mutex<Option<CompletenessCache>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            observed: Mutex::new(Observed {
                lateness: Histogram::new(LATENESS_BUCKETS),
                durations: JobDurations::new(
                    DURATION_BUCKETS,
                    limits::JOB_DURATION_HISTOGRAMS_CHECKED_FROM,
                ),
            }),
            completeness: Mutex::new(None),
        }
    }
}

impl Metrics {
    fn observe(&self, seen: RunObservation) -> CheckJobs {
        let mut observed = self.lock_observed();
        match seen {
            RunObservation::Started { lateness, .. } => {
                observed.lateness.observe(seconds(lateness));
                CheckJobs::NotYet
            }
            RunObservation::Finished {
                job,
                duration: Some(duration),
                ..
            } => observed.durations.observe(job, seconds(duration)),
            RunObservation::Finished { duration: None, .. } => CheckJobs::NotYet,
        }
    }

    /// Drops the duration histograms of jobs that are no longer stored. Blocking: it reads
    /// the store once per histogram.
    fn keep_existing_jobs(&self, node: &Node) {
        let store = node.raft.store();
        // A job that cannot be read is kept: the next check looks again.
        let exists = |name: &str| !matches!(store.job(name), Ok(None));
        self.lock_observed().durations.keep_existing(exists);
    }

    /// Returns how many duration histograms are kept, and their bound.
    pub fn duration_histograms(&self) -> (usize, usize) {
        self.lock_observed().durations.len_and_bound()
    }

    /// Returns the histograms, locked: hold the guard only to read or prune them.
    pub(super) fn lock_observed(&self) -> MutexGuard<'_, Observed> {
        self.observed
            .lock()
            .expect("metrics lock is never poisoned")
    }

    /// Returns the slot of the last completeness figures, shared by quick scrapes.
    pub(super) fn completeness_cache(&self) -> &Mutex<Option<CompletenessCache>> {
        &self.completeness
    }
}

/// A lateness or duration in seconds, never negative (a run that started a little early
/// counts as on time).
pub(super) fn seconds(delta: chrono::TimeDelta) -> f64 {
    let seconds = delta.num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
    seconds.max(0.0)
}

/// Feeds the metrics from the state machine's run records until `stop`.
pub async fn follow(node: Arc<Node>, metrics: Arc<Metrics>, stop: CancellationToken) {
    let mut records = node.raft.run_observations();
    loop {
        let seen = tokio::select! {
            _ = stop.cancelled() => return,
            seen = records.recv() => seen,
        };
        match seen {
            Ok(seen) => {
                if metrics.observe(seen) == CheckJobs::Due {
                    keep_existing_jobs(&node, &metrics).await;
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::debug!(
                    missed,
                    "metrics fell behind the run records; some are not counted"
                );
            }
            Err(RecvError::Closed) => return,
        }
    }
}

/// Checks the duration histograms against the stored jobs, off the async threads.
async fn keep_existing_jobs(node: &Arc<Node>, metrics: &Arc<Metrics>) {
    let (node, metrics) = (node.clone(), metrics.clone());
    let checked = tokio::task::spawn_blocking(move || metrics.keep_existing_jobs(&node)).await;
    if let Err(error) = checked {
        tracing::warn!(error = %error, "cannot check duration histograms against the jobs");
    }
}
