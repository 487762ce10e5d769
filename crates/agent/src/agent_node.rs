//! An agent (`dkron agent` without `--server`): it gossips and runs what the leader sends.

use std::path::Path;
use std::sync::Arc;

use dkron_cluster::rpc::Channels;
use dkron_config::AgentConfig;
use dkron_plugin::PluginHost;
use dkron_worker::Worker;
use tokio_util::sync::CancellationToken;

use crate::plugins::with_plugins;
use crate::recorder::Recorder;
use crate::startup::{
    addresses, bind_tcp, drain, end_previous_runs, join, node_tags, serve_rpc, start_gossip,
    wait_for_signal, worker_limits,
};
use crate::transport::Transport;
use crate::writer::Writer;

/// Kills processes left by this agent's previous process: an agent has no store, so its runs
/// are recognised by the node name in their execution ids.
async fn kill_orphans_of_agent(node_name: &str) {
    let node_name = node_name.to_string();
    let killed = tokio::task::spawn_blocking(move || {
        dkron_worker::kill_orphans_of_node(Path::new("/proc"), &node_name)
    })
    .await
    .unwrap_or(0);
    if killed > 0 {
        tracing::warn!(
            process_groups = killed,
            "killed processes of runs left by the previous process"
        );
    }
}

/// Runs an agent: gossip, the `Node` service and a worker; no API, no store.
pub(crate) async fn run_agent(
    config: AgentConfig,
    transport: Transport,
    plugins: PluginHost,
) -> anyhow::Result<()> {
    let addresses = addresses(&config).await?;
    let rpc = bind_tcp(addresses.rpc_bind, "the rpc port").await?;
    // Before gossip: no run has been sent to this process yet, so a process carrying this
    // node's execution ids was started by a previous one, now dead (live nodes' runs are spared).
    kill_orphans_of_agent(&config.node_name).await;
    let shutdown = CancellationToken::new();
    if !crate::metrics::statsd::sinks(&config).is_empty() {
        tracing::warn!(
            "statsd-addr / dog-statsd-addr are used by servers: the leader sends the run metrics of every node, agents send none"
        );
    }
    let tags = node_tags(&config, &addresses, None);
    let gossip = start_gossip(&config, &addresses, tags).await?;
    let channels = Channels::with_tls(transport.rpc_client());
    let recorder = Recorder::start(Arc::new(Writer::Agent {
        gossip: gossip.clone(),
        channels,
    }));
    let worker = Arc::new(with_plugins(
        Worker::new(
            config.node_name.clone(),
            worker_limits(&config),
            recorder.clone(),
        ),
        &plugins,
    ));
    serve_rpc(
        rpc,
        transport.rpc_server(),
        None,
        worker.clone(),
        shutdown.clone(),
        shutdown.clone(),
    );
    tokio::spawn(crate::shutdown::watchdog(shutdown.clone()));
    join(&config, &gossip).await?;
    tokio::spawn(end_previous_runs(recorder.clone(), worker.clone()));
    tracing::info!(node = %config.node_name, "agent ready: running jobs sent by the leader");
    wait_for_signal(shutdown.clone()).await;
    drain(&worker).await;
    crate::shutdown::step(
        "stop the plugins",
        crate::shutdown::STEP_LIMIT,
        plugins.shutdown(),
    )
    .await;
    crate::shutdown::write_last_records(&recorder).await;
    crate::shutdown::step(
        "leave the gossip cluster",
        crate::shutdown::LEAVE_LIMIT,
        gossip.leave(),
    )
    .await;
    tracing::info!("stopped");
    Ok(())
}
