//! The node's Dkron plugin binaries: found at boot, handed to the worker as executors and
//! processors, started in the background (a slow or broken plugin does not hold the node's
//! start; runs that need it wait for its start or get its error).

use std::path::PathBuf;

use dkron_plugin::{LaunchSettings, PluginHost};
use dkron_worker::Worker;

/// Finds the plugins in `dirs` and kills the processes of them that a crashed earlier process
/// of this node left running; nothing is started yet. Plugins get this process's environment
/// as jobs get it: without the node's own `DKRON_*` settings (the plugin's magic cookie is
/// added by the host) and with the allocator restart undone.
pub(crate) async fn find_plugins(dirs: &[PathBuf]) -> PluginHost {
    let settings = LaunchSettings {
        env_changes: dkron_worker::this_process_job_environment_changes(),
        ..LaunchSettings::default()
    };
    let host = PluginHost::discover(dirs, settings);
    let searched: Vec<String> = dirs.iter().map(|dir| dir.display().to_string()).collect();
    tracing::info!(dirs = ?searched, plugins = ?host, "plugin directories searched");
    if !host.is_empty() {
        let scanning = host.clone();
        let _killed = tokio::task::spawn_blocking(move || scanning.kill_orphans()).await;
    }
    host
}

/// Gives the worker the plugins' executors and processors, and starts the plugins.
pub(crate) fn with_plugins(worker: Worker, plugins: &PluginHost) -> Worker {
    if plugins.is_empty() {
        return worker;
    }
    let starting = plugins.clone();
    tokio::spawn(async move { starting.start_all().await });
    worker.with_plugins(plugins.executors(), plugins.processors())
}
