//! Integration tests of the state store: commands through `apply`, reads, snapshots, reopen.

#![allow(clippy::unwrap_used)]

mod acl;
mod audit;
mod chaining;
mod moves;
mod notices;
mod occurrences;
mod overlap;
mod retries;

use chrono::{DateTime, Utc};
use dkron_model::{Job, StringMap, gotime};
use dkron_store::{ApplyError, Command, CommandResult, RunReport, StateStore};

pub fn at(text: &str) -> DateTime<Utc> {
    gotime::parse(text).unwrap()
}

pub fn open(dir: &tempfile::TempDir) -> StateStore {
    StateStore::open(&dir.path().join("state.redb"), 4 << 20).unwrap()
}

pub fn job(name: &str) -> Job {
    Job {
        name: name.into(),
        schedule: "@every 10s".into(),
        executor: "shell".into(),
        executor_config: Some(StringMap::from([("command".into(), "true".into())])),
        ..Job::default()
    }
}

/// The result of a run report that triggered `children` of `job`.
pub fn triggered(job: &str, children: &[&str]) -> CommandResult {
    CommandResult::Finished(dkron_store::Followups {
        job: job.into(),
        children: children.iter().map(|child| child.to_string()).collect(),
        ..Default::default()
    })
}

/// The result of a run report that left `job` with a run to send: its queued occurrence let
/// out, or the next attempt of a failed run.
pub fn runs_pending(job: &str) -> CommandResult {
    CommandResult::Finished(dkron_store::Followups {
        job: job.into(),
        runs_pending: true,
        ..Default::default()
    })
}

/// The result of attempt `attempt` of `job`'s occurrence at `nominal` on node `n1`, ended
/// one second after it.
pub fn attempt_report(job: &str, nominal: &str, attempt: u32, success: bool) -> RunReport {
    RunReport {
        job: job.into(),
        nominal: at(nominal),
        execution_id: dkron_model::execution_id(at(nominal), "n1", attempt),
        node_name: "n1".into(),
        attempt,
        started_at: at(nominal),
        finished_at: at(nominal) + chrono::TimeDelta::seconds(1),
        success,
        output: String::new(),
        exit_code: Some(if success { 0 } else { 1 }),
        killed: false,
        no_retry: false,
    }
}

/// The start record of a first attempt on `node`.
pub fn run_started(job: &str, nominal: &str, node: &str, started_at: &str) -> Command {
    Command::RunStarted {
        job: job.into(),
        nominal: at(nominal),
        execution_id: dkron_model::execution_id(at(nominal), node, 1),
        node_name: node.into(),
        attempt: 1,
        started_at: at(started_at),
    }
}

/// A scheduled launch of one run of `job` on `node`.
pub fn launch(job: &str, nominal: &str, node: &str) -> Command {
    Command::Launch {
        job: job.into(),
        nominal: at(nominal),
        trigger: dkron_model::Trigger::Schedule,
        runs: vec![dkron_store::RunPlan {
            execution_id: dkron_model::execution_id(at(nominal), node, 1),
            node_name: node.into(),
        }],
        decided_at: at(nominal),
    }
}

pub fn apply_one(store: &StateStore, command: Command) -> CommandResult {
    store.apply(vec![command], &[]).unwrap().remove(0)
}

pub fn put(store: &StateStore, job: Job) -> CommandResult {
    apply_one(
        store,
        Command::PutJob {
            job: Box::new(job),
            now: at("2026-01-01T00:00:00.700Z"),
        },
    )
}

#[test]
fn new_job_is_stored_with_id_and_anchored_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    let stored = store.job("a").unwrap().unwrap();
    assert_eq!(stored.job.id, "a");
    assert_eq!(stored.job.processors, Some(Default::default()));
    assert_eq!(stored.cursor, Some(at("2026-01-01T00:00:00Z")));
}

#[test]
fn merge_keeps_server_fields_and_maintains_dependents() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(
        &store,
        Job {
            success_count: 5,
            ..job("parent")
        },
    );
    put(
        &store,
        Job {
            parent_job: "parent".into(),
            schedule: String::new(),
            ..job("child")
        },
    );
    put(
        &store,
        Job {
            success_count: 1,
            dependent_jobs: Some(vec!["bogus".into()]),
            ..job("parent")
        },
    );
    let parent = store.job("parent").unwrap().unwrap().job;
    assert_eq!(parent.success_count, 5);
    assert_eq!(parent.dependent_jobs, Some(vec!["child".to_string()]));

    let orphan = put(
        &store,
        Job {
            parent_job: "missing".into(),
            ..job("x")
        },
    );
    assert_eq!(orphan, CommandResult::Failed(ApplyError::ParentNotFound));
    assert!(store.job("x").unwrap().is_none());

    let cycle = put(
        &store,
        Job {
            parent_job: "child".into(),
            ..job("parent")
        },
    );
    let CommandResult::Failed(ApplyError::Rejected(message)) = cycle else {
        panic!("{cycle:?}")
    };
    assert!(message.contains("parent -> child -> parent"), "{message}");

    let refused = apply_one(
        &store,
        Command::DeleteJob {
            name: "parent".into(),
        },
    );
    assert!(matches!(
        refused,
        CommandResult::Failed(ApplyError::Rejected(_))
    ));
    apply_one(
        &store,
        Command::DeleteJob {
            name: "child".into(),
        },
    );
    assert_eq!(
        store.job("parent").unwrap().unwrap().job.dependent_jobs,
        None
    );
}

