//! One Raft server: log store, state machine and the openraft instance, wired and bootstrapped.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dkron_store::{Command, CommandResult, StateStore};
use openraft::async_runtime::WatchReceiver;
use openraft::errors::{ClientWriteError, RaftError};
use openraft::{BasicNode, Config, Raft, SnapshotPolicy};

use crate::error::ClusterError;
use crate::log_store::LogStore;
use crate::network::SingleServerNetwork;
use crate::state_machine::StateMachine;
use crate::types::TypeConfig;

/// How to open a Raft server.
#[derive(Debug, Clone)]
pub struct RaftOptions {
    /// Directory holding `raft-log.redb`, `state.redb` and `snapshots/`.
    pub data_dir: PathBuf,
    /// Stable numeric id of this server.
    pub node_id: u64,
    /// Address peers would use to reach this server.
    pub rpc_addr: String,
    /// Page cache of the state database, in bytes.
    pub state_cache_bytes: usize,
    /// Election timing multiplier (Dkron's `raft-multiplier`, 1–10).
    pub raft_multiplier: u64,
    /// Log entries between snapshots.
    pub snapshot_every_entries: u64,
}

/// A running Raft server with its replicated state.
pub struct RaftNode {
    raft: Raft<TypeConfig, StateMachine>,
    store: Arc<StateStore>,
    node_id: u64,
}

fn open_error(what: &'static str, path: &Path) -> impl FnOnce(String) -> ClusterError {
    let path = path.display().to_string();
    move |message| ClusterError::Open {
        what,
        path,
        message,
    }
}

impl RaftNode {
    /// Opens the data directory and starts Raft; a fresh single server bootstraps itself.
    pub async fn start(options: RaftOptions) -> Result<RaftNode, ClusterError> {
        let dir = &options.data_dir;
        std::fs::create_dir_all(dir)
            .map_err(|e| open_error("data directory", dir)(e.to_string()))?;
        let log_path = dir.join("raft-log.redb");
        let log_store = LogStore::open(&log_path)
            .map_err(|e| open_error("raft log", &log_path)(e.to_string()))?;
        let state_path = dir.join("state.redb");
        let store = StateStore::open(&state_path, options.state_cache_bytes)
            .map_err(|e| open_error("state database", &state_path)(e.to_string()))?;
        let store = Arc::new(store);
        let snapshot_dir = dir.join("snapshots");
        let state_machine = StateMachine::new(store.clone(), &snapshot_dir)
            .map_err(|e| open_error("snapshot directory", &snapshot_dir)(e.to_string()))?;

        let multiplier = options.raft_multiplier.clamp(1, 10);
        let config = Config {
            cluster_name: "dkron".to_string(),
            heartbeat_interval: 250 * multiplier,
            election_timeout_min: 750 * multiplier,
            election_timeout_max: 1500 * multiplier,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(options.snapshot_every_entries),
            max_in_snapshot_log_to_keep: 1_000,
            ..Config::default()
        }
        .validate()
        .map_err(|e| ClusterError::Raft(e.to_string()))?;

        let raft = Raft::new(
            options.node_id,
            Arc::new(config),
            SingleServerNetwork,
            log_store,
            state_machine,
        )
        .await
        .map_err(|e| ClusterError::Stopped(e.to_string()))?;
        let initialized = raft
            .is_initialized()
            .await
            .map_err(|e| ClusterError::Stopped(e.to_string()))?;
        if !initialized {
            tracing::info!(
                node_id = options.node_id,
                "bootstrapping a new single-server cluster"
            );
            let members =
                BTreeMap::from([(options.node_id, BasicNode::new(options.rpc_addr.clone()))]);
            raft.initialize(members)
                .await
                .map_err(|e| ClusterError::Raft(e.to_string()))?;
        }
        Ok(RaftNode {
            raft,
            store,
            node_id: options.node_id,
        })
    }

    /// Returns the replicated state for reads (local, possibly stale on a follower).
    pub fn store(&self) -> &Arc<StateStore> {
        &self.store
    }

    /// Returns this server's id.
    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    /// Returns true while this server is the leader.
    pub fn is_leader(&self) -> bool {
        self.raft.metrics().borrow_watched().current_leader == Some(self.node_id)
    }

    /// Returns the current leader's id, if any.
    pub fn leader(&self) -> Option<u64> {
        self.raft.metrics().borrow_watched().current_leader
    }

    /// Waits until this server leads, or fails after `timeout`.
    pub async fn wait_for_leadership(&self, timeout: Duration) -> Result<(), ClusterError> {
        let mut metrics = self.raft.metrics();
        let wait = async {
            loop {
                if metrics.borrow_watched().current_leader == Some(self.node_id) {
                    return Ok(());
                }
                if metrics.changed().await.is_err() {
                    return Err(ClusterError::Stopped("raft metrics closed".to_string()));
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| ClusterError::NoLeader(timeout))?
    }

    /// Replicates a command and returns the state machine's answer.
    pub async fn write(&self, command: Command) -> Result<CommandResult, ClusterError> {
        match self.raft.client_write(command).await {
            Ok(response) => Ok(response.data),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))) => {
                Err(ClusterError::NotLeader {
                    leader: forward.leader_id,
                })
            }
            Err(RaftError::APIError(other)) => Err(ClusterError::Raft(other.to_string())),
            Err(RaftError::Fatal(fatal)) => Err(ClusterError::Stopped(fatal.to_string())),
        }
    }

    /// Stops Raft; pending writes fail.
    pub async fn shutdown(&self) {
        if let Err(error) = self.raft.shutdown().await {
            tracing::warn!(error = %error, "raft did not shut down cleanly");
        }
    }
}
