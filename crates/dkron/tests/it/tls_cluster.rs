//! A cluster with certificates on every port (issue 13): three servers and an agent talk
//! HTTPS and mutual TLS, run jobs on the agent across a leader's death, and nodes whose
//! certificate comes from another CA receive no order and get no seat in Raft.

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster_harness::{Cluster, Handle};
use crate::harness::free_port;
use crate::transport::{agent_flags, make_certificates};

/// Returns the successful executions of `job` on `node`.
async fn successes_on(handle: &Handle, job: &str, node: &str) -> usize {
    let executions = handle
        .get_json_any(&format!("/v1/jobs/{job}/executions"))
        .await
        .unwrap_or(Value::Null);
    executions.as_array().map_or(0, |all| {
        all.iter()
            .filter(|e| e["node_name"] == node && e["success"] == true)
            .count()
    })
}

/// Asks for a run of `job` (again while a new leader's scheduler starts) and waits until
/// `node` has `count` successful runs of it.
async fn run_and_wait_for(cluster: &Cluster, job: &str, node: &str, count: usize) {
    let path = format!("/v1/jobs/{job}");
    cluster
        .wait_until("a run is accepted", Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            let path = path.clone();
            async move { handle.post(handle.ports[0], &path, "").await.0 == 202 }
        })
        .await;
    let what = format!("{count} successful runs of {job} on {node}");
    cluster
        .wait_until(&what, Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            let (job, node) = (job.to_string(), node.to_string());
            async move { successes_on(&handle, &job, &node).await >= count }
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_cluster_runs_jobs_across_a_failover_and_a_node_of_another_ca_gets_no_orders() {
    let dir = tempfile::tempdir().unwrap();
    let tls = make_certificates(dir.path(), "ca");
    let client = dkron::credential::http_client(&tls, Duration::from_secs(10)).unwrap();
    let flags = agent_flags(&tls);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut cluster =
        Cluster::start_secured(dir.path(), 3, &[&["pool=workers"]], &flags, client).await;
    let handle = cluster.clone_handle();
    for node in &cluster.nodes {
        assert!(
            !node.log().contains("node rpc is NOT authenticated"),
            "{}",
            node.name
        );
    }

    tracing::info!("phase: a job runs on the agent over mutual TLS");
    let job = json!({"name": "on-agent", "schedule": "@manually", "executor": "shell",
                     "executor_config": {"command": "echo hello"}, "tags": {"pool": "workers"}});
    handle.create_job(handle.ports[0], &job).await;
    run_and_wait_for(&cluster, "on-agent", "agent1", 1).await;

    tracing::info!("phase: the leader dies; a new one is elected and runs go on");
    let leader = cluster.leader_index().await.expect("a leader");
    cluster.nodes[leader].kill();
    let killed = cluster.nodes[leader].name.clone();
    cluster
        .wait_until("another server leads", Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            let killed = killed.clone();
            async move {
                handle
                    .leader_name()
                    .await
                    .is_some_and(|name| name != killed)
            }
        })
        .await;
    run_and_wait_for(&cluster, "on-agent", "agent1", 2).await;

    tracing::info!("phase: an agent with a certificate of another CA receives no order");
    let other = make_certificates(dir.path(), "other");
    let seed = format!("127.0.0.1:{}", cluster.nodes[(leader + 1) % 3].gossip_port);
    a_stranger_agent_is_refused_and_never_a_target(&cluster, dir.path(), &other, &seed).await;

    tracing::info!("phase: the stranger, restarted with the cluster's certificate, is admitted");
    a_fixed_stranger_is_admitted(&cluster, dir.path(), &tls, &seed).await;

    tracing::info!("phase: a server with a certificate of another CA is not added to raft");
    let http = format!("127.0.0.1:{}", free_port());
    let server_flags = ["--server", "--bootstrap-expect", "0", "--http-addr", &http];
    let mut stranger_server =
        spawn_stranger(dir.path(), "stranger-server", &other, &seed, &server_flags);
    wait_alive(&cluster, "stranger-server").await;
    let leader = cluster.leader_index().await.expect("a leader");
    cluster
        .wait_until(
            "the leader refuses the stranger server",
            Duration::from_secs(30),
            |c| {
                let refused = c.nodes[leader]
                    .log()
                    .contains("not adding a server whose rpc does not answer");
                async move { refused }
            },
        )
        .await;
    let peers = list_peers(dir.path(), &cluster, leader, &tls);
    assert!(!peers.contains("stranger-server"), "{peers}");
    assert!(peers.contains(&cluster.nodes[leader].name), "{peers}");
    stranger_server.kill().unwrap();
    stranger_server.wait().unwrap();
}

