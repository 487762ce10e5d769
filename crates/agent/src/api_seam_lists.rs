//! The job list reads of the API's backend, each off the async threads (they read many
//! records) and each bounded: listings one at a time, a page's jobs by name, and a streamed
//! list that reads the next job only when the answer has room for it.

use std::ops::ControlFlow;

use chrono::Utc;
use dkron_api::{BackendError, JobSelection, JobStream, ListingVisitor};
use dkron_model::Job;
use dkron_store::StoreError;
use tokio::sync::{mpsc, oneshot};

use crate::api_seam::ApiSeam;

/// Jobs read ahead of a streamed answer: what one streamed list holds in memory beyond the
/// chunk being written (ADR 23).
pub(crate) const STREAM_JOBS_AHEAD: usize = 8;

fn internal(error: StoreError) -> BackendError {
    BackendError::Internal(error.to_string())
}

fn stopped(error: tokio::task::JoinError) -> BackendError {
    BackendError::Internal(format!("listing jobs stopped: {error}"))
}

impl ApiSeam {
    /// See [`dkron_api::ApiBackend::visit_job_listings`].
    pub(crate) async fn listings<V: ListingVisitor>(
        &self,
        mut visitor: V,
    ) -> Result<V, BackendError> {
        let node = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            node.raft
                .store()
                .for_each_job_listing(|listing| visitor.visit(node.present_listing(listing, now)))
                .map_err(internal)?;
            Ok(visitor)
        })
        .await
        .map_err(stopped)?
    }

    /// See [`dkron_api::ApiBackend::jobs_named`].
    pub(crate) async fn named(&self, names: Vec<String>) -> Result<Vec<Job>, BackendError> {
        let node = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            let stored = node.raft.store().jobs_named(&names).map_err(internal)?;
            Ok(stored
                .into_iter()
                .map(|job| node.present(job, now))
                .collect())
        })
        .await
        .map_err(stopped)?
    }

    /// See [`dkron_api::ApiBackend::stream_jobs`]. A blocking task holds one read
    /// transaction and hands the jobs over through a channel of [`STREAM_JOBS_AHEAD`]; it
    /// stops as soon as the answer is dropped (the client went away).
    pub(crate) async fn stream(&self, selection: JobSelection) -> Result<JobStream, BackendError> {
        let node = self.0.clone();
        let (sender, mut jobs) = mpsc::channel(STREAM_JOBS_AHEAD);
        let (total_sender, total) = oneshot::channel();
        tokio::task::spawn_blocking(move || {
            let now = Utc::now();
            let store = node.raft.store();
            // A send fails once the answer is dropped (the client went away): stop reading.
            let hand_over = |stored| match sender.blocking_send(Ok(node.present(stored, now))) {
                Ok(()) => ControlFlow::Continue(()),
                Err(_) => ControlFlow::Break(()),
            };
            let read = match &selection {
                JobSelection::ByName {
                    skip,
                    limit,
                    descending,
                } => store.visit_jobs_by_name(
                    *skip,
                    *limit,
                    *descending,
                    // A request that is gone no longer wants the count.
                    |count| total_sender.send(count).unwrap_or(()),
                    hand_over,
                ),
                JobSelection::Named(names) => {
                    total_sender.send(names.len()).unwrap_or(());
                    store.visit_named_jobs(names, hand_over)
                }
            };
            if let Err(error) = read {
                // Ends the answer with the reason (or, before the count, fails the request).
                drop(sender.blocking_send(Err(internal(error))));
            }
        });
        match total.await {
            Ok(total) => Ok(JobStream { total, jobs }),
            Err(_) => Err(match jobs.recv().await {
                Some(Err(error)) => error,
                _ => BackendError::Internal("listing jobs stopped before it began".into()),
            }),
        }
    }
}