#[test]
fn toggle_flips_and_reanchors() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    put(&store, job("a"));
    let later = at("2026-02-01T00:00:05.5Z");
    apply_one(
        &store,
        Command::ToggleJob {
            name: "a".into(),
            now: later,
        },
    );
    assert!(store.job("a").unwrap().unwrap().job.disabled);
    apply_one(
        &store,
        Command::ToggleJob {
            name: "a".into(),
            now: later,
        },
    );
    let stored = store.job("a").unwrap().unwrap();
    assert!(!stored.job.disabled);
    assert_eq!(stored.cursor, Some(at("2026-02-01T00:00:05Z")));
    let missing = apply_one(
        &store,
        Command::ToggleJob {
            name: "nope".into(),
            now: later,
        },
    );
    assert_eq!(
        missing,
        CommandResult::Failed(ApplyError::JobNotFound("nope".into()))
    );
}

#[test]
fn state_survives_reopen_and_snapshot_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = open(&dir);
        put(&store, job("a"));
        store
            .apply(vec![], &[("last_applied", b"42".to_vec())])
            .unwrap();
    }
    let store = open(&dir);
    assert!(store.job("a").unwrap().is_some());
    assert_eq!(store.meta("last_applied").unwrap(), Some(b"42".to_vec()));

    let mut buffer = Vec::new();
    store.write_snapshot(&mut buffer).unwrap();
    let other_dir = tempfile::tempdir().unwrap();
    let other = open(&other_dir);
    put(&other, job("stale"));
    other.install_snapshot(buffer.as_slice()).unwrap();
    assert!(other.job("stale").unwrap().is_none());
    assert_eq!(other.job("a").unwrap(), store.job("a").unwrap());
    assert_eq!(other.meta("last_applied").unwrap(), Some(b"42".to_vec()));
    assert!(
        other
            .install_snapshot("{\"format\":99}\n".as_bytes())
            .is_err()
    );
}

#[test]
fn jobs_are_read_a_page_at_a_time_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir);
    let names: Vec<String> = (0..25).map(|index| format!("job-{index:02}")).collect();
    for name in names.iter().rev() {
        put(&store, job(name));
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.jobs_after(after.as_deref(), 10).unwrap();
        let full = page.len() == 10;
        for stored in page {
            after = Some(stored.job.name.clone());
            seen.push(stored.job.name);
        }
        if !full {
            break;
        }
    }
    assert_eq!(seen, names, "every job once, in name order");

    let (page, total) = store.jobs_page(20, Some(10), false).unwrap();
    assert_eq!(total, 25);
    let page: Vec<_> = page.into_iter().map(|stored| stored.job.name).collect();
    assert_eq!(page, names[20..]);
    let (page, _) = store.jobs_page(1, Some(2), true).unwrap();
    let page: Vec<_> = page.into_iter().map(|stored| stored.job.name).collect();
    assert_eq!(page, ["job-23", "job-22"]);
    assert!(store.jobs_page(30, None, false).unwrap().0.is_empty());
}

/// The commands of a few runs of two jobs, with a deletion and a re-creation among them.
fn runs_of_two_jobs() -> Vec<Command> {
    let launch = |name: &str, nominal: &str| launch(name, nominal, "n1");
    let finished = |name: &str, nominal: &str, success: bool| Command::RunFinished {
        report: attempt_report(name, nominal, 1, success),
    };
    let put = |name: &str| Command::PutJob {
        job: Box::new(job(name)),
        now: at("2026-01-01T00:00:00.700Z"),
    };
    let (first, second) = ("2026-01-01T00:00:10Z", "2026-01-01T00:00:20Z");
    vec![
        put("a"),
        put("b"),
        launch("a", first),
        launch("b", first),
        run_started("a", first, "n1", first),
        finished("a", first, true),
        run_started("b", first, "n1", first),
        finished("b", first, false),
        Command::DeleteJob { name: "b".into() },
        put("b"),
        launch("a", second),
        launch("b", second),
        run_started("a", second, "n1", second),
        finished("a", second, false),
        run_started("b", second, "n1", second),
    ]
}

/// What a store holds of jobs `a` and `b`: the jobs with their bookkeeping, their
/// executions and their ledgers.
fn state_of(store: &StateStore) -> String {
    let mut state = format!("{:?}\n", store.jobs().unwrap());
    for name in ["a", "b"] {
        state += &format!("{:?}\n", store.executions(name).unwrap());
        state += &format!("{:?}\n", store.ledger(name, 100).unwrap());
    }
    state
}

/// A batch changes a job several times but writes it once: the outcome must not depend on
/// how the commands were batched.
#[test]
fn one_batch_leaves_the_same_state_as_one_command_at_a_time() {
    let (batched_dir, single_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (batched, single) = (open(&batched_dir), open(&single_dir));
    let commands = runs_of_two_jobs();
    let batch_results = batched
        .apply(vec![Command::Batch(commands.clone())], &[])
        .unwrap();
    let mut one_by_one = Vec::new();
    for command in commands {
        one_by_one.push(apply_one(&single, command));
    }
    assert_eq!(batch_results, vec![CommandResult::Batch(one_by_one)]);
    assert_eq!(state_of(&batched), state_of(&single));
    let a = batched.job("a").unwrap().unwrap();
    assert_eq!((a.job.success_count, a.job.error_count), (1, 1));
    let b = batched.job("b").unwrap().unwrap();
    assert_eq!(b.job.error_count, 0, "b was deleted and created again");
    assert_eq!(b.active_runs, 1, "its second run has started, not finished");
}
