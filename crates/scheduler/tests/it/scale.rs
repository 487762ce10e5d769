//! Ten thousand jobs due at the same second: batched commits, each occurrence once.

use std::collections::BTreeSet;

use chrono::TimeDelta;
use dkron_scheduler::SchedulerConfig;
use tracing::info;

use crate::harness::{Harness, job, t0, t0_plus};

const JOBS: usize = 10_000;

#[tokio::test]
async fn ten_thousand_jobs_due_together_are_each_launched_once() {
    let mut harness = Harness::new();
    for index in 0..JOBS {
        harness
            .backend
            .put_job(job(&format!("job-{index:05}"), "0 * * * * *"), Some(t0()));
    }
    harness.start(SchedulerConfig::default());
    harness.advance_to(t0_plus(30)).await;
    assert_eq!(harness.handle().status().jobs_scheduled, JOBS);

    info!("phase: the minute comes");
    harness.advance_to(t0_plus(60)).await;
    let dispatched = harness.backend.dispatched();
    assert_eq!(dispatched.len(), JOBS);
    let unique: BTreeSet<_> = dispatched
        .iter()
        .map(|entry| (entry.launch.job.clone(), entry.launch.nominal))
        .collect();
    assert_eq!(unique.len(), JOBS);
    assert!(
        dispatched
            .iter()
            .all(|entry| entry.launch.nominal == t0_plus(60))
    );
    let commits = harness.backend.commit_sizes();
    assert_eq!(commits.len(), JOBS / 500, "one commit per full batch");
    assert!(commits.iter().all(|size| *size == 500));
    assert_eq!(
        harness.handle().status().next_wake,
        Some(t0_plus(120) - TimeDelta::milliseconds(200))
    );
}
