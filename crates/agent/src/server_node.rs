//! A server (`dkron agent --server`): consensus, the API, the leader's duties, and a worker.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use dkron_cluster::rpc::Channels;
use dkron_cluster::{Bootstrap, RaftNode, RaftOptions};
use dkron_config::AgentConfig;
use dkron_plugin::PluginHost;
use dkron_scheduler::SchedulerConfig;
use dkron_store::{Command, Retention};
use dkron_tls::ConnectionCap;
use dkron_worker::{RunIdentity, Worker};
use tokio_util::sync::CancellationToken;

use crate::api_seam::ApiSeam;
use crate::deliveries::Deliveries;
use crate::http_activity::ConnectionDeadlines;
use crate::http_server::{HttpListener, serve_http};
use crate::identity::{self, ServerTags};
use crate::leadership::{self, LeaderDuties};
use crate::node::Node;
use crate::open_files::{OpenFilesLimit, http_connection_cap};
use crate::plugins::with_plugins;
use crate::recorder::Recorder;
use crate::startup::{
    Addresses, addresses, bind_tcp, drain, end_previous_runs, join_in_background, node_tags,
    resolve, serve_rpc, start_gossip, wait_for_signal, worker_limits,
};
use crate::transport::Transport;
use crate::writer::Writer;

/// Page cache of the state database: history lives on disk, memory stays bounded.
const STATE_CACHE_BYTES: usize = 32 << 20;
/// Log entries between snapshots.
const SNAPSHOT_EVERY_ENTRIES: u64 = 20_000;
/// How long a fresh single server may take to elect itself.
const ELECTION_LIMIT: Duration = Duration::from_secs(30);
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

/// `/metrics` with `enable-prometheus` (as in Dkron); otherwise a 404 that says how to turn
/// it on.
fn metrics_routes(
    config: &AgentConfig,
    node: &Arc<Node>,
    shutdown: &CancellationToken,
) -> axum::Router {
    if !config.enable_prometheus {
        let off = || async {
            (
                axum::http::StatusCode::NOT_FOUND,
                "metrics are off: start the server with --enable-prometheus (enable-prometheus: true)",
            )
        };
        return axum::Router::new().route("/metrics", axum::routing::get(off));
    }
    let metrics = Arc::new(crate::metrics::Metrics::default());
    tokio::spawn(crate::metrics::follow(
        node.clone(),
        metrics.clone(),
        shutdown.clone(),
    ));
    crate::metrics::router(node.clone(), metrics)
}

/// Returns the API's options, warning when every web origin may call the API.
fn api_options(config: &AgentConfig, node_name: &str) -> dkron_api::ApiOptions {
    let mut options = dkron_api::ApiOptions::new(node_name);
    options.cors_allowed_origins = config.cors_allowed_origins.clone();
    options.acl_enabled = config.acl_enabled;
    if dkron_api::AllowedOrigins::new(&options.cors_allowed_origins).allows_any() {
        tracing::warn!(
            "cors-allowed-origins lists *: any web page a user opens can call this API from \
             their browser and change jobs; list only the origins that need it"
        );
    }
    options
}

/// Runs a server until it is stopped.
pub(crate) async fn run_server(
    config: AgentConfig,
    transport: Transport,
    open_files: OpenFilesLimit,
    plugins: PluginHost,
) -> anyhow::Result<()> {
    // Bind first: a port conflict must stop the server before it touches anything.
    let http = bind_tcp(resolve(&config.http_addr, "0.0.0.0").await?, "http-addr").await?;
    let addresses = addresses(&config).await?;
    let rpc = bind_tcp(addresses.rpc_bind, "the rpc port").await?;
    let shutdown = CancellationToken::new();
    tokio::spawn(crate::shutdown::watchdog(shutdown.clone()));
    let rpc_stop = CancellationToken::new();
    let tokens = (shutdown.clone(), rpc_stop.clone());
    let node = start_server(&config, &addresses, rpc, &transport, tokens, plugins).await?;
    let seam = Arc::new(ApiSeam(node.clone(), audit_retention(&config)));
    let mut router = dkron_api::router(seam.clone(), api_options(&config, &node.node_name));
    if config.ui {
        router = router.merge(dkron_ui::router());
    }
    // With ACLs on, /metrics needs a token with `read` on the path `/metrics` (ADR 16).
    let metrics = metrics_routes(&config, &node, &shutdown);
    router = router.merge(dkron_api::protect(metrics, seam, config.acl_enabled));
    let statsd = crate::metrics::statsd::sinks(&config);
    if !statsd.is_empty() {
        tokio::spawn(crate::metrics::statsd::run(
            node.clone(),
            statsd,
            shutdown.clone(),
        ));
    }
    let signals = tokio::spawn(wait_for_signal(shutdown.clone()));
    serve_api(http, transport.http, router, &config, open_files, &shutdown).await?;
    signals.abort();
    stop_server(&node).await;
    rpc_stop.cancel();
    tracing::info!("stopped");
    Ok(())
}

