//! The plugin host of one node: the plugins found at boot, as executors and processors for
//! the worker, their status for the API, and their shutdown.
//!
//! Dkron exits when any plugin fails to start. Here a broken plugin is logged, shown as
//! `failed` in `GET /v1/plugins`, and tried again at its next use: one bad binary must not stop
//! a node from running every other job (a rolling upgrade that ships one would otherwise take
//! the whole cluster down).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use dkron_exec::{Executor, ExternalProcessor, ExternalProcessors};
use dkron_model::PluginInfo;

use crate::discovery::{FoundPlugin, PluginKind, discover};
use crate::executor::PluginExecutor;
use crate::orphans::kill_orphaned_plugins;
use crate::process::LaunchSettings;
use crate::processor::PluginProcessor;
use crate::slot::Slot;

/// Executor names Dkron always serves itself: a plugin of these names is not used.
const BUILT_IN_FIRST: [&str; 2] = ["shell", "http"];

/// This node's plugins.
#[derive(Clone)]
pub struct PluginHost {
    slots: Vec<Arc<Slot>>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<String> = self
            .slots
            .iter()
            .map(|slot| format!("{}:{}", slot.found.kind, slot.found.name))
            .collect();
        formatter
            .debug_struct("PluginHost")
            .field("plugins", &names)
            .finish()
    }
}

impl PluginHost {
    /// Looks for plugins in `dirs` (see [`crate::plugin_dirs`]); nothing is started yet.
    pub fn discover(dirs: &[PathBuf], settings: LaunchSettings) -> PluginHost {
        PluginHost::new(discover(dirs), settings)
    }

    /// A host for the given plugins; nothing is started yet.
    pub fn new(found: Vec<FoundPlugin>, settings: LaunchSettings) -> PluginHost {
        let slots = found
            .into_iter()
            .filter(|plugin| {
                let shadowed = plugin.kind == PluginKind::Executor
                    && BUILT_IN_FIRST.contains(&plugin.name.as_str());
                if shadowed {
                    tracing::warn!(plugin = %plugin.name, path = %plugin.path.display(),
                        "executor plugin not used: Dkron always runs its own shell and http executors");
                }
                !shadowed
            })
            .map(|plugin| Slot::new(plugin, settings.clone()))
            .collect();
        PluginHost { slots }
    }

    /// True when no plugin was found.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Starts every plugin, all at once, and returns when each has started or failed to.
    /// Failures are logged and shown in [`PluginHost::status`]; they do not stop the others.
    pub async fn start_all(&self) {
        let starts = self.slots.iter().map(|slot| async move {
            let _failure_is_logged_and_shown = slot.live().await;
        });
        futures::future::join_all(starts).await;
    }

    /// The executor plugins, by name, for the worker's registry.
    pub fn executors(&self) -> Vec<(String, Arc<dyn Executor>)> {
        self.slots
            .iter()
            .filter(|slot| slot.found.kind == PluginKind::Executor)
            .map(|slot| {
                let executor: Arc<dyn Executor> = Arc::new(PluginExecutor::new(slot.clone()));
                (slot.found.name.clone(), executor)
            })
            .collect()
    }

    /// The processor plugins, by name. Must be called inside a tokio runtime, which the
    /// processors use for their calls.
    pub fn processors(&self) -> Arc<dyn ExternalProcessors> {
        let runtime = tokio::runtime::Handle::current();
        let by_name = self
            .slots
            .iter()
            .filter(|slot| slot.found.kind == PluginKind::Processor)
            .map(|slot| {
                let processor: Arc<dyn ExternalProcessor> =
                    Arc::new(PluginProcessor::new(slot.clone(), runtime.clone()));
                (slot.found.name.clone(), processor)
            })
            .collect();
        Arc::new(ProcessorPlugins { by_name })
    }

    /// Where each plugin stands, executors first, by name.
    pub fn status(&self) -> Vec<PluginInfo> {
        let mut list: Vec<PluginInfo> = self.slots.iter().map(|slot| slot.info()).collect();
        list.sort_by(|a, b| a.kind.cmp(&b.kind).then(a.name.cmp(&b.name)));
        list
    }

    /// Kills the processes of this host's plugin binaries that a crashed earlier process of
    /// this node left running (re-parented to init, started as Dkron plugins; see
    /// `orphans.rs`), and returns how many it killed. Reads `/proc`: call it off the async
    /// threads, before [`PluginHost::start_all`].
    pub fn kill_orphans(&self) -> usize {
        let binaries: Vec<PathBuf> = self
            .slots
            .iter()
            .map(|slot| {
                std::fs::canonicalize(&slot.found.path).unwrap_or_else(|_| slot.found.path.clone())
            })
            .collect();
        let killed = kill_orphaned_plugins(&binaries);
        if killed > 0 {
            tracing::warn!(
                processes = killed,
                "killed plugin processes left by a previous run of this node"
            );
        }
        killed
    }

    /// Stops every plugin: asked first, killed after a grace period.
    pub async fn shutdown(&self) {
        futures::future::join_all(self.slots.iter().map(|slot| slot.stop())).await;
    }
}

/// The processor plugins of a host, by name.
struct ProcessorPlugins {
    by_name: BTreeMap<String, Arc<dyn ExternalProcessor>>,
}

impl ExternalProcessors for ProcessorPlugins {
    fn get(&self, name: &str) -> Option<Arc<dyn ExternalProcessor>> {
        self.by_name.get(name).cloned()
    }
}
