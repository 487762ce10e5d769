//! Retries: a failed run's next attempts on its node, their backoff, and how a late success
//! ends the occurrence.

use dkron_model::{Job, OccurrenceState};
use dkron_store::{Command, CommandResult};

use super::chaining::{child, run};
use super::{apply_one, at, attempt_report, job, open, put, runs_pending, triggered};

fn report_attempt(name: &str, nominal: &str, attempt: u32, success: bool) -> Command {
    Command::RunFinished {
        report: attempt_report(name, nominal, attempt, success),
    }
}

#[test]
fn a_failed_run_is_retried_on_its_node_and_a_late_success_counts_as_success() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("p"));
    put(
        &store,
        Job {
            retries: 2,
            retry_backoff: "10s".into(),
            ..job("flaky")
        },
    );
    put(&store, child("c", &["flaky"]));
    let nominal = "2026-01-01T00:00:10Z";
    assert_eq!(run(&store, "flaky", nominal, false), runs_pending("flaky"));
    let stored = store.job("flaky").unwrap().unwrap();
    let retry = &stored.pending_runs[0];
    assert_eq!((retry.attempt, retry.node_name.as_str()), (2, "n1"));
    assert_eq!(
        retry.execution_id,
        dkron_model::execution_id(at(nominal), "n1", 2)
    );
    assert_eq!(
        retry.not_before,
        at("2026-01-01T00:00:21Z"),
        "finished + 10 s"
    );
    let entry = &store.ledger("flaky", 1).unwrap()[0];
    assert_eq!(entry.state, OccurrenceState::Launched, "still in progress");
    assert_eq!(entry.runs[0].attempt, 2);

    // The second attempt starts (clearing the pending retry) and fails: a third is planned,
    // twice as far out.
    apply_one(
        &store,
        Command::RunStarted {
            job: "flaky".into(),
            nominal: at(nominal),
            execution_id: retry.execution_id.clone(),
            node_name: "n1".into(),
            attempt: 2,
            started_at: at("2026-01-01T00:00:21Z"),
        },
    );
    assert!(store.job("flaky").unwrap().unwrap().pending_runs.is_empty());
    assert_eq!(
        apply_one(&store, report_attempt("flaky", nominal, 2, false)),
        runs_pending("flaky")
    );
    let third = store.job("flaky").unwrap().unwrap().pending_runs[0].clone();
    assert_eq!(
        third.not_before,
        at("2026-01-01T00:00:31Z"),
        "finished + 20 s"
    );

    // The third succeeds: the occurrence succeeded, the job is `success`, the child runs.
    assert_eq!(
        apply_one(&store, report_attempt("flaky", nominal, 3, true)),
        triggered("flaky", &["c"])
    );
    let flaky = store.job("flaky").unwrap().unwrap();
    assert_eq!(flaky.job.status, "success");
    assert_eq!((flaky.job.error_count, flaky.job.success_count), (2, 1));
    assert_eq!(flaky.active_runs, 0);
    let entry = &store.ledger("flaky", 1).unwrap()[0];
    assert_eq!(entry.state, OccurrenceState::Succeeded);
    assert_eq!(
        store.executions("flaky").unwrap().unwrap().len(),
        3,
        "every attempt is kept"
    );
}

const FIRST_NOMINAL: &str = "2026-01-01T00:00:10Z";

/// A store whose job `flaky` allows one retry, after its first run (at `FIRST_NOMINAL`, on
/// `n1`) failed: the retry is pending.
fn first_run_failed_with_one_retry_left() -> (tempfile::TempDir, dkron_store::StateStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(
        &store,
        Job {
            retries: 1,
            ..job("flaky")
        },
    );
    assert_eq!(
        run(&store, "flaky", FIRST_NOMINAL, false),
        runs_pending("flaky")
    );
    (dir, store)
}

#[test]
fn the_last_allowed_attempt_failing_ends_the_occurrence_failed() {
    let (_dir, store) = first_run_failed_with_one_retry_left();
    let nominal = FIRST_NOMINAL;
    let retry = store.job("flaky").unwrap().unwrap().pending_runs[0].clone();
    assert_eq!(
        retry.not_before,
        at("2026-01-01T00:00:12Z"),
        "Dkron-like: 2 × 0.5 s"
    );
    assert_eq!(
        apply_one(&store, report_attempt("flaky", nominal, 2, false)),
        CommandResult::Done
    );
    let entry = &store.ledger("flaky", 1).unwrap()[0];
    assert_eq!(entry.state, OccurrenceState::Failed);
    assert_eq!(store.job("flaky").unwrap().unwrap().job.status, "failed");
}

#[test]
fn a_pending_retry_lost_with_its_node_keeps_its_attempt_and_is_no_longer_pending() {
    let (_dir, store) = first_run_failed_with_one_retry_left();
    let nominal = FIRST_NOMINAL;
    let retry_id = dkron_model::execution_id(at(nominal), "n1", 2);
    let lost = apply_one(
        &store,
        Command::LoseRun {
            job: "flaky".into(),
            nominal: at(nominal),
            execution_id: retry_id.clone(),
            node_name: "n1".into(),
            reason: "the node restarted".into(),
            at: at("2026-01-01T00:00:40Z"),
        },
    );
    assert!(!matches!(lost, CommandResult::Failed(_)), "{lost:?}");
    let stored = store.job("flaky").unwrap().unwrap();
    assert!(stored.pending_runs.is_empty());
    let executions = store.executions("flaky").unwrap().unwrap();
    let retry = executions
        .iter()
        .find(|record| record.execution.id == retry_id)
        .expect("the lost retry is recorded");
    assert_eq!(retry.execution.attempt, 2);
    assert_eq!(retry.execution.output, "lost: the node restarted");
    let entry = &store.ledger("flaky", 1).unwrap()[0];
    assert_eq!(entry.state, OccurrenceState::Lost);
}