/// Serves the API and UI on `http` until `shutdown`: over HTTPS with `tls`, else plain,
/// with the connection cap and deadlines of ADR 22.
async fn serve_api(
    http: tokio::net::TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: axum::Router,
    config: &AgentConfig,
    open_files: OpenFilesLimit,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let address = http.local_addr().context("cannot read the http address")?;
    let (max_connections, lowered) =
        http_connection_cap(config.http_max_connections, open_files.soft);
    if let Some(reason) = lowered {
        tracing::warn!("{reason}");
    }
    let cap = ConnectionCap::new(max_connections);
    let deadlines = ConnectionDeadlines {
        idle: config.http_idle_timeout,
        header: config.http_header_timeout,
    };
    let listener = match tls {
        None => HttpListener::Plain(http),
        Some(tls) => HttpListener::Tls(
            dkron_tls::TlsAcceptLoop::start_capped(http, tls, "http", cap.clone())
                .context("cannot serve https")?,
        ),
    };
    tracing::info!(
        %address,
        https = matches!(listener, HttpListener::Tls(_)),
        max_connections,
        idle_timeout_ms = u64::try_from(deadlines.idle.as_millis()).unwrap_or(u64::MAX),
        header_timeout_ms = u64::try_from(deadlines.header.as_millis()).unwrap_or(u64::MAX),
        "http api listening"
    );
    let stopped = shutdown.clone().cancelled_owned();
    bounded_close(
        async {
            serve_http(listener, router, cap, deadlines, shutdown.clone()).await;
            Ok(())
        },
        stopped,
    )
    .await
    .context("http server failed")
}

/// Serves until `stopped`, then gives open requests (a write waiting for its answer, a
/// live output stream) up to `shutdown::STEP_LIMIT` to end before dropping them.
async fn bounded_close(
    serving: impl Future<Output = std::io::Result<()>>,
    stopped: impl Future<Output = ()>,
) -> std::io::Result<()> {
    tokio::pin!(serving);
    tokio::select! {
        served = &mut serving => return served,
        () = stopped => {}
    }
    crate::shutdown::step(
        "end the open http requests",
        crate::shutdown::STEP_LIMIT,
        serving,
    )
    .await
    .unwrap_or(Ok(()))
}

async fn start_server(
    config: &AgentConfig,
    addresses: &Addresses,
    rpc: tokio::net::TcpListener,
    transport: &Transport,
    (shutdown, rpc_stop): (CancellationToken, CancellationToken),
    plugins: PluginHost,
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
    let channels = Channels::with_tls(transport.rpc_client());
    let raft = start_consensus(config, addresses, node_id, single, channels.clone()).await?;
    let previous_runs = runs_of_previous_process(&raft, &node_name);
    kill_orphans_of(&previous_runs);
    let server_tags = ServerTags {
        bootstrap_expect: config.bootstrap_expect,
        raft_id: node_id,
    };
    let tags = node_tags(config, addresses, Some(server_tags));
    let gossip = start_gossip(config, addresses, tags.clone()).await?;
    let recorder = Recorder::start(Arc::new(Writer::Server(raft.clone())));
    let worker = Arc::new(with_plugins(
        Worker::new(node_name.clone(), worker_limits(config), recorder.clone()),
        &plugins,
    ));
    let node = Arc::new(Node {
        node_name: node_name.clone(),
        tags,
        gossip,
        encrypted: config.encrypt.is_some(),
        channels,
        local_zone: identity::local_zone(std::env::var("TZ").ok().as_deref()),
        raft,
        recorder,
        worker: worker.clone(),
        plugins,
        scheduler: Mutex::new(None),
        deliveries: Deliveries::with_previous_process(previous_runs),
        shutdown: shutdown.clone(),
        started: std::time::Instant::now(),
        leader_term: std::sync::atomic::AtomicU64::new(0),
        peer_trust: crate::peer_trust::PeerTrust::default(),
        unreachable: crate::unreachable::Unreachable::default(),
    });
    serve_rpc(
        rpc,
        transport.rpc_server(),
        Some(node.clone()),
        worker,
        shutdown.clone(),
        rpc_stop,
    );
    join_and_lead(config, &node, single, shutdown).await?;
    tracing::info!(node = %node_name, "server ready");
    Ok(node)
}

