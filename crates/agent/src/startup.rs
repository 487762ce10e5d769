//! Starting a node: what servers (`server_node`) and agents (`agent_node`) share — addresses,
//! gossip, joining, the gRPC services, draining and signals.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dkron_cluster::rpc::RpcServer;
use dkron_config::{AgentConfig, GossipProfile, HostPort};
use dkron_exec::ExecLimits;
use dkron_membership::{Gossip, GossipConfig, GossipTiming};
use dkron_worker::Worker;
use tokio_util::sync::CancellationToken;

use crate::identity::{self, ServerTags};
use crate::members;
use crate::node::Node;
use crate::node_service::{LeaderService, NodeService};
use crate::recorder::Recorder;

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

pub(crate) async fn resolve(address: &HostPort, default_host: &str) -> anyhow::Result<SocketAddr> {
    let text = socket_text(address, default_host);
    tokio::net::lookup_host(&text)
        .await
        .with_context(|| format!("cannot resolve {text}"))?
        .next()
        .with_context(|| format!("{text} resolves to no address"))
}

/// Who this node is on the network.
pub(crate) struct Addresses {
    pub gossip_bind: SocketAddr,
    pub gossip_advertise: SocketAddr,
    pub rpc_bind: SocketAddr,
    pub rpc_advertise: String,
}

pub(crate) async fn addresses(config: &AgentConfig) -> anyhow::Result<Addresses> {
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

fn gossip_timing(profile: GossipProfile, reap_after: Duration) -> GossipTiming {
    let timing = match profile {
        GossipProfile::Lan | GossipProfile::Wan => GossipTiming::lan(),
        // One machine: quick, with slack for a busy host.
        GossipProfile::Local => GossipTiming {
            probe_period: Duration::from_millis(500),
            probe_rtt: Duration::from_millis(300),
            suspect_to_failed: Duration::from_secs(2),
            ..GossipTiming::lan()
        },
    };
    // Serf forgets a failed member after its reconnect timeout; so do we.
    GossipTiming {
        reap_after,
        ..timing
    }
}

pub(crate) fn node_tags(
    config: &AgentConfig,
    addresses: &Addresses,
    server: Option<ServerTags>,
) -> std::collections::BTreeMap<String, String> {
    identity::node_tags(
        &config.tags,
        &config.datacenter,
        &config.region,
        &addresses.rpc_advertise,
        config.advertised_rpc_port(),
        server,
    )
}

pub(crate) async fn start_gossip(
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
        timing: gossip_timing(config.profile, config.serf_reconnect_timeout),
    })
    .await
    .context("cannot start gossip")?;
    tracing::info!(address = %gossip.local_addr(), encrypted = config.encrypt.is_some(), "gossip started");
    Ok(gossip)
}

pub(crate) async fn join(config: &AgentConfig, gossip: &Gossip) -> anyhow::Result<()> {
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

pub(crate) async fn join_in_background(
    config: AgentConfig,
    gossip: Gossip,
    shutdown: CancellationToken,
) {
    if let Err(error) = join(&config, &gossip).await {
        tracing::error!(error = %error, "giving up joining the cluster; stopping");
        shutdown.cancel();
    }
}

pub(crate) fn worker_limits(config: &AgentConfig) -> ExecLimits {
    ExecLimits {
        output_cap_bytes: usize::try_from(config.max_output_bytes).unwrap_or(usize::MAX),
    }
}

pub(crate) async fn bind_tcp(
    address: SocketAddr,
    what: &str,
) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {what} {address}"))
}

/// Serves the node's gRPC services: all of them on a server, `Node` only on an agent,
/// until `serve_until` fires. `shutdown` is what `dkron leave` fires; once it has, the node
/// takes no new runs. A server keeps serving through its stop (until Raft has stopped), so
/// that the other servers, stopping at the same moment, can still reach a quorum to record
/// their last runs.
pub(crate) fn serve_rpc(
    listener: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    server: Option<Arc<Node>>,
    worker: Arc<Worker>,
    shutdown: CancellationToken,
    serve_until: CancellationToken,
) {
    let mut rpc_server = RpcServer::new(NodeService {
        worker,
        shutdown: shutdown.clone(),
    });
    if let Some(node) = server {
        rpc_server = rpc_server.with_server_services(&node.raft, LeaderService(node.clone()));
    }
    tokio::spawn(async move {
        let served = rpc_server
            .serve(listener, tls, serve_until.cancelled_owned())
            .await;
        if let Err(error) = served {
            tracing::error!(error = %error, "rpc server failed");
        }
    });
}

/// Ends, as lost, the runs this node's previous process started; retried until a leader
/// takes it. Runs this process takes meanwhile start at once: the command leaves them alone.
pub(crate) async fn end_previous_runs(recorder: Recorder, worker: Arc<Worker>) {
    let command = crate::run_records::end_previous_runs_command(&worker);
    let mut pause = Duration::from_millis(200);
    loop {
        match recorder.record(command.clone()).await {
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

pub(crate) async fn drain(worker: &Worker) {
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
        crate::shutdown::step(
            "see the killed jobs end",
            crate::shutdown::STEP_LIMIT,
            worker.wait_idle(),
        )
        .await;
    }
}

pub(crate) async fn wait_for_signal(shutdown: CancellationToken) {
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
