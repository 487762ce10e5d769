//! `kill -9` in the middle of a run, then a restart: nothing lost, nothing doubled, nothing
//! left running.

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

use crate::harness::Server;

const TICKER: &str = r#"{"name":"ticker","schedule":"@every 1s","executor":"shell","executor_config":{"command":"echo tick"}}"#;
const SLEEPER: &str = r#"{"name":"sleeper","schedule":"@every 1s","concurrency":"forbid","executor":"shell","executor_config":{"command":"sleep 3"}}"#;

fn nominal(entry: &Value) -> DateTime<Utc> {
    entry["nominal_time"].as_str().unwrap().parse().unwrap()
}

#[tokio::test]
async fn crash_and_restart_keeps_history_and_accounts_for_every_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path()).await;
    assert_eq!(server.send("POST", "/v1/jobs", TICKER).await.0, 201);
    assert_eq!(server.send("POST", "/v1/jobs", SLEEPER).await.0, 201);

    tracing::info!("phase: run until the sleeper is mid-run, then kill -9");
    server
        .wait_until(
            "ticker ran 3 times and sleeper is running",
            Duration::from_secs(20),
            || async {
                let ticks = server.get_json("/v1/jobs/ticker").await["success_count"]
                    .as_i64()
                    .unwrap();
                let busy = server.get_json("/v1/busy").await;
                ticks >= 3
                    && busy
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|e| e["job_name"] == "sleeper")
            },
        )
        .await;
    let busy = server.get_json("/v1/busy").await;
    let in_flight = busy
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["job_name"] == "sleeper")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    server
        .wait_until(
            "the sleeper's start is recorded",
            Duration::from_secs(5),
            || async {
                let executions = server.get_json("/v1/jobs/sleeper/executions").await;
                executions
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["id"] == in_flight.as_str())
            },
        )
        .await;
    let ticks_before = server.get_json("/v1/jobs/ticker").await["success_count"]
        .as_i64()
        .unwrap();
    let killed_at = Utc::now();
    server.kill();

    tracing::info!("phase: stay down for a few seconds, then restart");
    tokio::time::sleep(Duration::from_secs(6)).await;
    server.spawn().await;
    let restarted_at = Utc::now();

    let ticker = server.get_json("/v1/jobs/ticker").await;
    assert!(
        ticker["success_count"].as_i64().unwrap() >= ticks_before,
        "counters survive: {ticker}"
    );
    assert_eq!(
        server.get_json("/v1/jobs").await.as_array().unwrap().len(),
        2
    );

    tracing::info!("phase: the run that was in flight is ended as lost, not left running");
    let lost = server
        .get_json(&format!("/v1/jobs/sleeper/executions/{in_flight}"))
        .await;
    assert_ne!(lost["finished_at"], "0001-01-01T00:00:00Z", "{lost}");
    assert_eq!(lost["success"], false);
    assert!(lost["output"].as_str().unwrap().contains("lost"), "{lost}");

    tracing::info!("phase: the ticker's ledger has every occurrence exactly once across the gap");
    server
        .wait_until(
            "the ticker runs again after the restart",
            Duration::from_secs(15),
            || async {
                let ledger = server.get_json("/v1/jobs/ticker/ledger?limit=1000").await;
                ledger
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| nominal(e) > restarted_at + TimeDelta::seconds(1))
            },
        )
        .await;
    let ledger = server.get_json("/v1/jobs/ticker/ledger?limit=1000").await;
    let entries = ledger.as_array().unwrap();
    let mut times: Vec<DateTime<Utc>> = entries.iter().map(nominal).collect();
    times.sort();
    let unique: BTreeSet<_> = times.iter().collect();
    assert_eq!(
        unique.len(),
        times.len(),
        "an occurrence appears twice: {ledger}"
    );
    for pair in times.windows(2) {
        assert_eq!(
            pair[1] - pair[0],
            TimeDelta::seconds(1),
            "a gap in the ledger: {ledger}"
        );
    }
    assert!(times.first().unwrap() < &killed_at && times.last().unwrap() > &restarted_at);
    let in_gap: Vec<&Value> = entries
        .iter()
        .filter(|e| {
            nominal(e) > killed_at + TimeDelta::seconds(1)
                && nominal(e) < restarted_at - TimeDelta::seconds(3)
        })
        .collect();
    assert!(!in_gap.is_empty(), "the downtime had occurrences: {ledger}");
    for entry in &in_gap {
        let state = entry["state"].as_str().unwrap();
        let explained = state == "skipped" && entry["reason"].as_str().unwrap().contains("misfire")
            || entry["trigger"] == "catch_up";
        assert!(
            explained,
            "occurrence in the gap without a misfire decision: {entry}"
        );
    }
    let catch_ups = entries
        .iter()
        .filter(|e| e["trigger"] == "catch_up")
        .count();
    assert!(
        catch_ups <= 1,
        "run_once runs at most one missed occurrence: {ledger}"
    );

    tracing::info!("phase: no execution ran twice");
    let executions = server.get_json("/v1/jobs/ticker/executions").await;
    let groups: Vec<i64> = executions
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["group"].as_i64().unwrap())
        .collect();
    let distinct: BTreeSet<_> = groups.iter().collect();
    assert_eq!(distinct.len(), groups.len(), "{executions}");

    tracing::info!("phase: a graceful stop exits cleanly");
    assert!(server.terminate().await.success());
}