/// Opens this server's Raft node; a single server bootstraps itself, others wait for their
/// peers.
async fn start_consensus(
    config: &AgentConfig,
    addresses: &Addresses,
    node_id: u64,
    single: bool,
    channels: Channels,
) -> anyhow::Result<Arc<RaftNode>> {
    let raft = RaftNode::start(
        RaftOptions {
            data_dir: config.data_dir.clone(),
            node_id,
            node_name: config.node_name.clone(),
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
        channels,
    )
    .await
    .context("cannot start consensus")?;
    Ok(Arc::new(raft))
}

/// Joins the cluster, bootstraps it when enough servers are seen, ends the previous
/// process's runs and follows leadership. A single server waits to lead first.
async fn join_and_lead(
    config: &AgentConfig,
    node: &Arc<Node>,
    single: bool,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let raft = &node.raft;
    // A server with data serves while it looks for its peers: it may be the one that must
    // come up first (a restart after an outage, a recovery from peers.json).
    tokio::spawn(join_in_background(
        config.clone(),
        node.gossip.clone(),
        shutdown.clone(),
    ));
    if !single && !raft.is_initialized().await.unwrap_or(false) {
        tokio::spawn(crate::bootstrap::when_expected(
            raft.clone(),
            node.gossip.clone(),
            config.bootstrap_expect,
            shutdown.clone(),
        ));
    }
    let recorder = node.recorder.clone();
    if single {
        raft.wait_for_leadership(ELECTION_LIMIT)
            .await
            .context("this server did not become leader")?;
        // The leader is this server: end the previous process's runs before serving, so
        // nobody reads them as still running.
        end_previous_runs(recorder, node.worker.clone()).await;
    } else {
        tokio::spawn(end_previous_runs(recorder, node.worker.clone()));
    }
    tokio::spawn(crate::peer_probe::follow(node.clone(), shutdown.clone()));
    let duties = leader_duties(config);
    tokio::spawn(leadership::follow(node.clone(), duties, shutdown));
    Ok(())
}

/// What this server does whenever it leads, from its configuration.
fn leader_duties(config: &AgentConfig) -> LeaderDuties {
    LeaderDuties {
        scheduler: scheduler_config(config),
        retention: Retention {
            executions_per_job: config.execution_retention,
            ledger_per_job: config.ledger_retention,
            max_age_secs: Some(config.history_max_age.as_secs()).filter(|secs| *secs > 0),
        },
        notify: Arc::new(dkron_notify::NotifySettings::from_config(config)),
        audit: audit_retention(config),
    }
}

/// How much of the audit log this server keeps, from its configuration.
fn audit_retention(config: &AgentConfig) -> dkron_store::AuditRetention {
    crate::audit_log::retention(config.audit_retention, config.audit_max_age)
}

/// The runs this server's replica lists as in flight on it when the process starts: its
/// previous process had them.
fn runs_of_previous_process(raft: &RaftNode, node_name: &str) -> HashSet<RunIdentity> {
    raft.store()
        .active_runs(Some(node_name))
        .unwrap_or_default()
        .into_iter()
        .map(|run| (run.job, run.execution_id))
        .collect()
}

/// Kills processes of runs this node had in flight when its previous process died.
fn kill_orphans_of(in_flight: &HashSet<RunIdentity>) {
    let killed = dkron_worker::kill_orphans(Path::new("/proc"), in_flight);
    if killed > 0 {
        tracing::warn!(
            process_groups = killed,
            "killed processes of runs left by the previous process"
        );
    }
}

/// Stops a server, each step within its own deadline (ADR 20): the scheduler, running
/// jobs, the last run records, launches that never started, gossip, Raft.
async fn stop_server(node: &Node) {
    use crate::shutdown::{LEAVE_LIMIT, STEP_LIMIT, step};
    tracing::info!("stopping: no new runs are scheduled");
    let scheduler = node
        .scheduler
        .lock()
        .expect("scheduler slot lock is never poisoned")
        .take();
    let undispatched = match scheduler {
        Some(scheduler) => step("stop the scheduler", STEP_LIMIT, scheduler.stop())
            .await
            .map_or(0, |launches| launches.len()),
        None => 0,
    };
    drain(&node.worker).await;
    step("stop the plugins", STEP_LIMIT, node.plugins.shutdown()).await;
    if undispatched > 0 {
        // Every started run has its result queued by now, so what is still active here was
        // committed ahead of its nominal time and never started.
        node.recorder.record_later(Command::LoseRuns {
            node_name: node.node_name.clone(),
            reason: "the server stopped before the run's nominal time; it was not started".into(),
            at: Utc::now(),
            started_before: None,
        });
        tracing::info!(
            launches = undispatched,
            "ending launches that never started"
        );
    }
    crate::shutdown::write_last_records(&node.recorder).await;
    step("leave the gossip cluster", LEAVE_LIMIT, node.gossip.leave()).await;
    step("stop raft", STEP_LIMIT, node.raft.shutdown()).await;
}
