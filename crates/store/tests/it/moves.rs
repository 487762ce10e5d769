//! Moving a run whose order never reached its node (issue 14): the active run, the ledger
//! and the reports follow the new node; a run that may be on its node stays.

use dkron_model::{StringMap, execution_id};
use dkron_store::{Command, CommandResult, RunReport};

use super::{apply_one, at, job, launch, open, put, run_started};

const NOMINAL: &str = "2026-01-01T00:00:10Z";

fn move_to(to_node: &str, from_node: &str) -> Command {
    Command::MoveRun {
        job: "web".into(),
        nominal: at(NOMINAL),
        execution_id: execution_id(at(NOMINAL), "a", 1),
        from_node: from_node.into(),
        to_node: to_node.into(),
        to_node_tags: StringMap::from([("role".into(), "web".into())]),
    }
}

fn finished_on(node: &str) -> Command {
    Command::RunFinished {
        report: RunReport {
            job: "web".into(),
            nominal: at(NOMINAL),
            execution_id: execution_id(at(NOMINAL), "a", 1),
            node_name: node.into(),
            attempt: 1,
            started_at: at(NOMINAL),
            finished_at: at("2026-01-01T00:00:11Z"),
            success: true,
            output: String::new(),
            exit_code: Some(0),
            killed: false,
            no_retry: false,
        },
    }
}

fn web_store(dir: &tempfile::TempDir) -> dkron_store::StateStore {
    let store = open(dir);
    let mut web = job("web");
    web.tags = Some(StringMap::from([("role".into(), "web:1".into())]));
    put(&store, web);
    apply_one(&store, launch("web", NOMINAL, "a"));
    store
}

#[test]
fn a_moved_run_is_active_on_its_new_node_and_reported_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let store = web_store(&dir);
    assert_eq!(apply_one(&store, move_to("b", "a")), CommandResult::Done);
    assert!(store.active_runs(Some("a")).unwrap().is_empty());
    assert_eq!(store.active_runs(Some("b")).unwrap().len(), 1);
    let entry = &store.ledger("web", 1).unwrap()[0];
    assert_eq!(entry.runs.len(), 1);
    assert_eq!(entry.runs[0].node_name, "b");

    // A second move from a (a leader acting on stale facts) changes nothing.
    assert!(matches!(
        apply_one(&store, move_to("c", "a")),
        CommandResult::Failed(_)
    ));
    assert_eq!(store.active_runs(Some("b")).unwrap().len(), 1);
    // Only the new node's report ends the run.
    assert!(matches!(
        apply_one(&store, finished_on("a")),
        CommandResult::Failed(_)
    ));
    assert_eq!(apply_one(&store, finished_on("b")), CommandResult::Done);
    assert!(store.active_runs(None).unwrap().is_empty());
}

#[test]
fn a_started_run_or_a_node_without_the_tags_keeps_the_run_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let store = web_store(&dir);
    let mut elsewhere = move_to("b", "a");
    if let Command::MoveRun { to_node_tags, .. } = &mut elsewhere {
        *to_node_tags = StringMap::from([("role".into(), "db".into())]);
    }
    assert!(matches!(
        apply_one(&store, elsewhere),
        CommandResult::Failed(_)
    ));
    apply_one(
        &store,
        run_started("web", NOMINAL, "a", "2026-01-01T00:00:10.5Z"),
    );
    let refused = apply_one(&store, move_to("b", "a"));
    assert!(
        matches!(&refused, CommandResult::Failed(error) if error.to_string().contains("start is recorded")),
        "{refused:?}"
    );
    assert_eq!(store.active_runs(Some("a")).unwrap().len(), 1);
    assert_eq!(store.ledger("web", 1).unwrap()[0].runs[0].node_name, "a");
}
