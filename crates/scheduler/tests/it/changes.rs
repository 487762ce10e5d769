//! Commands from the API: job changes, removals, manual runs, and stopping.

use chrono::TimeDelta;
use dkron_model::Trigger;
use dkron_scheduler::{SchedulerConfig, SchedulerError};
use tracing::info;

use crate::harness::{Harness, job, t0, t0_plus};

#[tokio::test]
async fn a_job_change_takes_effect() {
    let mut harness = Harness::new();
    harness.backend.put_job(job("a", "@every 10s"), Some(t0()));
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(10), TimeDelta::seconds(1)).await;
    assert_eq!(harness.dispatched_nominals("a"), vec![t0_plus(10)]);

    info!("phase: the schedule changes to every 3 s, anchored at the change");
    let changed = harness
        .backend
        .put_job(job("a", "@every 3s"), Some(t0_plus(10)));
    harness.handle().job_changed(changed);
    harness.wait_commands(1).await;
    harness.step_to(t0_plus(20), TimeDelta::seconds(1)).await;
    assert_eq!(
        harness.dispatched_nominals("a"),
        vec![t0_plus(10), t0_plus(13), t0_plus(16), t0_plus(19)]
    );

    info!("phase: disabling stops it");
    let disabled = dkron_model::Job {
        disabled: true,
        ..job("a", "@every 3s")
    };
    let disabled = harness.backend.put_job(disabled, Some(t0_plus(20)));
    harness.handle().job_changed(disabled);
    harness.wait_commands(2).await;
    harness.step_to(t0_plus(30), TimeDelta::seconds(1)).await;
    assert_eq!(harness.dispatched_nominals("a").len(), 4);

    info!("phase: re-enabled, it resumes from the re-enable time, without catch-up");
    let enabled = harness
        .backend
        .put_job(job("a", "@every 3s"), Some(t0_plus(30)));
    harness.handle().job_changed(enabled);
    harness.wait_commands(3).await;
    harness.step_to(t0_plus(33), TimeDelta::seconds(1)).await;
    assert_eq!(harness.dispatched_nominals("a").last(), Some(&t0_plus(33)));
    assert_eq!(harness.dispatched_nominals("a").len(), 5);
}

#[tokio::test]
async fn a_stale_cursor_in_a_change_never_repeats_an_occurrence() {
    let mut harness = Harness::new();
    harness.backend.put_job(job("a", "@every 5s"), Some(t0()));
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(10), TimeDelta::seconds(1)).await;

    info!("phase: a change carrying an old cursor is applied from the newer one held");
    harness.handle().job_changed(dkron_scheduler::ScheduledJob {
        job: job("a", "@every 5s"),
        cursor: Some(t0()),
    });
    harness.wait_commands(1).await;
    harness.step_to(t0_plus(15), TimeDelta::seconds(1)).await;
    assert_eq!(
        harness.dispatched_nominals("a"),
        vec![t0_plus(5), t0_plus(10), t0_plus(15)]
    );
}

#[tokio::test]
async fn a_removed_job_stops_firing() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("gone", "@every 2s"), Some(t0()));
    harness
        .backend
        .put_job(job("stays", "@every 2s"), Some(t0()));
    harness.start(SchedulerConfig::default());
    harness.step_to(t0_plus(4), TimeDelta::seconds(1)).await;
    assert_eq!(harness.dispatched_nominals("gone").len(), 2);

    harness.backend.remove_job("gone");
    harness.handle().job_removed("gone");
    harness.wait_commands(1).await;
    harness.step_to(t0_plus(10), TimeDelta::seconds(1)).await;
    assert_eq!(harness.dispatched_nominals("gone").len(), 2);
    assert_eq!(harness.dispatched_nominals("stays").len(), 5);
    assert_eq!(harness.handle().status().jobs_tracked, 1);
}

