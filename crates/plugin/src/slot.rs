//! One plugin's life on this node: started at boot, started again at its next use after it
//! crashed or failed to start (not more often than [`RETRY_PAUSE`]), stopped at shutdown, and
//! what `GET /v1/plugins` says about it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use dkron_model::{PluginInfo, PluginState};

use crate::discovery::{FoundPlugin, PluginKind};
use crate::grpc::GrpcPlugin;
use crate::handshake::WireProtocol;
use crate::netrpc::NetRpcPlugin;
use crate::process::{LaunchSettings, PluginProcess, StartError, launch};

/// The least time between two starts of a plugin that keeps failing, so a broken binary used
/// by a job every second is not spawned every second.
pub(crate) const RETRY_PAUSE: Duration = Duration::from_secs(5);

/// How long connecting to a plugin that printed its handshake may take, dispensing (net/rpc)
/// or the health check (gRPC) included.
const CONNECT_LIMIT: Duration = Duration::from_secs(15);

/// How long a plugin may take to stop by itself before it is killed (go-plugin waits 2 s).
const STOP_GRACE: Duration = Duration::from_secs(2);

/// The connection a running plugin is spoken to over.
pub(crate) enum Connection {
    /// An executor, over gRPC.
    Executor(GrpcPlugin),
    /// A processor, over net/rpc (boxed: its session state is much larger).
    Processor(Box<NetRpcPlugin>),
}

/// A running plugin: its process and its connection.
pub(crate) struct Live {
    pub(crate) process: PluginProcess,
    pub(crate) connection: Connection,
    /// Calls in flight, so cancelling the only one may stop the process (see the executor).
    pub(crate) in_flight: AtomicUsize,
}

impl Live {
    /// How the process exited, if it has, or does within a moment when a call `lost` its
    /// connection: the connection often breaks a moment before the exit is seen, and a run
    /// should say "exited" rather than "transport error".
    pub(crate) async fn exit_soon(&self, lost: bool) -> Option<String> {
        if let Some(status) = self.process.exit_status() {
            return Some(status);
        }
        if !lost {
            return None;
        }
        tokio::time::timeout(EXIT_GRACE, self.process.exited())
            .await
            .ok()
    }
}

/// How long a call whose connection broke waits to see the plugin's exit.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Counts a call in flight for as long as it lives.
pub(crate) struct InFlight(Arc<Live>);

impl InFlight {
    pub(crate) fn new(live: Arc<Live>) -> Self {
        live.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(live)
    }

