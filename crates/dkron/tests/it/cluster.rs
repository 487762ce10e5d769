//! Multi-process clusters: three servers and two agents on 127.0.0.1.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::cluster_harness::{Cluster, time_field};
use crate::harness::read_event_stream;

fn executions_by_node(executions: &Value) -> BTreeMap<i64, Vec<String>> {
    let mut by_group: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    for execution in executions.as_array().unwrap() {
        by_group
            .entry(execution["group"].as_i64().unwrap())
            .or_default()
            .push(execution["node_name"].as_str().unwrap().to_string());
    }
    by_group
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_and_agents_run_jobs_on_the_nodes_their_tags_select() {
    let dir = tempfile::tempdir().unwrap();
    let cluster = Cluster::start(dir.path(), 3, &[&["pool=workers"], &["pool=workers"]]).await;
    let handle = cluster.clone_handle();
    let leader = cluster.leader_index().await.unwrap();
    let follower = (0..3).find(|index| *index != leader).unwrap();
    let follower_port = cluster.nodes[follower].http_port;

    tracing::info!("phase: /v1/members shows every node with its role and tags");
    let members = handle.get_json_any("/v1/members").await.unwrap();
    let names: BTreeSet<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 5, "{members}");
    let agent = members
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["Name"] == "agent1")
        .unwrap();
    assert_eq!(agent["Tags"]["pool"], "workers");
    assert!(agent["Tags"].get("server").is_none(), "{agent}");

    tracing::info!("phase: a follower's summary reports the leader's scheduler, on time");
    let summary: Value = handle
        .client
        .get(format!("http://127.0.0.1:{follower_port}/v1/summary"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let leader_name = cluster.nodes[leader].name.clone();
    assert_eq!(
        summary["scheduler"]["leader"],
        leader_name.as_str(),
        "{summary}"
    );
    assert_eq!(summary["scheduler"]["behind"], false, "{summary}");
    assert_eq!(
        summary["scheduler"]["occurrences_overloaded"], 0,
        "{summary}"
    );

    tracing::info!("phase: writes taken by a follower are forwarded to the leader");
    let jobs = [
        json!({"name": "on-one-worker", "schedule": "@every 1s", "executor": "shell",
               "executor_config": {"command": "true"}, "tags": {"pool": "workers:1"}}),
        json!({"name": "on-two-servers", "schedule": "@every 1s", "executor": "shell",
               "executor_config": {"command": "true"}, "tags": {"server": "true:2"}}),
        json!({"name": "on-nobody", "schedule": "@every 1s", "executor": "shell",
               "executor_config": {"command": "true"}, "tags": {"pool": "nobody"}}),
    ];
    for job in &jobs {
        handle.create_job(follower_port, job).await;
    }
    for port in &handle.ports {
        let url = format!("http://127.0.0.1:{port}/v1/jobs/on-one-worker");
        let status = handle.client.get(&url).send().await.unwrap().status();
        assert_eq!(status, 200, "server on {port} sees the job");
    }

    tracing::info!("phase: each occurrence runs on exactly the selected nodes");
    cluster
        .wait_until(
            "both tagged jobs ran several times",
            Duration::from_secs(30),
            |c| {
                let h = c.clone_handle();
                async move {
                    let one = h.get_json_any("/v1/jobs/on-one-worker/executions").await;
                    let two = h.get_json_any("/v1/jobs/on-two-servers/executions").await;
                    let count =
                        |v: Option<Value>| v.and_then(|v| v.as_array().map(Vec::len)).unwrap_or(0);
                    count(one) >= 4 && count(two) >= 8
                }
            },
        )
        .await;
    let one = handle
        .get_json_any("/v1/jobs/on-one-worker/executions")
        .await
        .unwrap();
    for (group, nodes) in executions_by_node(&one) {
        assert_eq!(nodes.len(), 1, "group {group}: {nodes:?}");
        assert!(nodes[0].starts_with("agent"), "group {group}: {nodes:?}");
    }
    let two = handle
        .get_json_any("/v1/jobs/on-two-servers/executions")
        .await
        .unwrap();
    for (group, nodes) in executions_by_node(&two) {
        let distinct: BTreeSet<&String> = nodes.iter().collect();
        assert!(
            nodes.len() <= 2 && distinct.len() == nodes.len(),
            "group {group}: {nodes:?}"
        );
        assert!(
            nodes.iter().all(|n| n.starts_with("server")),
            "group {group}: {nodes:?}"
        );
    }

    tracing::info!("phase: an occurrence with no target is recorded as skipped, with the reason");
    let ledger = handle
        .get_json_any("/v1/jobs/on-nobody/ledger")
        .await
        .unwrap();
    let entry = &ledger.as_array().unwrap()[0];
    assert_eq!(entry["state"], "skipped", "{ledger}");
    assert!(
        entry["reason"].as_str().unwrap().contains("no target"),
        "{ledger}"
    );

    tracing::info!("phase: a manual run through a follower runs on the leader's scheduler");
    let (status, body) = handle
        .post(follower_port, "/v1/jobs/on-one-worker", "")
        .await;
    assert_eq!(status, 202, "{body}");

    tracing::info!("phase: a server streams the live output of a run on an agent");
    let slow = json!({"name": "slow-on-agent", "schedule": "@manually", "executor": "shell",
        "executor_config": {"shell": "true",
                            "command": "for i in 1 2 3; do echo tick-$i; sleep 1; done"},
        "tags": {"pool": "workers:1"}});
    handle.create_job(follower_port, &slow).await;
    assert_eq!(
        handle
            .post(follower_port, "/v1/jobs/slow-on-agent", "")
            .await
            .0,
        202
    );
    let slow_running = |busy: &Value| {
        busy.as_array()
            .and_then(|list| list.iter().find(|e| e["job_name"] == "slow-on-agent"))
            .cloned()
    };
    cluster
        .wait_until("slow-on-agent is running", Duration::from_secs(20), |c| {
            let h = c.clone_handle();
            async move {
                let busy = h.get_json_any("/v1/busy").await;
                busy.is_some_and(|busy| slow_running(&busy).is_some())
            }
        })
        .await;
    let busy = handle.get_json_any("/v1/busy").await.unwrap();
    let running = slow_running(&busy).unwrap();
    assert!(
        running["node_name"].as_str().unwrap().starts_with("agent"),
        "{running}"
    );
    let url = format!(
        "http://127.0.0.1:{follower_port}/v1/jobs/slow-on-agent/executions/{}/stream",
        running["id"].as_str().unwrap()
    );
    let response = handle.client.get(&url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let events = read_event_stream(response, Duration::from_secs(30)).await;
    let first_tick = events.find("tick-1").expect("tick-1 streamed");
    let done = events
        .find("event: done")
        .expect("the stream ends with done");
    assert!(first_tick < done && events.contains("tick-3"), "{events}");
    assert!(
        events.contains("event: output"),
        "output arrived while it ran: {events}"
    );
    assert!(events[done..].contains(r#""success":true"#), "{events}");

    tracing::info!("phase: a server kills a run on an agent");
    let stuck = json!({"name": "stuck-on-agent", "schedule": "@manually", "executor": "shell",
        "executor_config": {"command": "sleep 432"}, "tags": {"pool": "workers:1"}});
    handle.create_job(follower_port, &stuck).await;
    assert_eq!(
        handle
            .post(follower_port, "/v1/jobs/stuck-on-agent", "")
            .await
            .0,
        202
    );
    let stuck_running = |busy: &Value| {
        busy.as_array()
            .and_then(|list| list.iter().find(|e| e["job_name"] == "stuck-on-agent"))
            .and_then(|e| e["id"].as_str().map(str::to_owned))
    };
    cluster
        .wait_until("stuck-on-agent is running", Duration::from_secs(20), |c| {
            let h = c.clone_handle();
            async move {
                let busy = h.get_json_any("/v1/busy").await;
                busy.is_some_and(|busy| stuck_running(&busy).is_some())
            }
        })
        .await;
    let id = stuck_running(&handle.get_json_any("/v1/busy").await.unwrap()).unwrap();
    let kill = format!("/v1/jobs/stuck-on-agent/executions/{id}/kill");
    let (status, body) = handle.post(follower_port, &kill, "").await;
    assert_eq!(status, 202, "{body}");
    let killed = cluster
        .wait_latest_occurrence("stuck-on-agent", "failed")
        .await;
    assert_eq!(killed["runs"][0]["execution_id"], id.as_str(), "{killed}");
    let execution = handle
        .get_json_any(&format!("/v1/jobs/stuck-on-agent/executions/{id}"))
        .await
        .unwrap();
    assert_eq!(execution["killed"], true, "{execution}");

    tracing::info!("phase: pause through a follower holds on every server");
    let (status, body) = handle.post(follower_port, "/v1/pause", "").await;
    assert_eq!((status, body.as_str()), (200, r#"{"paused":true}"#));
    cluster
        .wait_until(
            "every server reports paused",
            Duration::from_secs(10),
            |c| {
                let h = c.clone_handle();
                async move {
                    let mut all = true;
                    for port in &h.ports {
                        let url = format!("http://127.0.0.1:{port}/v1/pause");
                        let body = match h.client.get(&url).send().await {
                            Ok(response) => response.text().await.unwrap_or_default(),
                            Err(_) => String::new(),
                        };
                        all &= body == r#"{"paused":true}"#;
                    }
                    all
                }
            },
        )
        .await;
    let paused = cluster
        .wait_latest_occurrence("on-one-worker", "skipped")
        .await;
    assert!(
        paused["reason"].as_str().unwrap().starts_with("paused"),
        "{paused}"
    );
    let (status, _) = handle.post(follower_port, "/v1/unpause", "").await;
    assert_eq!(status, 200);
    cluster
        .wait_latest_occurrence("on-one-worker", "succeeded")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_agent_ends_its_runs_as_lost_instead_of_running_forever() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3, &[&["pool=workers"]]).await;
    let handle = cluster.clone_handle();
    let job = json!({"name": "long", "schedule": "@manually", "executor": "shell",
                     "executor_config": {"command": "sleep 600"}, "tags": {"pool": "workers"}});
    let port = handle.ports[0];
    handle.create_job(port, &job).await;
    assert_eq!(handle.post(port, "/v1/jobs/long", "").await.0, 202);
    cluster.wait_busy_on("agent1").await;
    let agent = cluster.index_of("agent1");
    cluster.nodes[agent].kill();
    let lost = cluster.wait_latest_occurrence("long", "lost").await;
    assert!(
        lost["reason"].as_str().unwrap().contains("agent1"),
        "{lost}"
    );
    // The orphaned `sleep` of the killed agent is not ours to clean up here; kill it.
    let _cleanup = std::process::Command::new("pkill")
        .args(["-f", "sleep 600"])
        .status();
}

/// How many jobs and leader kills the failover test uses (`DKRON_FAILOVER_JOBS`,
/// `DKRON_FAILOVER_KILLS` make the long version).
fn failover_size() -> (usize, usize) {
    let read = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (
        read("DKRON_FAILOVER_JOBS", 50),
        read("DKRON_FAILOVER_KILLS", 3),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leader_kills_under_load_neither_double_nor_drop_an_occurrence() {
    let (job_count, kills) = failover_size();
    let dir = tempfile::tempdir().unwrap();
    let runs_file = dir.path().join("runs.txt");
    let mut cluster = Cluster::start(dir.path(), 3, &[&["pool=workers"], &["pool=workers"]]).await;
    let handle = cluster.clone_handle();

    tracing::info!("phase: {job_count} jobs at @every 1s-5s append (job, execution) to a file");
    for index in 0..job_count {
        let period = 1 + index % 5;
        let target = if index % 2 == 0 {
            json!({"pool": "workers:1"})
        } else {
            json!({"server": "true:1"})
        };
        let job = json!({
            "name": format!("job{index:02}"),
            "schedule": format!("@every {period}s"),
            "executor": "shell",
            "executor_config": {"shell": "true", "command": format!(
                "echo \"$DKRON_JOB_NAME $DKRON_EXECUTION_ID\" >> {}", runs_file.display())},
            "tags": target,
        });
        handle.create_job(handle.ports[index % 3], &job).await;
    }
    let window_start = Utc::now() + TimeDelta::seconds(3);
    tokio::time::sleep(Duration::from_secs(4)).await;

    for round in 1..=kills {
        let leader = cluster.leader_index().await.expect("a leader");
        tracing::info!(
            "phase: kill {round}/{kills}: SIGKILL the leader {}",
            cluster.nodes[leader].name
        );
        cluster.nodes[leader].kill();
        cluster
            .wait_until("another server leads", Duration::from_secs(30), |c| {
                let h = c.clone_handle();
                async move { h.leader_name().await.is_some() }
            })
            .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        cluster.restart(leader);
        tokio::time::sleep(Duration::from_secs(4)).await;
    }
    let leader = cluster.leader_index().await.expect("a leader");
    tracing::info!(
        "phase: SIGSTOP the leader {} and resume it after another server leads",
        cluster.nodes[leader].name
    );
    cluster.nodes[leader].signal("STOP");
    let stopped_name = cluster.nodes[leader].name.clone();
    cluster
        .wait_until("another server leads", Duration::from_secs(30), |c| {
            let mut h = c.clone_handle();
            let stopped_port = c.nodes[leader].http_port;
            h.ports.retain(|port| *port != stopped_port);
            let stopped_name = stopped_name.clone();
            async move {
                h.leader_name()
                    .await
                    .is_some_and(|name| name != stopped_name)
            }
        })
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    cluster.nodes[leader].signal("CONT");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let window_end = Utc::now() - TimeDelta::seconds(2);
    let handle = cluster.clone_handle();

    tracing::info!("phase: every occurrence in the window is decided and final");
    cluster
        .wait_until(
            "no occurrence is left launched",
            Duration::from_secs(60),
            |c| {
                let h = c.clone_handle();
                async move {
                    for index in 0..job_count {
                        let path = format!("/v1/jobs/job{index:02}/ledger?limit=1000");
                        let Some(ledger) = h.get_json_any(&path).await else {
                            return false;
                        };
                        let pending = ledger.as_array().unwrap().iter().any(|e| {
                            time_field(e, "nominal_time") <= window_end && e["state"] == "launched"
                        });
                        if pending {
                            return false;
                        }
                    }
                    true
                }
            },
        )
        .await;

    let lines = std::fs::read_to_string(&runs_file).unwrap();
    let mut ran: BTreeMap<(String, String), usize> = BTreeMap::new();
    for line in lines.lines() {
        let (job, execution) = line.split_once(' ').unwrap();
        *ran.entry((job.to_string(), execution.to_string()))
            .or_default() += 1;
    }
    let doubled: Vec<_> = ran.iter().filter(|(_, count)| **count > 1).collect();
    assert!(doubled.is_empty(), "runs done twice: {doubled:?}");
    let mut per_occurrence: BTreeMap<(String, i64), usize> = BTreeMap::new();
    for (job, execution) in ran.keys() {
        let nanos: i64 = execution.split('-').next().unwrap().parse().unwrap();
        *per_occurrence.entry((job.clone(), nanos)).or_default() += 1;
    }
    let twice: Vec<_> = per_occurrence.iter().filter(|(_, n)| **n > 1).collect();
    assert!(
        twice.is_empty(),
        "occurrences run on two nodes though one was asked for: {twice:?}"
    );

    tracing::info!("phase: the ledger holds every occurrence of the window exactly once");
    let mut accounted = 0;
    for index in 0..job_count {
        let name = format!("job{index:02}");
        let period = TimeDelta::seconds(1 + (index % 5) as i64);
        let ledger = handle
            .get_json_any(&format!("/v1/jobs/{name}/ledger?limit=1000"))
            .await
            .unwrap();
        let mut times: Vec<DateTime<Utc>> = ledger
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["trigger"] != "manual")
            .map(|entry| time_field(entry, "nominal_time"))
            .filter(|t| *t >= window_start && *t <= window_end)
            .collect();
        times.sort();
        let unique: BTreeSet<_> = times.iter().collect();
        assert_eq!(
            unique.len(),
            times.len(),
            "{name}: an occurrence twice in the ledger"
        );
        for pair in times.windows(2) {
            assert_eq!(
                pair[1] - pair[0],
                period,
                "{name}: an occurrence missing from the ledger: {pair:?}"
            );
        }
        accounted += times.len();
        // Only occurrences up to the window's end were final when the runs
        // file was read; later ones may have finished since.
        for entry in ledger
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| time_field(e, "nominal_time") <= window_end)
        {
            let Some(nanos) = time_field(entry, "nominal_time").timestamp_nanos_opt() else {
                continue;
            };
            let ran_here = per_occurrence.contains_key(&(name.clone(), nanos));
            match entry["state"].as_str().unwrap() {
                "succeeded" => assert!(ran_here, "{name}: succeeded but never ran: {entry}"),
                "skipped" => assert!(!ran_here, "{name}: skipped but ran: {entry}"),
                _ => {}
            }
        }
    }
    tracing::info!(
        accounted,
        lines = ran.len(),
        "every occurrence accounted for"
    );
    assert!(
        accounted > job_count * 5,
        "the window held occurrences: {accounted}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_quorum_is_recovered_from_peers_json_with_the_jobs_intact() {
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3, &[]).await;
    let handle = cluster.clone_handle();
    let job = json!({"name": "kept", "schedule": "@every 1s", "executor": "shell",
                     "executor_config": {"command": "true"}});
    handle.create_job(handle.ports[0], &job).await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    tracing::info!("phase: two of three servers are lost for good; the survivor has no quorum");
    cluster.nodes[1].kill();
    cluster.nodes[2].kill();
    cluster.nodes[0].kill();

    tracing::info!("phase: peers.json names the survivor alone; it restarts and leads");
    let survivor = &cluster.nodes[0];
    let raft_dir = survivor.data_dir.join("raft");
    std::fs::create_dir_all(&raft_dir).unwrap();
    let peers =
        json!([{"id": survivor.name, "address": format!("127.0.0.1:{}", survivor.rpc_port)}]);
    std::fs::write(raft_dir.join("peers.json"), peers.to_string()).unwrap();
    cluster.restart(0);
    cluster
        .wait_until(
            "the survivor leads alone and runs the job again",
            Duration::from_secs(30),
            |c| {
                let mut h = c.clone_handle();
                h.ports.truncate(1);
                async move {
                    let leader = h.leader_name().await;
                    let ledger = h.get_json_any("/v1/jobs/kept/ledger").await;
                    let fresh = ledger.is_some_and(|l| {
                        l[0]["nominal_time"]
                            .as_str()
                            .and_then(|t| t.parse::<DateTime<Utc>>().ok())
                            .is_some_and(|t| t > Utc::now() - TimeDelta::seconds(3))
                    });
                    leader.as_deref() == Some("server1") && fresh
                }
            },
        )
        .await;
    assert!(
        !raft_dir.join("peers.json").try_exists().unwrap(),
        "peers.json is deleted once applied"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_agent_kills_the_processes_its_crashed_run_left_behind() {
    /// Pids of the processes whose environment carries this job name.
    fn processes_of_job(job: &str) -> Vec<String> {
        let marker = format!("DKRON_JOB_NAME={job}");
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|entry| {
                let pid = entry.file_name().to_str()?.parse::<u32>().ok()?;
                let environ = std::fs::read(entry.path().join("environ")).ok()?;
                environ
                    .split(|byte| *byte == 0)
                    .any(|item| item == marker.as_bytes())
                    .then(|| pid.to_string())
            })
            .collect()
    }
    /// Kills whatever the test leaves running if it fails half-way.
    struct Reaper(String);
    impl Drop for Reaper {
        fn drop(&mut self) {
            let pids = processes_of_job(&self.0);
            if !pids.is_empty() {
                let _status = std::process::Command::new("kill")
                    .arg("-9")
                    .args(&pids)
                    .status();
            }
        }
    }

    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path(), 3, &[&["pool=workers"]]).await;
    let handle = cluster.clone_handle();
    // A name no other test or run uses: it marks the job's processes in /proc.
    let job_name = format!("orphan-{}-{}", std::process::id(), Utc::now().timestamp());
    let _reaper = Reaper(job_name.clone());
    let job = json!({"name": job_name, "schedule": "@manually", "executor": "shell",
                     "executor_config": {"shell": "true", "command": "sleep 700; true"},
                     "tags": {"pool": "workers"}});
    let port = handle.ports[0];
    handle.create_job(port, &job).await;
    assert_eq!(
        handle
            .post(port, &format!("/v1/jobs/{job_name}"), "")
            .await
            .0,
        202
    );

    tracing::info!("phase: the run is running on the agent, as a shell and its sleep");
    cluster
        .wait_until("the job's processes run", Duration::from_secs(20), |_| {
            std::future::ready(processes_of_job(&job_name).len() >= 2)
        })
        .await;
    cluster.wait_busy_on("agent1").await;

    tracing::info!("phase: kill -9 of the agent leaves its run's processes behind");
    let agent = cluster.index_of("agent1");
    cluster.nodes[agent].kill();
    assert!(
        processes_of_job(&job_name).len() >= 2,
        "the orphans should outlive the agent"
    );

    tracing::info!("phase: the restarted agent kills them and the run ends as lost");
    cluster.restart(agent);
    cluster
        .wait_until("the orphans are gone", Duration::from_secs(15), |_| {
            std::future::ready(processes_of_job(&job_name).is_empty())
        })
        .await;
    cluster.wait_latest_occurrence(&job_name, "lost").await;
    let log = cluster.nodes[agent].log();
    assert!(log.contains("killed an orphaned run"), "{log}");
}
