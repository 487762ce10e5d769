//! The list reads of the in-memory backend: listings, named pages and streamed selections,
//! shaped as a real node returns them.

use dkron_model::Job;

use crate::backend::{BackendError, JobSelection, JobStream};

/// A job with only the fields a listing carries (as the store's compact listing).
pub(crate) fn listing_of(job: Job) -> Job {
    Job {
        tags: None,
        executor_config: None,
        processors: None,
        dependent_jobs: None,
        ..job
    }
}

/// The named jobs that exist, in the order given.
pub(crate) fn named(jobs: &[Job], names: &[String]) -> Vec<Job> {
    let by_name: std::collections::HashMap<&str, &Job> =
        jobs.iter().map(|job| (job.name.as_str(), job)).collect();
    names
        .iter()
        .filter_map(|name| by_name.get(name.as_str()).map(|job| (*job).clone()))
        .collect()
}

/// The selected jobs, in the selection's order (`jobs` is in name order).
pub(crate) fn select(jobs: Vec<Job>, selection: JobSelection) -> Vec<Job> {
    match selection {
        JobSelection::ByName {
            skip,
            limit,
            descending,
        } => {
            let mut jobs = jobs;
            if descending {
                jobs.reverse();
            }
            let limit = limit.unwrap_or(usize::MAX);
            jobs.into_iter().skip(skip).take(limit).collect()
        }
        JobSelection::Named(names) => named(&jobs, &names),
    }
}

/// Hands `jobs` over through a channel as a node does (all of them are ready here).
pub(crate) fn stream(total: usize, jobs: Vec<Job>) -> JobStream {
    let (sender, receiver) = tokio::sync::mpsc::channel(jobs.len().max(1));
    for job in jobs {
        sender
            .try_send(Ok::<Job, BackendError>(job))
            .expect("the channel holds every job");
    }
    JobStream {
        total,
        jobs: receiver,
    }
}
