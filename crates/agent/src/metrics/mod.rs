//! `/metrics` in Prometheus format (with `enable-prometheus`, as in Dkron).
//!
//! Figures come from three places: the replicated state read at scrape time (jobs, their
//! run counters, the ledger completeness), run records as the state machine applies them
//! (durations and start lateness: every server applies every record, so each server's figures
//! cover the whole cluster), and this node's own view (Raft, gossip, running executions).

mod completeness;
mod exposition;
mod histogram;
mod render;
pub mod statsd;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use dkron_cluster::RunObservation;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use self::completeness::Tally;
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
    durations: HashMap<String, Histogram>,
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
                durations: HashMap::new(),
            }),
            completeness: Mutex::new(None),
        }
    }
}

impl Metrics {
    fn observe(&self, seen: RunObservation) {
        let mut observed = self
            .observed
            .lock()
            .expect("metrics lock is never poisoned");
        match seen {
            RunObservation::Started { lateness, .. } => {
                observed.lateness.observe(seconds(lateness));
            }
            RunObservation::Finished {
                job,
                duration: Some(duration),
                ..
            } => {
                observed
                    .durations
                    .entry(job)
                    .or_insert_with(|| Histogram::new(DURATION_BUCKETS))
                    .observe(seconds(duration));
            }
            RunObservation::Finished { duration: None, .. } => {}
        }
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
            Ok(seen) => metrics.observe(seen),
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
