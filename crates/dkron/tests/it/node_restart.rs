//! A node that restarts ends its previous process's runs as lost, while its new process
//! already takes runs: those must run and be recorded, never be ended as lost under it. A run
//! the previous process accepted but had not started is lost too (at most once), not sent
//! to the new process.

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use crate::cluster_harness::{Cluster, Handle, time_field};

const JOBS: usize = 10;

async fn ledger(handle: &Handle, job: &str) -> Vec<Value> {
    let path = format!("/v1/jobs/{job}/ledger?limit=200");
    handle
        .get_json_any(&path)
        .await
        .and_then(|ledger| ledger.as_array().cloned())
        .unwrap_or_default()
}

/// The info, warning and error lines of every node's log, for a failure message.
fn notable_lines(cluster: &Cluster) -> String {
    let mut text = String::new();
    for node in &cluster.nodes {
        text.push_str(&format!("--- {} ---\n", node.name));
        for line in node.log().lines() {
            if !line.contains(" DEBUG ") && !line.contains(" TRACE ") {
                text.push_str(&line[..line.len().min(300)]);
                text.push('\n');
            }
        }
    }
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_restarting_under_a_stream_of_runs_keeps_the_runs_its_new_process_takes() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3, &[&["pool=workers"]]).await;
    let handle = cluster.clone_handle();
    let port = handle.ports[0];
    for index in 0..JOBS {
        let job = json!({"name": format!("tick{index}"), "schedule": "@every 1s",
                         "executor": "shell", "executor_config": {"command": "sleep 2"},
                         "tags": {"pool": "workers"}});
        handle.create_job(port, &job).await;
    }
    cluster.wait_busy_on("agent1").await;

    // The cluster loses its quorum and the agent restarts: it joins through the server still
    // up, but cannot end its old process's runs without a leader, and waits longer between
    // tries. When the quorum is back, the new leader sends the runs it catches up on at once,
    // so the agent takes runs before its old ones are ended.
    let agent = cluster.index_of("agent1");
    let others = [cluster.index_of("server2"), cluster.index_of("server3")];
    for server in others {
        cluster.nodes[server].kill();
    }
    cluster.nodes[agent].kill();
    cluster.restart(agent);
    tokio::time::sleep(Duration::from_secs(4)).await;
    let restarted_at = Utc::now();
    for server in others {
        cluster.restart(server);
    }
    let handle = cluster.clone_handle();
    cluster
        .wait_until("a leader again", Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            async move { handle.leader_name().await.is_some() }
        })
        .await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    // Runs take 2 s: occurrences since then may not have finished.
    let settled_before = Utc::now() - chrono::TimeDelta::seconds(4);

    let mut checked = 0;
    let mut wrong = Vec::new();
    for index in 0..JOBS {
        for entry in ledger(&handle, &format!("tick{index}")).await {
            let decided = time_field(&entry, "decided_at");
            if decided <= restarted_at || time_field(&entry, "nominal_time") > settled_before {
                continue;
            }
            checked += 1;
            if entry["state"] != "succeeded" && entry["state"] != "skipped" {
                wrong.push(entry);
            }
        }
    }
    let agent_log = cluster.nodes[agent].log();
    let since_restart = &agent_log[agent_log.rfind("gossip started node").unwrap_or(0)..];
    let started = since_restart.matches("starting run").count();
    eprintln!(
        "{checked} occurrences decided after the restart checked; the new agent process started {started} runs"
    );
    assert!(
        wrong.is_empty(),
        "occurrences decided after the restart that did not run: {wrong:#?}\n{}",
        notable_lines(&cluster)
    );
    assert!(
        checked > JOBS,
        "too few occurrences after the restart: {checked}; restarted at {restarted_at}, tick0: {:#?}\n{}",
        ledger(&handle, "tick0")
            .await
            .iter()
            .take(4)
            .collect::<Vec<_>>(),
        notable_lines(&cluster)
    );
}

