//! Starting and stopping a node: the wiring of gossip, gRPC, consensus, worker, scheduler and
//! HTTP. A server (`--server`) does all of it; an agent only gossips and runs what it is sent.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use dkron_cluster::rpc::Channels;
use dkron_cluster::rpc::proto::leader_server::LeaderServer;
use dkron_cluster::rpc::proto::node_server::NodeServer;
use dkron_cluster::rpc::proto::raft_server::RaftServer;
use dkron_cluster::rpc::proto::server_server::ServerServer;
use dkron_cluster::{Bootstrap, RaftNode, RaftOptions, ServerService};
use dkron_exec::ExecLimits;
use dkron_membership::{Gossip, GossipConfig, GossipTiming};
use dkron_scheduler::SchedulerConfig;
use dkron_store::{Command, Retention};
use tokio_util::sync::CancellationToken;

use crate::api_seam::ApiSeam;
use crate::config::{AgentConfig, GossipProfile, HostPort};
use crate::identity;
use crate::leadership::{self, LeaderDuties};
use crate::members;
use crate::node::Node;
use crate::node_service::{LeaderService, NodeService};
use crate::orphans::{self, RunIdentity};
use crate::recorder::Recorder;
use crate::worker::Worker;
use crate::writer::Writer;

/// Page cache of the state database: history lives on disk, memory stays bounded.
const STATE_CACHE_BYTES: usize = 32 << 20;
/// Log entries between snapshots.
const SNAPSHOT_EVERY_ENTRIES: u64 = 20_000;
/// How long a fresh single server may take to elect itself.
const ELECTION_LIMIT: Duration = Duration::from_secs(30);
/// How long a graceful stop waits for running jobs before killing them.
const DRAIN_LIMIT: Duration = Duration::from_secs(30);

fn socket_text(address: &HostPort, default_host: &str) -> String {
    let host = if address.host.is_empty() {
        default_host
    } else {
        address.host.as_str()
    };
    if host.contains(':') {
        format!("[{host}]:{}", address.port)
    } else {
        format!("{host}:{}", address.port)
    }
}

async fn resolve(address: &HostPort, default_host: &str) -> anyhow::Result<SocketAddr> {
    let text = socket_text(address, default_host);
    tokio::net::lookup_host(&text)
        .await
        .with_context(|| format!("cannot resolve {text}"))?
        .next()
        .with_context(|| format!("{text} resolves to no address"))
}

/// Who this node is on the network.
struct Addresses {
    gossip_bind: SocketAddr,
    gossip_advertise: SocketAddr,
    rpc_bind: SocketAddr,
    rpc_advertise: String,
}

