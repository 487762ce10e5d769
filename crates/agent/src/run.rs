//! Starting and stopping a node: the wiring of consensus, worker, scheduler and HTTP.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use dkron_cluster::{RaftNode, RaftOptions};
use dkron_exec::ExecLimits;
use dkron_scheduler::{Scheduler, SchedulerConfig, SystemClock};
use dkron_store::{Command, Retention};
use tokio_util::sync::CancellationToken;

use crate::api_seam::ApiSeam;
use crate::config::{AgentConfig, HostPort};
use crate::identity;
use crate::node::Node;
use crate::orphans::{self, RunIdentity};
use crate::recorder::Recorder;
use crate::scheduler_seam::SchedulerSeam;
use crate::worker::Worker;

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

fn scheduler_config(config: &AgentConfig) -> SchedulerConfig {
    SchedulerConfig {
        misfire_policy: config.misfire_policy,
        catch_up_window: config.catch_up_window,
        ..SchedulerConfig::default()
    }
}

/// Runs a server node until a signal or `POST /v1/leave` stops it.
pub async fn run(config: AgentConfig) -> anyhow::Result<()> {
    anyhow::ensure!(
        config.server,
        "this build runs server nodes only: start with --server (agents arrive with cluster support)"
    );
    anyhow::ensure!(
        (config.bootstrap_expect == 1 || config.bootstrap || config.devmode)
            && config.join.is_empty()
            && config.retry_join.is_empty(),
        "this build runs single-server clusters only: start with --bootstrap-expect 1 and no --join"
    );
    // Bind first: a port conflict must stop the server before it schedules anything.
    let listener = bind_http(&config).await?;
    let shutdown = CancellationToken::new();
    let node = start_node(&config, shutdown.clone()).await?;
    let router = dkron_api::router(
        Arc::new(ApiSeam(node.clone())),
        dkron_api::ApiOptions::new(node.node_name.clone()),
    );
    tracing::info!(address = %listener.local_addr().map(|a| a.to_string()).unwrap_or_default(), "http api listening");
    let signals = tokio::spawn(wait_for_signal(shutdown.clone()));
    let serve_shutdown = shutdown.clone();
    axum::serve(listener, router)
        .with_graceful_shutdown(async move { serve_shutdown.cancelled().await })
        .await
        .context("http server failed")?;
    signals.abort();
    stop_node(&node).await;
    Ok(())
}

async fn bind_http(config: &AgentConfig) -> anyhow::Result<tokio::net::TcpListener> {
    let address = socket_text(&config.http_addr, "0.0.0.0");
    tokio::net::TcpListener::bind(&address)
        .await
        .with_context(|| format!("cannot listen on http-addr {address}"))
}

async fn start_node(
    config: &AgentConfig,
    shutdown: CancellationToken,
) -> anyhow::Result<Arc<Node>> {
    let node_name = config.node_name.clone();
    let node_id = identity::node_id(&config.data_dir, &node_name).with_context(|| {
        format!(
            "cannot read or write the node id in {}",
            config.data_dir.display()
        )
    })?;
    let advertise = config
        .advertise_addr
        .clone()
        .unwrap_or_else(|| config.bind_addr.clone());
    let member_addr = if advertise.host.is_empty() {
        "127.0.0.1".to_string()
    } else {
        advertise.host.clone()
    };
    let rpc_addr = format!("{member_addr}:{}", config.advertised_rpc_port());
    tracing::info!(node = %node_name, node_id, data_dir = %config.data_dir.display(), "starting server");
    let raft = RaftNode::start(RaftOptions {
        data_dir: config.data_dir.clone(),
        node_id,
        rpc_addr: rpc_addr.clone(),
        state_cache_bytes: STATE_CACHE_BYTES,
        raft_multiplier: u64::from(config.raft_multiplier),
        snapshot_every_entries: SNAPSHOT_EVERY_ENTRIES,
    })
    .await
    .context("cannot start consensus")?;
    raft.wait_for_leadership(ELECTION_LIMIT)
        .await
        .context("this server did not become leader")?;
    let raft = Arc::new(raft);
    let recorder = Recorder::start(raft.clone());
    let limits = ExecLimits {
        output_cap_bytes: usize::try_from(config.max_output_bytes).unwrap_or(usize::MAX),
    };
    let worker = Arc::new(Worker::new(node_name.clone(), limits, recorder.clone()));
    let tags = identity::node_tags(
        &config.tags,
        &config.datacenter,
        &config.region,
        &rpc_addr,
        config.advertised_rpc_port(),
        config.bootstrap_expect,
    );
    let node = Arc::new(Node {
        node_name: node_name.clone(),
        tags,
        member_addr,
        member_port: advertise.port,
        local_zone: identity::local_zone(std::env::var("TZ").ok().as_deref()),
        raft: raft.clone(),
        recorder: recorder.clone(),
        worker,
        scheduler: OnceLock::new(),
        shutdown,
    });
    recover(&node, config).await?;
    let scheduler = Scheduler::start(
        Arc::new(SchedulerSeam(node.clone())),
        scheduler_config(config),
        Arc::new(SystemClock),
    );
    if node.scheduler.set(scheduler).is_err() {
        anyhow::bail!("scheduler started twice");
    }
    tracing::info!(node = %node_name, "server ready");
    Ok(node)
}

/// Brings the replicated state in line with a fresh process: runs this node had in flight
/// died with the previous process, so they are ended as lost instead of staying "running";
/// the configured history limits become the replicated ones.
async fn recover(node: &Node, config: &AgentConfig) -> anyhow::Result<()> {
    let in_flight: HashSet<RunIdentity> = node
        .raft
        .store()
        .active_runs(Some(&node.node_name))
        .context("cannot read the runs of the previous process")?
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
    let lost = node
        .recorder
        .record(Command::LoseRuns {
            node_name: node.node_name.clone(),
            reason: "the server restarted while the run was in progress; its result is unknown"
                .into(),
            at: Utc::now(),
        })
        .await
        .map_err(anyhow::Error::msg)
        .context("cannot end the runs of the previous process")?;
    if let dkron_store::CommandResult::Lost(count @ 1..) = lost {
        tracing::warn!(
            runs = count,
            "runs of the previous process were recorded as lost"
        );
    }
    let wanted = Retention {
        executions_per_job: config.execution_retention,
        ledger_per_job: config.ledger_retention,
    };
    let current = node
        .raft
        .store()
        .retention()
        .context("cannot read retention")?;
    if current != wanted {
        node.recorder
            .record(Command::SetRetention(wanted))
            .await
            .map_err(anyhow::Error::msg)
            .context("cannot set retention")?;
    }
    Ok(())
}

async fn stop_node(node: &Node) {
    tracing::info!("stopping: no new runs are scheduled");
    let undispatched = match node.scheduler.get() {
        Some(scheduler) => scheduler.stop().await.len(),
        None => 0,
    };
    let running = node.worker.running_count();
    if running > 0 {
        tracing::info!(
            running,
            limit_secs = DRAIN_LIMIT.as_secs(),
            "waiting for running jobs"
        );
        if tokio::time::timeout(DRAIN_LIMIT, node.worker.wait_idle())
            .await
            .is_err()
        {
            tracing::warn!("running jobs did not finish in time; killing them");
            node.worker.cancel_all();
            node.worker.wait_idle().await;
        }
    }
    if let Err(error) = node.recorder.flush().await {
        tracing::warn!(error = %error, "last run records may not have been written");
    }
    if undispatched > 0 {
        // Every started run has its result written by now, so what is still active was
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
    }
    shutdown.cancel();
}
