//! A worker with the shell executor and in-memory run records.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use dkron_exec::ExecLimits;
use dkron_model::Job;
use dkron_worker::testsuite::MemoryRunRecords;
use dkron_worker::{Accepted, KillOrder, RunOrder, RunState, Worker};

const NODE: &str = "node-1";
/// Longest a test waits for a run's result.
const RESULT_LIMIT: Duration = Duration::from_secs(20);

fn worker() -> (Arc<Worker>, MemoryRunRecords) {
    let records = MemoryRunRecords::new();
    let worker = Worker::new(NODE.to_string(), ExecLimits::default(), records.clone());
    (Arc::new(worker), records)
}

/// An order for a shell job running `command`, due now.
fn order(job: &str, command: &str, timeout: &str) -> RunOrder {
    let config = BTreeMap::from([("command".to_string(), command.to_string())]);
    let job = Job {
        name: job.to_string(),
        executor: "shell".to_string(),
        executor_config: Some(config),
        timeout: timeout.to_string(),
        ..Job::default()
    };
    let nominal = Utc::now();
    let execution_id = dkron_model::execution_id(nominal, NODE, 1);
    RunOrder::first(job, nominal, execution_id)
}

fn key(order: &RunOrder) -> (String, String) {
    (order.job.name.clone(), order.execution_id.clone())
}

#[tokio::test]
async fn a_run_is_recorded_started_then_finished_with_its_output() {
    let (worker, records) = worker();
    let order = order("greet", "echo hello", "");
    assert_eq!(worker.start(order.clone(), None), Accepted::Started);
    let report = records
        .wait_result(&order.execution_id, RESULT_LIMIT)
        .await
        .expect("the run ends");
    assert!(report.success, "{report:?}");
    assert!(report.output.contains("hello"), "{report:?}");
    assert!(!report.killed && !report.no_retry);
    assert_eq!((report.node_name.as_str(), report.attempt), (NODE, 1));
    let starts = records.starts();
    assert_eq!(starts.len(), 1);
    assert_eq!(starts[0].execution_id, order.execution_id);
    assert_eq!(starts[0].started_at, report.started_at);
    assert_eq!(worker.states(&[key(&order)]), vec![RunState::Finished]);
    assert_eq!(worker.running_count(), 0);
    assert_eq!(
        worker.remembered_runs(),
        (1, 1),
        "the written result is remembered"
    );
}

#[tokio::test]
async fn a_repeated_order_starts_nothing() {
    let (worker, records) = worker();
    let order = order("once", "echo once", "");
    assert_eq!(worker.start(order.clone(), None), Accepted::Started);
    assert_eq!(worker.start(order.clone(), None), Accepted::Duplicate);
    records
        .wait_result(&order.execution_id, RESULT_LIMIT)
        .await
        .expect("the run ends");
    assert_eq!(worker.start(order.clone(), None), Accepted::Duplicate);
    worker.wait_idle().await;
    assert_eq!(records.starts().len(), 1);
    assert_eq!(records.results().len(), 1);
}

#[tokio::test]
async fn a_killed_run_is_recorded_as_killed_and_not_retried() {
    let (worker, records) = worker();
    let order = order("long", "sleep 600", "");
    assert_eq!(worker.start(order.clone(), None), Accepted::Started);
    assert_eq!(worker.states(&[key(&order)]), vec![RunState::Running]);
    assert!(
        worker
            .running_execution("long", &order.execution_id)
            .is_some()
    );
    let kill = KillOrder {
        job: "long".to_string(),
        execution_id: order.execution_id.clone(),
        replaced: false,
        leader_term: 0,
    };
    assert_eq!(worker.kill(&kill), Ok(true));
    let report = records
        .wait_result(&order.execution_id, RESULT_LIMIT)
        .await
        .expect("the killed run ends");
    assert!(
        !report.success && report.killed && report.no_retry,
        "{report:?}"
    );
    assert!(
        report.output.starts_with("killed on request\n"),
        "{report:?}"
    );
    assert_eq!(
        worker.kill(&kill),
        Ok(false),
        "the run is no longer running"
    );
}

#[tokio::test]
async fn a_run_past_its_timeout_is_stopped_and_may_be_retried() {
    let (worker, records) = worker();
    let order = order("slow", "sleep 600", "200ms");
    assert_eq!(worker.start(order.clone(), None), Accepted::Started);
    let report = records
        .wait_result(&order.execution_id, RESULT_LIMIT)
        .await
        .expect("the run ends at its timeout");
    assert!(report.killed && !report.no_retry, "{report:?}");
    assert!(
        report
            .output
            .starts_with("killed: the job's timeout of 200ms passed\n"),
        "{report:?}"
    );
}

#[tokio::test]
async fn orders_from_a_deposed_leader_are_refused_and_start_or_kill_nothing() {
    let (worker, records) = worker();
    let current = order("fenced", "sleep 600", "").in_term(7);
    assert_eq!(worker.start(current.clone(), None), Accepted::Started);

    let stale = order("fenced-old", "echo stale", "").in_term(6);
    let refused = worker.start(stale.clone(), None);
    assert!(
        matches!(refused, Accepted::StaleLeader(s) if s.term == 6 && s.highest == 7),
        "{refused:?}"
    );
    assert_eq!(
        worker.states(&[key(&stale)]),
        vec![RunState::Unknown],
        "a refused order is not remembered, so the rightful leader may still send it"
    );
    let stale_kill = KillOrder {
        job: "fenced".to_string(),
        execution_id: current.execution_id.clone(),
        replaced: false,
        leader_term: 6,
    };
    assert!(worker.kill(&stale_kill).is_err());
    assert_eq!(
        worker.states(&[key(&current)]),
        vec![RunState::Running],
        "still running"
    );

    let newer_kill = KillOrder {
        leader_term: 8,
        ..stale_kill
    };
    assert_eq!(worker.kill(&newer_kill), Ok(true));
    records
        .wait_result(&current.execution_id, RESULT_LIMIT)
        .await
        .expect("the run ends on the newer leader's kill");
    assert_eq!(
        records.starts().len(),
        1,
        "only the current leader's run started"
    );
}