/// A leader cut off from its quorum cannot commit and its scheduler stops; Raft may go on
/// naming it the leader in the same term, so nothing reports a leader change when the other
/// servers come back. It must confirm its leadership again and schedule again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_that_loses_its_quorum_schedules_again_when_the_quorum_is_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3, &[]).await;
    let handle = cluster.clone_handle();
    let job = json!({"name": "tick", "schedule": "@every 1s", "executor": "shell",
                     "executor_config": {"command": "true"}, "tags": {"server": "true:1"}});
    handle.create_job(handle.ports[0], &job).await;
    cluster.wait_latest_occurrence("tick", "succeeded").await;

    let leader = cluster.leader_index().await.expect("a leader");
    let followers: Vec<usize> = (0..3).filter(|index| *index != leader).collect();
    for follower in &followers {
        cluster.nodes[*follower].kill();
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let back_at = Utc::now();
    for follower in &followers {
        cluster.restart(*follower);
    }
    let handle = cluster.clone_handle();
    cluster
        .wait_until(
            "an occurrence decided after the quorum is back has run",
            Duration::from_secs(30),
            |_| {
                let handle = handle.clone();
                async move {
                    ledger(&handle, "tick").await.iter().any(|entry| {
                        entry["state"] == "succeeded" && time_field(entry, "decided_at") > back_at
                    })
                }
            },
        )
        .await;
}

/// The leader sends a retry to the agent ahead of its backoff; the agent dies before starting
/// it and comes back at once. Its new process does not have the retry, which has no start
/// record: the leader, which saw the old process accept it, ends it as lost instead of
/// sending it again (it cannot know whether the old process had started it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_the_agent_accepted_before_it_restarted_is_lost_not_sent_again() {
    retry_accepted_before_a_restart_is_lost(
        &[&["pool=workers"]],
        json!({"pool": "workers"}),
        "agent1",
    )
    .await;
}

/// The same on a single server, whose own worker holds the retry: after its restart it leads
/// again, and a run of its own that its new process does not know is lost, not run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_a_single_server_held_when_it_was_killed_is_lost_not_run_again() {
    retry_accepted_before_a_restart_is_lost(&[], json!({}), "server1").await;
}

async fn retry_accepted_before_a_restart_is_lost(agents: &[&[&str]], tags: Value, victim: &str) {
    let dir = tempfile::tempdir().unwrap();
    let runs_file = dir.path().join("runs.txt");
    let mut cluster = Cluster::start(dir.path(), 1, agents).await;
    let handle = cluster.clone_handle();
    let port = handle.ports[0];
    let command = format!("echo ran >> {}; exit 1", runs_file.display());
    let job = json!({"name": "flaky", "schedule": "@manually", "executor": "shell",
                     "executor_config": {"command": command, "shell": "true"},
                     "tags": tags,
                     "retries": 1, "retry_backoff": "8s"});
    handle.create_job(port, &job).await;
    assert_eq!(handle.post(port, "/v1/jobs/flaky/run", "").await.0, 202);
    let server = cluster.index_of("server1");
    cluster
        .wait_until("the leader sends the retry", Duration::from_secs(20), |c| {
            let sent = c.nodes[server].log().contains("sending a pending run");
            async move { sent }
        })
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let victim = cluster.index_of(victim);
    cluster.nodes[victim].kill();
    cluster.restart(victim);

    let attempt_of = |executions: &Value, attempt: u32| {
        executions.as_array().and_then(|list| {
            list.iter()
                .find(|execution| execution["attempt"] == attempt)
                .cloned()
        })
    };
    cluster
        .wait_until("the retry is ended", Duration::from_secs(45), |c| {
            let handle = c.clone_handle();
            async move {
                let executions = handle.get_json_any("/v1/jobs/flaky/executions").await;
                executions
                    .and_then(|executions| attempt_of(&executions, 2))
                    .is_some_and(|retry| retry["finished_at"] != "0001-01-01T00:00:00Z")
            }
        })
        .await;
    let executions = handle
        .get_json_any("/v1/jobs/flaky/executions")
        .await
        .unwrap();
    let retry = attempt_of(&executions, 2).unwrap();
    assert_eq!(retry["success"], false, "{retry:#}");
    let output = retry["output"].as_str().unwrap_or_default();
    assert!(
        output.contains("accepted the run and before its start was recorded"),
        "{retry:#}\n{}",
        notable_lines(&cluster)
    );
    // Well past the retry's due time (8 s after the first attempt ended): it never ran.
    let first = attempt_of(&executions, 1).unwrap();
    let due = time_field(&first, "finished_at") + chrono::TimeDelta::seconds(8);
    let settled = (due + chrono::TimeDelta::seconds(2) - Utc::now()).to_std();
    tokio::time::sleep(settled.unwrap_or_default()).await;
    let runs = std::fs::read_to_string(&runs_file).unwrap();
    assert_eq!(runs.lines().count(), 1, "{runs}");
}