async fn addresses(config: &AgentConfig) -> anyhow::Result<Addresses> {
    let gossip_bind = resolve(&config.bind_addr, "0.0.0.0").await?;
    let advertise = config
        .advertise_addr
        .clone()
        .unwrap_or_else(|| config.bind_addr.clone());
    let mut gossip_advertise = resolve(&advertise, "127.0.0.1").await?;
    if gossip_advertise.ip().is_unspecified() {
        tracing::warn!(
            "bind-addr listens on every interface; advertising 127.0.0.1 — set advertise-addr for nodes on other machines"
        );
        gossip_advertise.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let rpc_bind = SocketAddr::new(gossip_bind.ip(), config.rpc_port);
    let rpc_advertise =
        SocketAddr::new(gossip_advertise.ip(), config.advertised_rpc_port()).to_string();
    Ok(Addresses {
        gossip_bind,
        gossip_advertise,
        rpc_bind,
        rpc_advertise,
    })
}

fn gossip_timing(profile: GossipProfile) -> GossipTiming {
    match profile {
        GossipProfile::Lan | GossipProfile::Wan => GossipTiming::lan(),
        // One machine: quick, with slack for a busy host.
        GossipProfile::Local => GossipTiming {
            probe_period: Duration::from_millis(500),
            probe_rtt: Duration::from_millis(300),
            suspect_to_failed: Duration::from_secs(2),
            ..GossipTiming::lan()
        },
    }
}

/// How long before its nominal time a run is handed to its node (which starts it on time).
const DISPATCH_LEAD: Duration = Duration::from_millis(100);

fn scheduler_config(config: &AgentConfig) -> SchedulerConfig {
    SchedulerConfig {
        misfire_policy: config.misfire_policy,
        catch_up_window: config.catch_up_window,
        dispatch_lead: DISPATCH_LEAD,
        ..SchedulerConfig::default()
    }
}

fn node_tags(
    config: &AgentConfig,
    addresses: &Addresses,
    raft_id: Option<u64>,
) -> std::collections::BTreeMap<String, String> {
    let mut tags = identity::node_tags(
        &config.tags,
        &config.datacenter,
        &config.region,
        &addresses.rpc_advertise,
        config.advertised_rpc_port(),
        config.bootstrap_expect,
    );
    match raft_id {
        Some(id) => {
            tags.insert(members::RAFT_ID_TAG.to_string(), id.to_string());
        }
        None => {
            tags.remove("server");
            tags.remove("expect");
        }
    }
    tags
}

async fn start_gossip(
    config: &AgentConfig,
    addresses: &Addresses,
    tags: std::collections::BTreeMap<String, String>,
) -> anyhow::Result<Gossip> {
    let gossip = Gossip::start(GossipConfig {
        node_name: config.node_name.clone(),
        bind: addresses.gossip_bind,
        advertise: Some(addresses.gossip_advertise),
        tags,
        key: config.encrypt.as_ref().map(|key| key.as_bytes().to_vec()),
        timing: gossip_timing(config.profile),
    })
    .await
    .context("cannot start gossip")?;
    tracing::info!(address = %gossip.local_addr(), encrypted = config.encrypt.is_some(), "gossip started");
    Ok(gossip)
}

async fn join(config: &AgentConfig, gossip: &Gossip) -> anyhow::Result<()> {
    members::join_once(gossip, &config.join).await;
    if !config.retry_join.is_empty() {
        members::retry_join(
            gossip,
            &config.retry_join,
            config.retry_interval,
            config.retry_max,
        )
        .await?;
    }
    Ok(())
}

async fn join_in_background(config: AgentConfig, gossip: Gossip, shutdown: CancellationToken) {
    if let Err(error) = join(&config, &gossip).await {
        tracing::error!(error = %error, "giving up joining the cluster; stopping");
        shutdown.cancel();
    }
}

fn worker_limits(config: &AgentConfig) -> ExecLimits {
    ExecLimits {
        output_cap_bytes: usize::try_from(config.max_output_bytes).unwrap_or(usize::MAX),
    }
}

/// Runs a node until a signal, `dkron leave` or `POST /v1/leave` stops it.
pub async fn run(config: AgentConfig) -> anyhow::Result<()> {
    if config.server {
        run_server(config).await
    } else {
        run_agent(config).await
    }
}

async fn bind_tcp(address: SocketAddr, what: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {what} {address}"))
}

async fn run_server(config: AgentConfig) -> anyhow::Result<()> {
    // Bind first: a port conflict must stop the server before it touches anything.
    let http = bind_tcp(resolve(&config.http_addr, "0.0.0.0").await?, "http-addr").await?;
    let addresses = addresses(&config).await?;
    let rpc = bind_tcp(addresses.rpc_bind, "the rpc port").await?;
    let shutdown = CancellationToken::new();
    let node = start_server(&config, &addresses, rpc, shutdown.clone()).await?;
    let router = dkron_api::router(
        Arc::new(ApiSeam(node.clone())),
        dkron_api::ApiOptions::new(node.node_name.clone()),
    );
    tracing::info!(address = %http.local_addr().map(|a| a.to_string()).unwrap_or_default(), "http api listening");
    let signals = tokio::spawn(wait_for_signal(shutdown.clone()));
    let serve_shutdown = shutdown.clone();
    axum::serve(http, router)
        .with_graceful_shutdown(async move { serve_shutdown.cancelled().await })
        .await
        .context("http server failed")?;
    signals.abort();
    stop_server(&node).await;
    Ok(())
}

async fn start_server(
    config: &AgentConfig,
    addresses: &Addresses,
    rpc: tokio::net::TcpListener,
    shutdown: CancellationToken,
) -> anyhow::Result<Arc<Node>> {
    let node_name = config.node_name.clone();
    let node_id = identity::node_id(&config.data_dir, &node_name).with_context(|| {
        format!(
            "cannot read or write the node id in {}",
            config.data_dir.display()
        )
    })?;
    let single = config.bootstrap_expect == 1 || config.bootstrap || config.devmode;
    tracing::info!(node = %node_name, node_id, data_dir = %config.data_dir.display(), "starting server");
    let channels = Channels::default();
    let raft = RaftNode::start(
        RaftOptions {
            data_dir: config.data_dir.clone(),
            node_id,
            node_name: node_name.clone(),
            rpc_addr: addresses.rpc_advertise.clone(),
            state_cache_bytes: STATE_CACHE_BYTES,
            raft_multiplier: u64::from(config.raft_multiplier),
            snapshot_every_entries: SNAPSHOT_EVERY_ENTRIES,
            bootstrap: if single {
                Bootstrap::Single
            } else {
                Bootstrap::Wait
            },
        },
        channels.clone(),
    )
    .await
    .context("cannot start consensus")?;
    let raft = Arc::new(raft);
    let killed = kill_orphans_of(&raft, &node_name);
    let tags = node_tags(config, addresses, Some(node_id));
    let gossip = start_gossip(config, addresses, tags.clone()).await?;
    let recorder = Recorder::start(Arc::new(Writer::Server(raft.clone())));
    let worker = Arc::new(Worker::new(
        node_name.clone(),
        worker_limits(config),
        recorder.clone(),
    ));
    let node = Arc::new(Node {
        node_name: node_name.clone(),
        tags,
        gossip: gossip.clone(),
        encrypted: config.encrypt.is_some(),
        channels,
        local_zone: identity::local_zone(std::env::var("TZ").ok().as_deref()),
        raft: raft.clone(),
        recorder: recorder.clone(),
        worker: worker.clone(),
        scheduler: Mutex::new(None),
        shutdown: shutdown.clone(),
        started: std::time::Instant::now(),
    });
    serve_rpc(rpc, Some(node.clone()), worker, shutdown.clone());
    // A server with data serves while it looks for its peers: it may be the one that must
    // come up first (a restart after an outage, a recovery from peers.json).
    tokio::spawn(join_in_background(
        config.clone(),
        gossip.clone(),
        shutdown.clone(),
    ));
    if !single && !raft.is_initialized().await.unwrap_or(false) {
        tokio::spawn(crate::bootstrap::when_expected(
            raft.clone(),
            gossip.clone(),
            config.bootstrap_expect,
            shutdown.clone(),
        ));
    }
    if single {
        raft.wait_for_leadership(ELECTION_LIMIT)
            .await
            .context("this server did not become leader")?;
    }
    if single {
        // The leader is this server: end the previous process's runs before serving, so
        // nobody reads them as still running.
        end_previous_runs(recorder, node_name.clone(), killed).await;
    } else {
        tokio::spawn(end_previous_runs(recorder, node_name.clone(), killed));
    }
    let duties = LeaderDuties {
        scheduler: scheduler_config(config),
        retention: Retention {
            executions_per_job: config.execution_retention,
            ledger_per_job: config.ledger_retention,
        },
    };
    tokio::spawn(leadership::follow(node.clone(), duties, shutdown.clone()));
    tracing::info!(node = %node_name, "server ready");
    Ok(node)
}

/// Serves the node's gRPC services: all of them on a server, `Node` only on an agent.
fn serve_rpc(
    listener: tokio::net::TcpListener,
    server: Option<Arc<Node>>,
    worker: Arc<Worker>,
    shutdown: CancellationToken,
) {
    let incoming = tokio_stream_of(listener);
    let node_service = NodeServer::new(NodeService {
        worker,
        shutdown: shutdown.clone(),
    });
    let mut routes = tonic::transport::Server::builder()
        .tcp_nodelay(true)
        .add_service(node_service);
    if let Some(node) = server {
        routes = routes
            .add_service(RaftServer::new(node.raft.raft_service()))
            .add_service(ServerServer::new(ServerService::new(node.raft.clone())))
            .add_service(LeaderServer::new(LeaderService(node.clone())));
    }
    tokio::spawn(async move {
        let served = routes
            .serve_with_incoming_shutdown(incoming, shutdown.cancelled_owned())
            .await;
        if let Err(error) = served {
            tracing::error!(error = %error, "rpc server failed");
        }
    });
}

fn tokio_stream_of(
    listener: tokio::net::TcpListener,
) -> impl futures::Stream<Item = std::io::Result<tokio::net::TcpStream>> {
    futures::stream::unfold(listener, |listener| async move {
        let accepted = listener.accept().await.map(|(stream, _)| {
            let _nodelay_is_best_effort = stream.set_nodelay(true);
            stream
        });
        Some((accepted, listener))
    })
}

/// Kills processes of runs this node had in flight when its previous process died.
fn kill_orphans_of(raft: &RaftNode, node_name: &str) -> u32 {
    let in_flight: HashSet<RunIdentity> = raft
        .store()
        .active_runs(Some(node_name))
        .unwrap_or_default()
        .into_iter()
        .map(|run| (run.job, run.execution_id))
        .collect();
    let killed = orphans::kill_orphans(Path::new("/proc"), &in_flight);
    if killed > 0 {
        tracing::warn!(
            process_groups = killed,
            "killed processes of runs left by the previous process"
        );
    }
    u32::try_from(killed).unwrap_or(u32::MAX)
}

/// Ends, as lost, the runs this node's previous process had in flight; retried until a
/// leader takes it.
async fn end_previous_runs(recorder: Recorder, node_name: String, _killed: u32) {
    let mut pause = Duration::from_millis(200);
    loop {
        let result = recorder
            .record(Command::LoseRuns {
                node_name: node_name.clone(),
                reason: "the node restarted while the run was in progress; its result is unknown"
                    .into(),
                at: Utc::now(),
            })
            .await;
        match result {
            Ok(dkron_store::CommandResult::Lost(count @ 1..)) => {
                tracing::warn!(
                    runs = count,
                    "runs of the previous process were recorded as lost"
                );
                return;
            }
            Ok(_) => return,
            Err(error) => {
                tracing::debug!(error = %error, "cannot end the previous process's runs yet");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    }
}

/// Kills processes left by this agent's previous process: an agent has no store, so its runs
/// are recognised by the node name in their execution ids.
async fn kill_orphans_of_agent(node_name: &str) -> u32 {
    let node_name = node_name.to_string();
    let killed = tokio::task::spawn_blocking(move || {
        orphans::kill_orphans_of_node(Path::new("/proc"), &node_name)
    })
    .await
    .unwrap_or(0);
    if killed > 0 {
        tracing::warn!(
            process_groups = killed,
            "killed processes of runs left by the previous process"
        );
    }
    u32::try_from(killed).unwrap_or(u32::MAX)
}

async fn run_agent(config: AgentConfig) -> anyhow::Result<()> {
    let addresses = addresses(&config).await?;
    let rpc = bind_tcp(addresses.rpc_bind, "the rpc port").await?;
    // Before gossip: no run has been sent to this process yet, so a process carrying this
    // node's execution ids was started by a previous one, now dead (live nodes' runs are spared).
    let killed = kill_orphans_of_agent(&config.node_name).await;
    let shutdown = CancellationToken::new();
    let tags = node_tags(&config, &addresses, None);
    let gossip = start_gossip(&config, &addresses, tags).await?;
    let channels = Channels::default();
    let recorder = Recorder::start(Arc::new(Writer::Agent {
        gossip: gossip.clone(),
        channels,
    }));
    let worker = Arc::new(Worker::new(
        config.node_name.clone(),
        worker_limits(&config),
        recorder.clone(),
    ));
    serve_rpc(rpc, None, worker.clone(), shutdown.clone());
    join(&config, &gossip).await?;
    tokio::spawn(end_previous_runs(
        recorder.clone(),
        config.node_name.clone(),
        killed,
    ));
    tracing::info!(node = %config.node_name, "agent ready: running jobs sent by the leader");
    wait_for_signal(shutdown.clone()).await;
    drain(&worker).await;
    if let Err(error) = recorder.flush().await {
        tracing::warn!(error = %error, "last run records may not have been written");
    }
    gossip.leave().await;
    tracing::info!("stopped");
    Ok(())
}

async fn drain(worker: &Worker) {
    let running = worker.running_count();
    if running == 0 {
        return;
    }
    tracing::info!(
        running,
        limit_secs = DRAIN_LIMIT.as_secs(),
        "waiting for running jobs"
    );
    if tokio::time::timeout(DRAIN_LIMIT, worker.wait_idle())
        .await
        .is_err()
    {
        tracing::warn!("running jobs did not finish in time; killing them");
        worker.cancel_all();
        worker.wait_idle().await;
    }
}

async fn stop_server(node: &Node) {
    tracing::info!("stopping: no new runs are scheduled");
    let scheduler = node
        .scheduler
        .lock()
        .expect("scheduler slot lock is never poisoned")
        .take();
    let undispatched = match scheduler {
        Some(scheduler) => scheduler.stop().await.len(),
        None => 0,
    };
    drain(&node.worker).await;
    if let Err(error) = node.recorder.flush().await {
        tracing::warn!(error = %error, "last run records may not have been written");
    }
    if undispatched > 0 {
        // Every started run has its result written by now, so what is still active here was
        // committed ahead of its nominal time and never started.
        let closed = node
            .recorder
            .record(Command::LoseRuns {
                node_name: node.node_name.clone(),
                reason: "the server stopped before the run's nominal time; it was not started"
                    .into(),
                at: Utc::now(),
            })
            .await;
        tracing::info!(launches = undispatched, result = ?closed, "ended launches that never started");
    }
    node.gossip.leave().await;
    node.raft.shutdown().await;
    tracing::info!("stopped");
}

async fn wait_for_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut terminate), Ok(mut interrupt)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return;
    };
    tokio::select! {
        _ = terminate.recv() => tracing::info!("received SIGTERM"),
        _ = interrupt.recv() => tracing::info!("received SIGINT"),
        _ = shutdown.cancelled() => {}
    }
    shutdown.cancel();
}