#[tokio::test]
async fn run_now_commits_a_manual_occurrence_and_dispatches_it() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("manual", "@manually"), Some(t0()));
    harness.start(SchedulerConfig::default());
    harness.advance_to(t0_plus(1)).await;

    let requested_at = t0_plus(1) + TimeDelta::milliseconds(123);
    let accepted = harness
        .handle()
        .run_now("manual", requested_at)
        .await
        .expect("manual run accepted");
    assert_eq!(accepted.trigger, Trigger::Manual);
    assert_eq!(accepted.nominal, requested_at);
    let dispatched = harness.backend.dispatched();
    assert_eq!(dispatched.len(), 1);
    assert_eq!(dispatched[0].launch, accepted);
    assert_eq!(
        harness.backend.cursor("manual"),
        Some(t0()),
        "manual runs leave the cursor"
    );

    info!("phase: unknown jobs and refused runs are errors");
    let unknown = harness.handle().run_now("nope", requested_at).await;
    assert!(matches!(unknown, Err(SchedulerError::UnknownJob { .. })));

    info!("phase: a job whose creation has not reached the scheduler yet is read from the backend");
    harness
        .backend
        .put_job(job("just-created", "@manually"), Some(t0()));
    let late = harness
        .handle()
        .run_now("just-created", requested_at)
        .await
        .expect("a job the backend has runs");
    assert_eq!(late.job, "just-created");
    assert_eq!(
        harness.handle().status().jobs_tracked,
        2,
        "and is tracked from now on"
    );
    let again = harness.handle().run_now("manual", requested_at).await;
    assert!(
        matches!(again, Err(SchedulerError::Rejected { .. })),
        "{again:?}"
    );
    harness.backend.skip_launches_as_overlap("manual");
    let overlapping = harness.handle().run_now("manual", t0_plus(2)).await;
    assert!(
        matches!(overlapping, Err(SchedulerError::Skipped { .. })),
        "{overlapping:?}"
    );
    let dispatched: Vec<String> = harness
        .backend
        .dispatched()
        .into_iter()
        .map(|dispatched| dispatched.launch.job)
        .collect();
    assert_eq!(dispatched, ["manual", "just-created"]);
}

#[tokio::test]
async fn stop_prevents_any_further_dispatch() {
    let mut harness = Harness::new();
    harness.backend.put_job(job("a", "@every 10s"), Some(t0()));
    harness.start(SchedulerConfig::default());

    info!("phase: the launch at +10 s is committed inside the lead, then the scheduler stops");
    harness
        .advance_to(t0_plus(10) - TimeDelta::milliseconds(100))
        .await;
    assert_eq!(harness.handle().status().pending_dispatch, 1);
    let undispatched = harness.handle().stop().await;
    assert_eq!(undispatched.len(), 1);
    assert_eq!(undispatched[0].nominal, t0_plus(10));
    assert!(!harness.handle().status().running);

    info!("phase: time passes, nothing is dispatched and commands are refused");
    harness.clock.set(t0_plus(60));
    tokio::task::yield_now().await;
    assert!(harness.backend.dispatched().is_empty());
    harness.handle().job_removed("a");
    let refused = harness.handle().run_now("a", t0_plus(60)).await;
    assert_eq!(refused, Err(SchedulerError::Stopped));
    assert!(
        harness.handle().stop().await.is_empty(),
        "a second stop is harmless"
    );
}

#[tokio::test]
async fn dropping_every_handle_stops_the_task() {
    let mut harness = Harness::new();
    harness.backend.put_job(job("a", "@every 1s"), Some(t0()));
    let handle = harness.start(SchedulerConfig::default());
    let mut status = handle.watch_status();
    harness.advance_to(t0_plus(1)).await;
    drop(handle);
    harness.handle = None;
    let stopped = tokio::time::timeout(crate::harness::PATIENCE, async {
        status.wait_for(|status| !status.running).await.is_ok()
    })
    .await;
    assert!(stopped.is_ok(), "the task did not stop");
    assert!(!status.borrow().running);
}
