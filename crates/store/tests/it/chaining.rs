//! Parents and children: dependents kept in line with every parent, joins of several parents,
//! pending parent-triggered runs and how a launch settles them.

use dkron_model::{Job, OccurrenceState, SkipReason, Trigger};
use dkron_store::{ApplyError, Command, CommandResult, RunPlan, StateStore};

use super::{apply_one, at, attempt_report, job, open, put, triggered};

pub fn child(name: &str, parents: &[&str]) -> Job {
    Job {
        parent_jobs: parents.iter().map(|parent| parent.to_string()).collect(),
        schedule: String::new(),
        ..job(name)
    }
}

fn dependents(store: &StateStore, name: &str) -> Vec<String> {
    store
        .job(name)
        .unwrap()
        .unwrap()
        .job
        .dependent_jobs
        .unwrap_or_default()
}

fn id(nominal: &str, node: &str) -> String {
    format!("{}-{node}", at(nominal).timestamp_nanos_opt().unwrap())
}

/// Launches one occurrence of `name` on `n1` and reports its result; returns the result of
/// the report.
pub fn run(store: &StateStore, name: &str, nominal: &str, success: bool) -> CommandResult {
    let launched = apply_one(
        store,
        Command::Launch {
            job: name.into(),
            nominal: at(nominal),
            trigger: Trigger::Schedule,
            runs: vec![RunPlan {
                execution_id: id(nominal, "n1"),
                node_name: "n1".into(),
            }],
            decided_at: at(nominal),
        },
    );
    assert!(
        matches!(launched, CommandResult::Launched(_)),
        "{launched:?}"
    );
    apply_one(
        store,
        Command::RunFinished {
            report: attempt_report(name, nominal, 1, success),
        },
    )
}

fn launch_triggered(
    store: &StateStore,
    name: &str,
    nominal: chrono::DateTime<chrono::Utc>,
) -> CommandResult {
    apply_one(
        store,
        Command::Launch {
            job: name.into(),
            nominal,
            trigger: Trigger::Parent,
            runs: vec![RunPlan {
                execution_id: format!("{}-n1", nominal.timestamp_nanos_opt().unwrap()),
                node_name: "n1".into(),
            }],
            decided_at: nominal,
        },
    )
}

#[test]
fn a_success_triggers_the_child_once_and_a_failure_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("p"));
    put(&store, child("c", &["p"]));
    assert_eq!(dependents(&store, "p"), ["c"]);

    assert_eq!(
        run(&store, "p", "2026-01-01T00:00:10Z", false),
        CommandResult::Done
    );
    assert!(store.job("c").unwrap().unwrap().pending_triggers.is_empty());

    let result = run(&store, "p", "2026-01-01T00:00:20Z", true);
    assert_eq!(result, triggered("p", &["c"]));
    let pending = store.job("c").unwrap().unwrap().pending_triggers;
    assert_eq!(pending, [at("2026-01-01T00:00:21Z")]);

    assert!(matches!(
        launch_triggered(&store, "c", pending[0]),
        CommandResult::Launched(_)
    ));
    assert!(store.job("c").unwrap().unwrap().pending_triggers.is_empty());
    let again = launch_triggered(&store, "c", pending[0]);
    assert!(
        matches!(again, CommandResult::Failed(ApplyError::Rejected(_))),
        "{again:?}"
    );
    let entry = &store.ledger("c", 1).unwrap()[0];
    assert_eq!(
        (entry.trigger, entry.state),
        (Trigger::Parent, OccurrenceState::Launched)
    );
}

#[test]
fn a_child_of_several_parents_waits_for_all_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    put(&store, job("b"));
    put(
        &store,
        Job {
            parent_job: "a".into(),
            ..child("c", &["b"])
        },
    );
    assert_eq!(dependents(&store, "a"), ["c"]);
    assert_eq!(dependents(&store, "b"), ["c"]);

    assert_eq!(
        run(&store, "a", "2026-01-01T00:00:10Z", true),
        CommandResult::Done
    );
    assert_eq!(
        run(&store, "a", "2026-01-01T00:00:20Z", true),
        CommandResult::Done
    );
    assert_eq!(
        run(&store, "b", "2026-01-01T00:00:30Z", true),
        triggered("b", &["c"]),
        "b completes the join"
    );
    // The next period starts empty: a alone does not trigger again.
    assert_eq!(
        run(&store, "a", "2026-01-01T00:00:40Z", true),
        CommandResult::Done
    );
    assert_eq!(store.job("c").unwrap().unwrap().pending_triggers.len(), 1);
}

#[test]
fn a_disabled_child_is_skipped_and_its_trigger_settled() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("p"));
    put(
        &store,
        Job {
            disabled: true,
            ..child("c", &["p"])
        },
    );
    run(&store, "p", "2026-01-01T00:00:10Z", true);
    let pending = store.job("c").unwrap().unwrap().pending_triggers[0];
    assert_eq!(
        launch_triggered(&store, "c", pending),
        CommandResult::Skipped(SkipReason::Disabled)
    );
    assert!(store.job("c").unwrap().unwrap().pending_triggers.is_empty());
}

#[test]
fn reparenting_and_deleting_keep_every_parents_list_right() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    for name in ["a", "b", "d"] {
        put(&store, job(name));
    }
    put(&store, child("c", &["a", "b"]));
    put(&store, child("c", &["b", "d"]));
    assert!(dependents(&store, "a").is_empty());
    assert_eq!(dependents(&store, "b"), ["c"]);
    assert_eq!(dependents(&store, "d"), ["c"]);

    let refused = apply_one(&store, Command::DeleteJob { name: "d".into() });
    assert!(matches!(
        refused,
        CommandResult::Failed(ApplyError::Rejected(_))
    ));
    apply_one(&store, Command::DeleteJob { name: "c".into() });
    assert!(dependents(&store, "b").is_empty());
    assert!(dependents(&store, "d").is_empty());
}

#[test]
fn loops_through_any_parent_and_missing_parents_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    put(&store, child("b", &["a"]));
    put(&store, child("c", &["b"]));
    let looped = put(&store, child("a", &["x-none"]));
    assert_eq!(looped, CommandResult::Failed(ApplyError::ParentNotFound));
    let looped = put(
        &store,
        Job {
            parent_jobs: vec!["c".into()],
            ..job("a")
        },
    );
    match looped {
        CommandResult::Failed(ApplyError::Rejected(message)) => {
            assert!(message.contains("a -> c -> b -> a"), "{message}")
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(
        store.job("a").unwrap().unwrap().job.parent_jobs.is_empty(),
        "nothing changed"
    );
}