    /// True when no other call uses the plugin.
    pub(crate) fn alone(&self) -> bool {
        self.0.in_flight.load(Ordering::SeqCst) == 1
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Started {
    live: Option<Arc<Live>>,
    last_failure: Option<(Instant, String)>,
    starts: u32,
}

/// One discovered plugin.
pub(crate) struct Slot {
    pub(crate) found: FoundPlugin,
    settings: LaunchSettings,
    started: tokio::sync::Mutex<Started>,
    info: Mutex<PluginInfo>,
}

impl Slot {
    pub(crate) fn new(found: FoundPlugin, settings: LaunchSettings) -> Arc<Slot> {
        let info = PluginInfo {
            name: found.name.clone(),
            kind: found.kind.to_string(),
            path: found.path.display().to_string(),
            state: PluginState::Starting,
            protocol: None,
            pid: None,
            started_at: None,
            restarts: 0,
            last_error: None,
        };
        Arc::new(Slot {
            found,
            settings,
            started: tokio::sync::Mutex::new(Started::default()),
            info: Mutex::new(info),
        })
    }

    /// What this plugin's status is now.
    pub(crate) fn info(&self) -> PluginInfo {
        self.info
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn update_info(&self, change: impl FnOnce(&mut PluginInfo)) {
        change(
            &mut self
                .info
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
    }

    /// Returns the running plugin, starting it first when it is not running (one start at a
    /// time). The error is a sentence for a run's output.
    pub(crate) async fn live(self: &Arc<Self>) -> Result<Arc<Live>, String> {
        let mut started = self.started.lock().await;
        if let Some(live) = &started.live {
            if live.process.exit_status().is_none() {
                return Ok(live.clone());
            }
            started.live = None;
        }
        if let Some((at, error)) = &started.last_failure
            && at.elapsed() < RETRY_PAUSE
        {
            return Err(format!(
                "it failed to start {:.0?} ago: {error}",
                at.elapsed()
            ));
        }
        self.update_info(|info| info.state = PluginState::Starting);
        match self.start().await {
            Ok(live) => {
                let live = Arc::new(live);
                started.starts += 1;
                started.last_failure = None;
                started.live = Some(live.clone());
                self.note_running(&live, started.starts);
                tokio::spawn(watch_for_exit(self.clone(), live.clone()));
                Ok(live)
            }
            Err(error) => {
                let text = error.to_string();
                tracing::error!(kind = %self.found.kind, plugin = %self.found.name,
                    path = %self.found.path.display(), error = %text,
                    "plugin did not start; runs that use it fail until it does, and it is tried again at its next use");
                started.last_failure = Some((Instant::now(), text.clone()));
                self.update_info(|info| {
                    info.state = PluginState::Failed;
                    info.pid = None;
                    info.last_error = Some(text.clone());
                });
                Err(text)
            }
        }
    }

    async fn start(&self) -> Result<Live, StartError> {
        let FoundPlugin { kind, name, path } = &self.found;
        let process = launch(name, path, &self.settings).await?;
        let expected = match kind {
            PluginKind::Executor => WireProtocol::Grpc,
            PluginKind::Processor => WireProtocol::Netrpc,
        };
        if process.handshake.protocol != expected {
            process.kill().await;
            return Err(StartError::WrongProtocol {
                kind: kind.to_string(),
                expected: expected.to_string(),
                got: process.handshake.protocol.to_string(),
            });
        }
        let connected = self.connect(&process).await;
        match connected {
            Ok(connection) => Ok(Live {
                process,
                connection,
                in_flight: AtomicUsize::new(0),
            }),
            Err(reason) => {
                process.kill().await;
                Err(StartError::Connect {
                    address: process.handshake.address.to_string(),
                    reason,
                })
            }
        }
    }

    async fn connect(&self, process: &PluginProcess) -> Result<Connection, String> {
        // A plugin that takes the connection and then says nothing must not hold this slot
        // (and every run waiting on it) for ever.
        tokio::time::timeout(CONNECT_LIMIT, self.connect_unbounded(process))
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {CONNECT_LIMIT:?}")))
    }

    async fn connect_unbounded(&self, process: &PluginProcess) -> Result<Connection, String> {
        let name = &self.found.name;
        let address = &process.handshake.address;
        match self.found.kind {
            PluginKind::Executor => GrpcPlugin::connect(name, address)
                .await
                .map(Connection::Executor)
                .map_err(|error| error.to_string()),
            PluginKind::Processor => NetRpcPlugin::connect(name, address)
                .await
                .map(|plugin| Connection::Processor(Box::new(plugin)))
                .map_err(|error| error.to_string()),
        }
    }

    fn note_running(&self, live: &Live, starts: u32) {
        tracing::info!(kind = %self.found.kind, plugin = %self.found.name,
            path = %self.found.path.display(), pid = live.process.pid,
            address = %live.process.handshake.address, "plugin started");
        self.update_info(|info| {
            info.state = PluginState::Running;
            info.protocol = Some(live.process.handshake.protocol.to_string());
            info.pid = Some(live.process.pid);
            info.started_at = Some(Utc::now());
            info.restarts = starts.saturating_sub(1);
            info.last_error = None;
        });
    }

    /// Stops the plugin: asks it to exit (go-plugin's controller or `Control.Quit`), then
    /// kills it if it has not exited after a grace period.
    pub(crate) async fn stop(&self) {
        let live = self.started.lock().await.live.take();
        let Some(live) = live else {
            return;
        };
        let asked = tokio::time::timeout(STOP_GRACE, async {
            match &live.connection {
                Connection::Executor(grpc) => grpc.shutdown().await.map_err(|e| e.to_string()),
                Connection::Processor(rpc) => rpc.quit().await.map_err(|e| e.to_string()),
            }
        })
        .await;
        if let Ok(Err(error)) = &asked {
            tracing::debug!(plugin = %self.found.name, %error, "plugin did not take the request to stop");
        }
        if tokio::time::timeout(STOP_GRACE, live.process.exited())
            .await
            .is_err()
        {
            tracing::warn!(plugin = %self.found.name, "plugin did not exit when asked; killing it");
            live.process.kill().await;
        }
        self.update_info(|info| {
            info.state = PluginState::Stopped;
            info.pid = None;
        });
    }
}

/// Notes a plugin's exit the moment it happens, unless this node stopped it.
async fn watch_for_exit(slot: Arc<Slot>, live: Arc<Live>) {
    let status = live.process.exited().await;
    let still_current = slot
        .started
        .lock()
        .await
        .live
        .as_ref()
        .is_some_and(|current| Arc::ptr_eq(current, &live));
    if !still_current {
        return;
    }
    let text = format!("it {}", live.process.exit_text(&status));
    tracing::warn!(kind = %slot.found.kind, plugin = %slot.found.name, error = %text,
        "plugin exited; it is started again at its next use");
    slot.update_info(|info| {
        info.state = PluginState::Exited;
        info.pid = None;
        info.last_error = Some(text.clone());
    });
}
