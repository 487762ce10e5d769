//! A backend that refuses, fails or skips is tolerated.

use chrono::TimeDelta;
use dkron_model::{SkipReason, Trigger};
use dkron_scheduler::SchedulerConfig;
use dkron_scheduler::testsuite::RecordedState;
use tracing::info;

use crate::harness::{Harness, job, t0, t0_plus};

/// dkron#541: an occurrence launched by an earlier leader must not run again.
#[tokio::test]
async fn an_occurrence_already_in_the_ledger_is_not_launched_again() {
    let mut harness = Harness::new();
    harness.backend.put_job(job("a", "@every 5s"), Some(t0()));
    info!("phase: an earlier leader launched +10 s but crashed before moving the cursor");
    harness
        .backend
        .record_launched("a", t0_plus(10), Trigger::Schedule);
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(15), TimeDelta::seconds(1)).await;
    assert_eq!(
        harness.dispatched_nominals("a"),
        vec![t0_plus(5), t0_plus(15)]
    );
    let status = harness.handle().status();
    assert_eq!(status.decisions_rejected, 1);
    assert_eq!(harness.backend.cursor("a"), Some(t0_plus(15)));
}

#[tokio::test]
async fn a_failed_commit_is_retried_until_it_is_applied() {
    let mut harness = Harness::new();
    harness.backend.put_job(job("a", "@every 5s"), Some(t0()));
    harness.backend.fail_next_commits(2);
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(5), TimeDelta::seconds(1)).await;
    // The retries wait in real time (100 ms, then 200 ms) and then the launch goes out.
    let status = dkron_scheduler::testsuite::wait_for_status(
        harness.handle(),
        crate::harness::PATIENCE,
        |status| status.launches_dispatched == 1,
    )
    .await
    .expect("launch dispatched after the retries");
    assert_eq!(status.commit_failures, 2);
    assert_eq!(harness.backend.ledger("a").len(), 1);
    assert_eq!(harness.backend.dispatched()[0].launch.nominal, t0_plus(5));
}

#[tokio::test]
async fn a_launch_the_backend_skips_is_recorded_and_not_dispatched() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("busy", "@every 2s"), Some(t0()));
    harness.backend.skip_launches_as_overlap("busy");
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(6), TimeDelta::seconds(1)).await;
    assert!(harness.backend.dispatched().is_empty());
    let ledger = harness.backend.ledger("busy");
    assert_eq!(ledger.len(), 3);
    assert!(
        ledger
            .iter()
            .all(|(_, record)| record.state == RecordedState::Skipped(SkipReason::Overlap))
    );
    assert_eq!(harness.handle().status().occurrences_skipped, 3);
}
