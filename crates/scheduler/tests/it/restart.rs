//! A new leader resumes from the replicated cursors: missed occurrences follow the misfire
//! policy, and no occurrence is decided twice.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{SkipReason, Trigger};
use dkron_scheduler::testsuite::{InMemoryBackend, RecordedState};
use dkron_scheduler::{MisfirePolicy, SchedulerConfig};
use tracing::info;

use crate::harness::{Harness, job, t0, t0_plus};

/// Every nominal time the backend holds for `job`: individual entries (not manual) and
/// ranges (expanded with the job's period), each exactly once.
fn decided_nominals(backend: &InMemoryBackend, job: &str, period: TimeDelta) -> Vec<DateTime<Utc>> {
    let mut all = Vec::new();
    for range in backend.ranges(job) {
        let mut nominal = range.first;
        for _ in 0..range.count {
            all.push(nominal);
            nominal += period;
        }
        assert_eq!(
            nominal - period,
            range.last,
            "range count matches its bounds"
        );
    }
    for (nominal, record) in backend.ledger(job) {
        if record.trigger != Trigger::Manual {
            all.push(nominal);
        }
    }
    all.sort();
    let unique: BTreeSet<_> = all.iter().collect();
    assert_eq!(unique.len(), all.len(), "an occurrence was decided twice");
    all
}

async fn crash_and_restart(policy: MisfirePolicy) -> Harness {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("minutely", "0 * * * * *"), Some(t0()));
    let config = SchedulerConfig {
        misfire_policy: policy,
        catch_up_window: Duration::from_secs(10 * 60),
        ..SchedulerConfig::default()
    };
    harness.start(config.clone());
    info!("phase: the first leader runs five minutes");
    harness
        .step_to(t0_plus(5 * 60), TimeDelta::seconds(5))
        .await;
    assert_eq!(harness.dispatched_nominals("minutely").len(), 5);

    info!("phase: it crashes; 25 minutes pass without a leader");
    let _undispatched = harness.handle().stop().await;
    harness
        .clock
        .set(t0_plus(30 * 60) + TimeDelta::milliseconds(500));

    info!("phase: a new leader resumes from the replicated cursor");
    harness.start(config);
    harness.advance_to(harness_now(&harness)).await;
    harness
}

fn harness_now(harness: &Harness) -> DateTime<Utc> {
    use dkron_scheduler::Clock;
    harness.clock.now()
}

/// dkron#1210, dkron#256: a new leader must not lose the runs that fell due without one.
#[tokio::test]
async fn restart_runs_the_latest_missed_occurrence_once_under_run_once() {
    let harness = crash_and_restart(MisfirePolicy::RunOnce).await;
    let minutes: Vec<_> = (1..=30).map(|minute| t0_plus(minute * 60)).collect();
    assert_eq!(
        decided_nominals(&harness.backend, "minutely", TimeDelta::minutes(1)),
        minutes
    );

    // 6..=29 were missed: 20..=29 are inside the 10-minute window; only 29 runs (catch-up).
    // 30 is on time (500 ms late).
    let ledger = harness.backend.ledger("minutely");
    let launched: Vec<_> = ledger
        .iter()
        .filter(|(_, record)| record.state == RecordedState::Launched)
        .map(|(nominal, record)| (*nominal, record.trigger))
        .collect();
    let mut expected: Vec<_> = (1..=5)
        .map(|minute| (t0_plus(minute * 60), Trigger::Schedule))
        .collect();
    expected.push((t0_plus(29 * 60), Trigger::CatchUp));
    expected.push((t0_plus(30 * 60), Trigger::Schedule));
    assert_eq!(launched, expected);
    let misfires = ledger
        .iter()
        .filter(|(_, record)| record.state == RecordedState::Skipped(SkipReason::Misfire))
        .count();
    assert_eq!(misfires, 23);
    assert_eq!(harness.dispatched_nominals("minutely").len(), 7);
}

#[tokio::test]
async fn restart_runs_every_missed_occurrence_in_the_window_under_run_all() {
    let harness = crash_and_restart(MisfirePolicy::RunAll).await;
    let minutes: Vec<_> = (1..=30).map(|minute| t0_plus(minute * 60)).collect();
    assert_eq!(
        decided_nominals(&harness.backend, "minutely", TimeDelta::minutes(1)),
        minutes
    );
    let dispatched = harness.dispatched_nominals("minutely");
    let mut expected: Vec<_> = (1..=5).map(|minute| t0_plus(minute * 60)).collect();
    expected.extend((21..=30).map(|minute| t0_plus(minute * 60)));
    assert_eq!(dispatched, expected, "catch-up runs go oldest first");
}

