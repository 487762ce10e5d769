//! `/metrics` in Prometheus format (with `enable-prometheus`, as in Dkron).
//!
//! Figures come from three places: the replicated state read at scrape time (jobs, their
//! run counters, the ledger completeness), run records as the state machine applies them
//! (durations and start lateness: every server applies every record, so each server's figures
//! cover the whole cluster), and this node's own view (Raft, gossip, running executions).

mod completeness;
mod durations;
mod exposition;
mod histogram;
mod render;
pub mod statsd;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dkron_cluster::RunObservation;
use dkron_model::limits;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use self::completeness::Tally;
use self::durations::{CheckJobs, JobDurations};
use self::histogram::Histogram;
use crate::node::Node;

/// Bucket bounds of run durations, in seconds: from a quick command to an hour-long job.
const DURATION_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Bucket bounds of start lateness, in seconds: a healthy cluster stays in the first ones.
const LATENESS_BUCKETS: &[f64] = &[
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// What the state machine's run records told so far.
#[derive(Debug)]
struct Observed {
    lateness: Histogram,
    durations: JobDurations,
}

/// The figures a scrape cannot read from the state: kept since this process started.
#[derive(Debug)]
pub struct Metrics {
    observed: Mutex<Observed>,
    /// The last completeness figures and when they were computed (they read the ledger of
    /// every job, so scrapes in quick succession share them).
    completeness: Mutex<Option<render::CompletenessCache>>,
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

    fn lock_observed(&self) -> std::sync::MutexGuard<'_, Observed> {
        self.observed
            .lock()
            .expect("metrics lock is never poisoned")
    }
}

/// A lateness or duration in seconds, never negative (a run that started a little early
/// counts as on time).
fn seconds(delta: chrono::TimeDelta) -> f64 {
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

/// The `/metrics` route.
pub fn router(node: Arc<Node>, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((node, metrics))
}

async fn scrape(State((node, metrics)): State<(Arc<Node>, Arc<Metrics>)>) -> Response {
    let rendered = tokio::task::spawn_blocking(move || render::render(&node, &metrics)).await;
    match rendered {
        Ok(Ok(text)) => ([(header::CONTENT_TYPE, exposition::CONTENT_TYPE)], text).into_response(),
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "cannot render metrics");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot render metrics: {error}"),
            )
                .into_response()
        }
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot render metrics: {error}"),
        )
            .into_response(),
    }
}

/// The completeness of every job with a schedule, and of all of them together.
type CompletenessFigures = (Vec<(String, Tally)>, Tally);