/// An agent with a certificate of another CA, tagged like the cluster's own agent: it joins
/// gossip, every server marks it refused in `/v1/members` and the leader says why; a job
/// for every node of its tag then runs on the cluster's agent only, with no undelivered run.
async fn a_stranger_agent_is_refused_and_never_a_target(
    cluster: &Cluster,
    dir: &std::path::Path,
    other: &dkron::tls_flags::ClientTlsArgs,
    seed: &str,
) {
    let mut stranger = spawn_stranger(dir, "stranger", other, seed, &["--tag", "pool=workers"]);
    wait_alive(cluster, "stranger").await;
    cluster
        .wait_until(
            "every server marks the stranger refused",
            Duration::from_secs(30),
            |c| {
                let handle = c.clone_handle();
                async move { refused_everywhere(&handle, "stranger").await }
            },
        )
        .await;
    let leader = cluster.leader_index().await.expect("a leader");
    let log = cluster.nodes[leader].log();
    let warning = log
        .lines()
        .find(|line| line.contains("member refused") && line.contains("stranger"))
        .unwrap_or_else(|| panic!("the leader says why the stranger is refused:\n{log}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains("rpc_addr="), "{warning}");

    let job = json!({"name": "everywhere", "schedule": "@manually", "executor": "shell",
                     "executor_config": {"command": "echo hello"}, "tags": {"pool": "workers"}});
    let handle = cluster.clone_handle();
    handle.create_job(handle.ports[0], &job).await;
    for count in 1..=3 {
        run_and_wait_for(cluster, "everywhere", "agent1", count).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let executions = handle
        .get_json_any("/v1/jobs/everywhere/executions")
        .await
        .unwrap();
    let all = executions.as_array().expect("a list of executions");
    assert_eq!(all.len(), 3, "{executions}");
    for execution in all {
        assert_eq!(execution["node_name"], "agent1", "{executions}");
        assert_eq!(execution["success"], true, "{executions}");
    }
    assert!(
        !executions.to_string().contains("could not be delivered"),
        "{executions}"
    );
    stranger.kill().unwrap();
    stranger.wait().unwrap();
}

/// The stranger restarted (on new ports) with a certificate of the cluster's CA: the servers
/// probe it at its new address, drop the refusal, and a job for its tag runs on it.
async fn a_fixed_stranger_is_admitted(
    cluster: &Cluster,
    dir: &std::path::Path,
    tls: &dkron::tls_flags::ClientTlsArgs,
    seed: &str,
) {
    let mut fixed = spawn_stranger(dir, "stranger", tls, seed, &["--tag", "pool=workers"]);
    cluster
        .wait_until(
            "the fixed stranger is admitted",
            Duration::from_secs(60),
            |c| {
                let handle = c.clone_handle();
                async move {
                    let members = handle.get_json_any("/v1/members").await;
                    members
                        .as_ref()
                        .and_then(Value::as_array)
                        .is_some_and(|all| {
                            all.iter().any(|member| {
                                member["Name"] == "stranger"
                                    && member["Status"] == 1
                                    && member["Tags"].get("dkron_rpc_trust").is_none()
                            })
                        })
                        && !refused_anywhere(&handle, "stranger").await
                }
            },
        )
        .await;
    let handle = cluster.clone_handle();
    let job = json!({"name": "on-fixed", "schedule": "@manually", "executor": "shell",
                     "executor_config": {"command": "echo hello"},
                     "tags": {"pool": "workers"}});
    handle.create_job(handle.ports[0], &job).await;
    run_and_wait_for(cluster, "on-fixed", "stranger", 1).await;
    fixed.kill().unwrap();
    fixed.wait().unwrap();
}

/// Whether any server's `/v1/members` tags `name` as refused.
async fn refused_anywhere(handle: &Handle, name: &str) -> bool {
    for port in &handle.ports {
        if is_refused_at(handle, *port, name).await {
            return true;
        }
    }
    false
}

/// Whether the server on `port` lists `name` with `dkron_rpc_trust: refused`.
async fn is_refused_at(handle: &Handle, port: u16, name: &str) -> bool {
    let members = handle.get_json_at(port, "/v1/members").await;
    members
        .as_ref()
        .and_then(Value::as_array)
        .is_some_and(|all| {
            all.iter().any(|member| {
                member["Name"] == name && member["Tags"]["dkron_rpc_trust"] == "refused"
            })
        })
}

/// Whether every server's `/v1/members` tags `name` as refused.
async fn refused_everywhere(handle: &Handle, name: &str) -> bool {
    for port in &handle.ports {
        let members = handle.get_json_at(*port, "/v1/members").await;
        let refused = members
            .as_ref()
            .and_then(Value::as_array)
            .is_some_and(|all| {
                all.iter().any(|member| {
                    member["Name"] == name && member["Tags"]["dkron_rpc_trust"] == "refused"
                })
            });
        if !refused {
            return false;
        }
    }
    true
}

/// Starts a node with the certificates `tls` (of another CA), joining through `seed`.
fn spawn_stranger(
    dir: &std::path::Path,
    name: &str,
    tls: &dkron::tls_flags::ClientTlsArgs,
    seed: &str,
    extra: &[&str],
) -> std::process::Child {
    let log = std::fs::File::create(dir.join(format!("{name}.log"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args(["agent", "--node-name", name, "--profile", "local"])
        .args(["--bind-addr", &format!("127.0.0.1:{}", free_port())])
        .args(["--rpc-port", &free_port().to_string(), "--retry-join", seed])
        .arg("--data-dir")
        .arg(dir.join(name))
        .args(agent_flags(tls))
        .args(extra)
        .stdout(Stdio::null())
        .stderr(log)
        .stdin(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `/v1/members` lists `name` alive.
async fn wait_alive(cluster: &Cluster, name: &str) {
    let what = format!("{name} is an alive gossip member");
    cluster
        .wait_until(&what, Duration::from_secs(30), |c| {
            let handle = c.clone_handle();
            let name = name.to_string();
            async move {
                let members = handle.get_json_any("/v1/members").await;
                members.is_some_and(|m| {
                    m.as_array().is_some_and(|all| {
                        all.iter()
                            .any(|m| m["Name"] == name.as_str() && m["Status"] == 1)
                    })
                })
            }
        })
        .await;
}

/// `dkron raft list-peers` against the server at `index`, with the cluster's certificates.
fn list_peers(
    dir: &std::path::Path,
    cluster: &Cluster,
    index: usize,
    tls: &dkron::tls_flags::ClientTlsArgs,
) -> String {
    let rpc_addr = format!("127.0.0.1:{}", cluster.nodes[index].rpc_port);
    let mut args = vec![
        "raft".to_string(),
        "list-peers".into(),
        "--rpc-addr".into(),
        rpc_addr,
    ];
    args.extend(
        agent_flags(tls)
            .into_iter()
            .filter(|flag| flag != "--client-cert-auth"),
    );
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = crate::transport::dkron(dir, &args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