#[tokio::test]
async fn restart_skips_every_missed_occurrence_under_skip() {
    let harness = crash_and_restart(MisfirePolicy::Skip).await;
    let minutes: Vec<_> = (1..=30).map(|minute| t0_plus(minute * 60)).collect();
    assert_eq!(
        decided_nominals(&harness.backend, "minutely", TimeDelta::minutes(1)),
        minutes
    );
    let mut expected: Vec<_> = (1..=5).map(|minute| t0_plus(minute * 60)).collect();
    expected.push(t0_plus(30 * 60));
    assert_eq!(harness.dispatched_nominals("minutely"), expected);
}

/// dkron#541, dkron#1569: a leader change must neither repeat nor drop an occurrence.
#[tokio::test]
async fn a_leader_lost_between_batches_leaves_no_gap_and_no_duplicate() {
    let mut harness = Harness::new();
    harness
        .backend
        .put_job(job("secondly", "@every 1s"), Some(t0()));
    harness.clock.set(t0_plus(3600));
    let config = SchedulerConfig {
        misfire_policy: MisfirePolicy::RunAll,
        catch_up_window: Duration::from_secs(30),
        max_batch: 7,
        max_individual_skips: 20,
        ..SchedulerConfig::default()
    };

    info!("phase: a leader returning after an hour loses leadership after two batches");
    harness.backend.lose_leadership_after(2);
    harness.start(config.clone());
    let stopped = dkron_scheduler::testsuite::wait_for_status(
        harness.handle(),
        crate::harness::PATIENCE,
        |status| !status.running,
    )
    .await;
    assert!(
        stopped.is_ok(),
        "the scheduler stops when leadership is lost"
    );
    assert_eq!(harness.backend.commit_sizes(), vec![7, 7]);

    info!("phase: the next leader finishes the job from the cursor");
    harness.backend.regain_leadership();
    harness.start(config);
    harness.advance_to(t0_plus(3600)).await;
    let seconds: Vec<_> = (1..=3600).map(t0_plus).collect();
    assert_eq!(
        decided_nominals(&harness.backend, "secondly", TimeDelta::seconds(1)),
        seconds
    );
    let dispatched = harness.dispatched_nominals("secondly");
    let unique: BTreeSet<_> = dispatched.iter().collect();
    assert_eq!(
        unique.len(),
        dispatched.len(),
        "no occurrence dispatched twice"
    );
    // 30 s window minus 2 s grace: 28 catch-up runs, plus 3 on time (grace 2 s, incl. now).
    assert_eq!(dispatched.len(), 31);
    assert_eq!(harness.handle().status().decisions_rejected, 0);
}

/// A new leader with a backlog commits the occurrences that can still start on time before
/// the ones already late, so the backlog does not make the next ones late too; the late ones
/// follow in the same round, none dropped.
#[tokio::test]
async fn a_new_leader_commits_what_can_still_be_on_time_before_its_backlog() {
    let mut harness = Harness::new();
    let late_jobs: Vec<String> = (0..20).map(|index| format!("late-{index:02}")).collect();
    for name in &late_jobs {
        harness.backend.put_job(job(name, "@every 10s"), Some(t0()));
    }
    let fresh_jobs: Vec<String> = (0..5).map(|index| format!("fresh-{index}")).collect();
    for name in &fresh_jobs {
        harness
            .backend
            .put_job(job(name, "11 * * * * *"), Some(t0()));
    }
    info!("phase: a leader starts 0.9 s after 20 occurrences fell due, 0.1 s before 5 more");
    harness
        .clock
        .set(t0_plus(10) + TimeDelta::milliseconds(900));
    harness.start(SchedulerConfig {
        max_batch: 5,
        ..SchedulerConfig::default()
    });
    harness.advance_to(t0_plus(11)).await;

    let committed = harness.backend.committed_launches();
    let first_batch: Vec<&str> = committed[..5].iter().map(|(job, _)| job.as_str()).collect();
    assert_eq!(
        first_batch, fresh_jobs,
        "the on-time occurrences are committed first"
    );
    let mut all: Vec<&str> = committed.iter().map(|(job, _)| job.as_str()).collect();
    all.sort();
    let mut expected: Vec<&str> = late_jobs
        .iter()
        .chain(&fresh_jobs)
        .map(String::as_str)
        .collect();
    expected.sort();
    assert_eq!(all, expected, "every occurrence is launched once");
    for name in &fresh_jobs {
        assert_eq!(harness.dispatched_nominals(name), vec![t0_plus(11)]);
    }
    for name in &late_jobs {
        let ledger = harness.backend.ledger(name);
        assert_eq!(ledger.len(), 1);
        assert_eq!(
            ledger[0].1.trigger,
            Trigger::Schedule,
            "within the on-time grace"
        );
    }
}
