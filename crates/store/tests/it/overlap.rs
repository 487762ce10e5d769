//! Overlap policies beyond Dkron's: `queue` holds one occurrence until the active runs end,
//! `replace` names the active runs to stop; a run stopped on purpose is not retried.

use dkron_model::{Job, OccurrenceState, SkipReason, Trigger};
use dkron_store::{Command, CommandResult, RunPlan, RunReport, StateStore};

use super::{apply_one, at, attempt_report, job, open, put, runs_pending};

fn plan(nominal: &str) -> RunPlan {
    RunPlan {
        execution_id: format!("{}-n1", at(nominal).timestamp_nanos_opt().unwrap()),
        node_name: "n1".into(),
    }
}

fn launch(store: &StateStore, name: &str, nominal: &str) -> CommandResult {
    apply_one(
        store,
        Command::Launch {
            job: name.into(),
            nominal: at(nominal),
            trigger: Trigger::Schedule,
            runs: vec![plan(nominal)],
            decided_at: at(nominal),
        },
    )
}

/// The run of `nominal` ended 30 s after it; `no_retry` marks it stopped on purpose.
fn finish(name: &str, nominal: &str, success: bool, no_retry: bool) -> Command {
    Command::RunFinished {
        report: RunReport {
            finished_at: at(nominal) + chrono::TimeDelta::seconds(30),
            exit_code: None,
            killed: no_retry,
            no_retry,
            ..attempt_report(name, nominal, 1, success)
        },
    }
}

fn with_policy(name: &str, concurrency: &str) -> Job {
    Job {
        concurrency: concurrency.into(),
        ..job(name)
    }
}

#[test]
fn queue_holds_one_occurrence_until_the_active_run_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, with_policy("q", "queue"));
    assert!(matches!(
        launch(&store, "q", "2026-01-01T00:00:10Z"),
        CommandResult::Launched(_)
    ));
    assert_eq!(
        launch(&store, "q", "2026-01-01T00:00:20Z"),
        CommandResult::Queued
    );
    assert_eq!(
        launch(&store, "q", "2026-01-01T00:00:30Z"),
        CommandResult::Skipped(SkipReason::Overlap),
        "one waits at most"
    );
    let queued = store.job("q").unwrap().unwrap();
    assert_eq!(queued.active_runs, 1);
    assert_eq!(
        queued.queued.as_ref().unwrap().nominal,
        at("2026-01-01T00:00:20Z")
    );
    let waiting = &store.ledger("q", 2).unwrap()[1];
    assert_eq!(
        waiting.state,
        OccurrenceState::Launched,
        "accounted for while it waits"
    );

    assert_eq!(
        apply_one(&store, finish("q", "2026-01-01T00:00:10Z", true, false)),
        runs_pending("q")
    );
    let released = store.job("q").unwrap().unwrap();
    assert!(released.queued.is_none());
    assert_eq!(released.active_runs, 1);
    let pending = &released.pending_runs[0];
    assert_eq!(
        pending.execution_id,
        plan("2026-01-01T00:00:20Z").execution_id
    );
    assert_eq!(
        pending.not_before,
        at("2026-01-01T00:00:40Z"),
        "starts when the first ended"
    );
}

#[test]
fn replace_names_the_active_runs_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, with_policy("r", "replace"));
    assert!(matches!(
        launch(&store, "r", "2026-01-01T00:00:10Z"),
        CommandResult::Launched(_)
    ));
    match launch(&store, "r", "2026-01-01T00:00:20Z") {
        CommandResult::LaunchedReplacing { runs, replaced } => {
            assert_eq!(runs, [plan("2026-01-01T00:00:20Z")]);
            assert_eq!(replaced, [plan("2026-01-01T00:00:10Z")]);
        }
        other => panic!("expected a replacing launch, got {other:?}"),
    }
    assert_eq!(
        store.job("r").unwrap().unwrap().active_runs,
        2,
        "until the old one reports"
    );
}

#[test]
fn a_run_stopped_on_purpose_is_not_retried() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(
        &store,
        Job {
            retries: 3,
            ..job("k")
        },
    );
    launch(&store, "k", "2026-01-01T00:00:10Z");
    assert_eq!(
        apply_one(&store, finish("k", "2026-01-01T00:00:10Z", false, true)),
        CommandResult::Done
    );
    assert_eq!(
        store.ledger("k", 1).unwrap()[0].state,
        OccurrenceState::Failed
    );
}
