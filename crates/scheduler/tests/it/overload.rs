//! A running scheduler that falls behind says so: the ledger gives the overload as the
//! reason (never the outage reason), and the status reports the lag while it lasts.

use chrono::TimeDelta;
use dkron_model::{SkipReason, Trigger};
use dkron_scheduler::SchedulerConfig;
use dkron_scheduler::testsuite::RecordedState;
use tracing::info;

use crate::harness::{Harness, job, t0, t0_plus};

#[tokio::test]
async fn occurrences_reached_late_by_a_running_scheduler_are_recorded_as_overloaded() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("every-second", "@every 1s"), Some(t0()));
    harness.start(SchedulerConfig::default());
    info!("phase: on time for ten seconds");
    harness.step_to(t0_plus(10), TimeDelta::seconds(1)).await;
    assert_eq!(harness.handle().status().lag_ms, 0);

    info!("phase: the scheduler stalls for 6.5 s (its clock jumps), then resumes");
    let status = harness
        .advance_to(t0_plus(16) + TimeDelta::milliseconds(500))
        .await;
    assert_eq!(
        status.max_lag_ms, 5_500,
        "the oldest undecided occurrence was due at t+11"
    );
    assert_eq!(status.occurrences_overloaded, 3);

    let ledger = harness.backend.ledger("every-second");
    let late: Vec<_> = ledger
        .iter()
        .filter(|(nominal, _)| *nominal > t0_plus(10) && *nominal <= t0_plus(16))
        .collect();
    let reasons: Vec<String> = late
        .iter()
        .map(|(_, record)| match &record.state {
            RecordedState::Skipped(reason) => reason.to_string(),
            RecordedState::Launched => format!("launched ({})", record.trigger),
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "overloaded: the scheduler was 5.5 s behind",
            "overloaded: the scheduler was 4.5 s behind",
            "overloaded: the scheduler was 3.5 s behind",
            // The newest late one runs once (run_once), the ones inside the grace on time.
            "launched (catch_up)",
            "launched (schedule)",
            "launched (schedule)",
        ]
    );
    for (_, record) in &ledger {
        assert_ne!(
            record.state,
            RecordedState::Skipped(SkipReason::Misfire),
            "no outage happened"
        );
    }
    assert!(
        status.behind_since.is_some(),
        "an overload episode is in progress"
    );

    info!(
        "phase: on time again (whole seconds: the clock stands at each nominal time); the episode ends after a calm stretch"
    );
    harness.advance_to(t0_plus(17)).await;
    harness.step_to(t0_plus(30), TimeDelta::seconds(1)).await;
    let status = harness.handle().status();
    assert_eq!(status.lag_ms, 0);
    assert_eq!(status.behind_since, None);
    assert!(
        harness
            .backend
            .ledger("every-second")
            .iter()
            .filter(|(nominal, _)| *nominal > t0_plus(17))
            .all(|(_, record)| record.trigger == Trigger::Schedule)
    );
}