/// Returns the pids of processes whose environment names this execution.
fn processes_of(execution_id: &str) -> Vec<i32> {
    let marker = format!("DKRON_EXECUTION_ID={execution_id}");
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let environ = std::fs::read(entry.path().join("environ")).ok()?;
            environ
                .split(|byte| *byte == 0)
                .any(|item| item == marker.as_bytes())
                .then_some(pid)
        })
        .collect()
}

const HANGER: &str = r#"{"name":"hanger","schedule":"@manually","executor":"shell","executor_config":{"command":"sleep 600"}}"#;

#[tokio::test]
async fn a_restart_kills_the_processes_of_runs_it_records_as_lost() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path()).await;
    assert_eq!(server.send("POST", "/v1/jobs", HANGER).await.0, 201);
    assert_eq!(server.send("POST", "/v1/jobs/hanger/run", "").await.0, 202);
    server
        .wait_until("the hanger runs", Duration::from_secs(10), || async {
            let busy = server.get_json("/v1/busy").await;
            busy.as_array()
                .unwrap()
                .iter()
                .any(|e| e["job_name"] == "hanger")
        })
        .await;
    let busy = server.get_json("/v1/busy").await;
    let id = busy[0]["id"].as_str().unwrap().to_string();
    server
        .wait_until(
            "the hanger's start is recorded",
            Duration::from_secs(5),
            || async {
                server
                    .get(&format!("/v1/jobs/hanger/executions/{id}"))
                    .await
                    .0
                    == 200
            },
        )
        .await;

    tracing::info!("phase: kill -9 leaves the job's process behind");
    server.kill();
    assert!(
        !processes_of(&id).is_empty(),
        "the orphan should outlive the server"
    );

    tracing::info!("phase: the restarted server kills it and records the run as lost");
    server.spawn().await;
    server
        .wait_until("the orphan is gone", Duration::from_secs(5), || async {
            processes_of(&id).is_empty()
        })
        .await;
    let lost = server
        .get_json(&format!("/v1/jobs/hanger/executions/{id}"))
        .await;
    assert_eq!(lost["success"], false, "{lost}");
    assert!(
        lost["output"].as_str().unwrap().starts_with("lost:"),
        "{lost}"
    );
    assert!(
        server.log().contains("killed an orphaned run"),
        "{}",
        server.log()
    );
}
