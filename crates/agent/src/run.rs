//! The whole life of `dkron agent`: a server or an agent node, started and stopped.

use std::path::PathBuf;

use dkron_config::AgentConfig;

use crate::agent_node::run_agent;
use crate::server_node::run_server;

/// Runs a node until a signal, `dkron leave` or `POST /v1/leave` stops it. Dkron plugin
/// binaries are looked for in `plugin_dirs` (see `dkron_plugin::plugin_dirs`).
pub async fn run(config: AgentConfig, plugin_dirs: Vec<PathBuf>) -> anyhow::Result<()> {
    // First: a bad certificate file stops the agent before it binds or writes anything.
    let transport = crate::transport::transport(&config)?;
    tracing::info!(rpc = ?transport.rpc_credential, https = transport.http.is_some(), "transport security");
    // Jobs, connections and the cluster share one descriptor table: use all of it (ADR 22).
    let open_files = crate::open_files::raise_open_files_limit();
    let plugins = crate::plugins::find_plugins(&plugin_dirs).await;
    if config.server {
        run_server(config, transport, open_files, plugins).await
    } else {
        run_agent(config, transport, plugins).await
    }
}
