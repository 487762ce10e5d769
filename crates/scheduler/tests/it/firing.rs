//! Jobs fire at their nominal times, in order, each occurrence exactly once.

use chrono::TimeDelta;
use dkron_model::Trigger;
use dkron_scheduler::SchedulerConfig;
use dkron_scheduler::testsuite::RecordedState;
use tracing::info;

use crate::harness::{Harness, job, t0, t0_plus};

#[tokio::test]
async fn jobs_fire_at_their_nominal_times_in_order_exactly_once() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("ten", "@every 10s"), Some(t0()));
    harness
        .backend
        .put_job(job("fifteen", "*/15 * * * * *"), Some(t0()));
    harness.start(SchedulerConfig::default());

    info!("phase: one minute of clock, in steps of 250 ms");
    harness
        .step_to(t0_plus(60), TimeDelta::milliseconds(250))
        .await;

    let ten: Vec<_> = (1..=6).map(|step| t0_plus(step * 10)).collect();
    let fifteen: Vec<_> = (1..=4).map(|step| t0_plus(step * 15)).collect();
    assert_eq!(harness.dispatched_nominals("ten"), ten);
    assert_eq!(harness.dispatched_nominals("fifteen"), fifteen);

    info!("phase: every dispatch happened at its nominal time, never before");
    let dispatched = harness.backend.dispatched();
    for pair in dispatched.windows(2) {
        assert!(pair[0].launch.nominal <= pair[1].launch.nominal, "{pair:?}");
    }
    for entry in &dispatched {
        assert_eq!(entry.launch.trigger, Trigger::Schedule);
        assert!(
            entry.at >= entry.launch.nominal,
            "dispatched early: {entry:?}"
        );
        assert!(entry.at - entry.launch.nominal < TimeDelta::milliseconds(250));
        assert_eq!(entry.launch.runs.len(), 1);
    }

    info!("phase: the ledger holds each occurrence once, launched, and the cursor moved");
    let ledger = harness.backend.ledger("ten");
    assert_eq!(
        ledger
            .iter()
            .map(|(nominal, _)| *nominal)
            .collect::<Vec<_>>(),
        ten
    );
    assert!(
        ledger
            .iter()
            .all(|(_, record)| record.state == RecordedState::Launched)
    );
    assert_eq!(harness.backend.cursor("ten"), Some(t0_plus(60)));
    assert_eq!(harness.backend.cursor("fifteen"), Some(t0_plus(60)));

    let status = harness.handle().status();
    assert_eq!(status.launches_committed, 10);
    assert_eq!(status.launches_dispatched, 10);
    assert_eq!(status.jobs_tracked, 2);
    assert_eq!(
        status.next_wake,
        Some(t0_plus(70) - TimeDelta::milliseconds(200))
    );
}

#[tokio::test]
async fn launch_intent_is_committed_ahead_and_dispatched_on_time() {
    let mut harness = Harness::new();
    harness.backend.put_job(job("a", "@every 10s"), Some(t0()));
    harness.start(SchedulerConfig::default());
    harness.advance_to(t0_plus(1)).await;

    info!("phase: inside the launch lead the intent is committed but not dispatched");
    harness
        .advance_to(t0_plus(10) - TimeDelta::milliseconds(150))
        .await;
    assert_eq!(harness.backend.ledger("a").len(), 1);
    assert!(harness.backend.dispatched().is_empty());
    assert_eq!(harness.handle().status().pending_dispatch, 1);

    info!("phase: at the nominal time it is dispatched");
    harness.advance_to(t0_plus(10)).await;
    assert_eq!(harness.dispatched_nominals("a"), vec![t0_plus(10)]);
    assert_eq!(harness.backend.dispatched()[0].at, t0_plus(10));
}

#[tokio::test]
async fn disabled_child_and_manual_jobs_never_fire() {
    let mut harness = Harness::new();
    let disabled = dkron_model::Job {
        disabled: true,
        ..job("disabled", "@every 1s")
    };
    let child = dkron_model::Job {
        parent_job: "parent".to_string(),
        ..job("child", "@every 1s")
    };
    harness.backend.put_job(disabled, Some(t0()));
    harness.backend.put_job(child, Some(t0()));
    harness
        .backend
        .put_job(job("manual", "@manually"), Some(t0()));
    harness
        .backend
        .put_job(job("broken", "not a schedule"), Some(t0()));
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(5), TimeDelta::seconds(1)).await;
    assert!(harness.backend.dispatched().is_empty());
    let status = harness.handle().status();
    assert_eq!(status.jobs_tracked, 4);
    assert_eq!(status.jobs_scheduled, 0);
    assert_eq!(status.next_wake, None);
}

#[tokio::test]
async fn at_job_fires_once_and_is_done() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("once", "@at 2026-03-01T12:00:03Z"), Some(t0()));
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(10), TimeDelta::seconds(1)).await;
    assert_eq!(harness.dispatched_nominals("once"), vec![t0_plus(3)]);
    assert_eq!(harness.handle().status().jobs_scheduled, 0);
}

#[tokio::test]
async fn a_dispatch_lead_hands_launches_over_early_but_never_before_the_lead() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("ten", "@every 10s"), Some(t0()));
    harness.start(SchedulerConfig {
        dispatch_lead: std::time::Duration::from_millis(100),
        ..SchedulerConfig::default()
    });

    info!("phase: thirty seconds of clock, in steps of 25 ms");
    harness
        .step_to(t0_plus(30), TimeDelta::milliseconds(25))
        .await;
    let dispatched = harness.backend.dispatched();
    assert_eq!(
        harness.dispatched_nominals("ten"),
        (1..=3).map(|step| t0_plus(step * 10)).collect::<Vec<_>>()
    );
    for entry in &dispatched {
        let early = entry.launch.nominal - entry.at;
        assert!(
            early > TimeDelta::zero() && early <= TimeDelta::milliseconds(100),
            "handed over {early:?} ahead: {entry:?}"
        );
    }
}

#[test]
fn a_dispatch_lead_longer_than_the_launch_lead_is_refused() {
    let config = SchedulerConfig {
        dispatch_lead: std::time::Duration::from_millis(300),
        ..SchedulerConfig::default()
    };
    assert_eq!(
        config.validate().unwrap_err().to_string(),
        "dispatch_lead must not exceed launch_lead"
    );
}
