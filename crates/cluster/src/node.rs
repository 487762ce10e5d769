//! One Raft server: log store, state machine and the openraft instance, wired and bootstrapped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use dkron_store::{Command, CommandResult, StateStore};
use openraft::async_runtime::WatchReceiver;
use openraft::errors::{ClientWriteError, RaftError};
use openraft::{ChangeMembers, Config, Raft, SnapshotPolicy};
use tokio::sync::watch;

use crate::disk_watch::DiskWatch;
use crate::error::ClusterError;
use crate::forward;
use crate::leader_contact::LeaderContact;
use crate::leader_view::{self, LeaderFacts, LeaderView, UnknownLeader};
use crate::log_store::LogStore;
use crate::network::GrpcNetwork;
use crate::raft_service::RaftService;
use crate::rpc::Channels;
use crate::state_machine::StateMachine;
use crate::types::{ServerNode, TypeConfig};

/// How a server with an empty log becomes part of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bootstrap {
    /// Bootstrap a one-voter cluster of itself (`--bootstrap-expect 1`, `bootstrap`, dev mode).
    Single,
    /// Wait: either enough servers appear to bootstrap together, or a leader adds it.
    Wait,
}

/// How to open a Raft server.
#[derive(Debug, Clone)]
pub struct RaftOptions {
    /// Directory holding `raft-log.redb`, `state.redb` and `snapshots/`.
    pub data_dir: PathBuf,
    /// Stable numeric id of this server.
    pub node_id: u64,
    /// This server's node name.
    pub node_name: String,
    /// Address peers use to reach this server's gRPC port.
    pub rpc_addr: String,
    /// Page cache of the state database, in bytes.
    pub state_cache_bytes: usize,
    /// Election timing multiplier (Dkron's `raft-multiplier`, 1–10).
    pub raft_multiplier: u64,
    /// Log entries between snapshots at least; each server stretches it by up to 15/16
    /// (`snapshot_pace::staggered_floor`) so that servers do not dump at the same moment.
    pub snapshot_every_entries: u64,
    /// What to do with an empty log.
    pub bootstrap: Bootstrap,
}

/// One server of the Raft configuration, as `dkron raft list-peers` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Peer {
    /// Raft id.
    pub id: u64,
    /// Node name.
    pub name: String,
    /// gRPC address.
    pub address: String,
    /// Whether it currently leads.
    pub leader: bool,
    /// Whether it votes (learners do not).
    pub voter: bool,
}

/// Election timing at multiplier 1, in milliseconds: heartbeat, election timeout range.
pub const HEARTBEAT_MS: u64 = 100;
/// Shortest election timeout at multiplier 1.
pub const ELECTION_MIN_MS: u64 = 300;
/// Longest election timeout at multiplier 1.
pub const ELECTION_MAX_MS: u64 = 500;

/// How many of the longest election timeouts a leader may go without a quorum's
/// acknowledgement, or a follower without a message from its leader, before it stops
/// naming that leader (issue 14): 3 × 500 ms = 1.5 s at `raft-multiplier` 1. Followers
/// start an election after one timeout, so a leader that heard from none for three has
/// lost them; the margin keeps a loaded machine from flapping.
const BELIEVE_LEADER_ELECTIONS: u64 = 3;

/// Longest a follower waits to see its own forwarded write applied locally.
const READ_YOUR_WRITE_LIMIT: Duration = Duration::from_secs(5);

/// Longest a write waits for a leader when none is known (an election is under way): a few
/// election timeouts, so a client writing during a leader change is answered instead of
/// refused, while a cluster without a quorum still answers `NotLeader` soon.
const LEADER_WAIT_LIMIT: Duration = Duration::from_secs(2);

/// How often a write waiting for a believable leader looks again.
const LEADER_VIEW_POLL: Duration = Duration::from_millis(20);

/// This server's view of consensus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaftStatus {
    /// The current term.
    pub term: u64,
    /// Index of the last entry in this server's log.
    pub last_log_index: u64,
    /// Index of the last entry applied to the state machine.
    pub last_applied_index: u64,
    /// Whether a leader is known.
    pub leader_known: bool,
    /// Whether this server is the leader.
    pub is_leader: bool,
    /// Number of voters in the configuration.
    pub voters: usize,
}

/// A running Raft server with its replicated state.
pub struct RaftNode {
    raft: Raft<TypeConfig, StateMachine>,
    store: Arc<StateStore>,
    disk: Arc<DiskWatch>,
    node_id: u64,
    node: ServerNode,
    channels: Channels,
    snapshot_dir: PathBuf,
    leader: watch::Receiver<Option<u64>>,
    contact: LeaderContact,
    believe_window: Duration,
    job_changes: tokio::sync::broadcast::Receiver<crate::state_machine::JobChange>,
    run_observations: tokio::sync::broadcast::Receiver<crate::RunObservation>,
}

fn open_error(what: &'static str, path: &Path) -> impl FnOnce(String) -> ClusterError {
    let path = path.display().to_string();
    move |message| ClusterError::Open {
        what,
        path,
        message,
    }
}

fn raft_config(
    multiplier: u64,
    snapshot_every_entries: u64,
    node_id: u64,
) -> Result<Config, ClusterError> {
    let multiplier = multiplier.clamp(1, 10);
    Config {
        cluster_name: "dkron".to_string(),
        heartbeat_interval: HEARTBEAT_MS * multiplier,
        election_timeout_min: ELECTION_MIN_MS * multiplier,
        election_timeout_max: ELECTION_MAX_MS * multiplier,
        snapshot_policy: SnapshotPolicy::LogsSinceLast(crate::snapshot_pace::staggered_floor(
            snapshot_every_entries,
            node_id,
        )),
        max_payload_entries: dkron_model::limits::MAX_ENTRIES_PER_APPEND,
        max_in_snapshot_log_to_keep: 1_000,
        enable_pre_vote: Some(true),
        ..Config::default()
    }
    .validate()
    .map_err(|e| ClusterError::Raft(e.to_string()))
}

fn stopped(error: impl std::fmt::Display) -> ClusterError {
    ClusterError::Stopped(error.to_string())
}

impl RaftNode {
    /// Opens the data directory and starts Raft; with [`Bootstrap::Single`] a fresh server
    /// bootstraps a cluster of itself.
    pub async fn start(options: RaftOptions, channels: Channels) -> Result<RaftNode, ClusterError> {
        let dir = &options.data_dir;
        std::fs::create_dir_all(dir)
            .map_err(|e| open_error("data directory", dir)(e.to_string()))?;
        let disk = DiskWatch::start(dir);
        let log_path = dir.join("raft-log.redb");
        let log_store = LogStore::open(&log_path)
            .map_err(|e| open_error("raft log", &log_path)(e.to_string()))?
            .watch_disk(disk.clone());
        crate::recovery::apply_peers_file(dir, &log_store, options.node_id, &options.node_name)
            .await?;
        let state_path = dir.join("state.redb");
        let store = StateStore::open(&state_path, options.state_cache_bytes)
            .map_err(|e| open_error("state database", &state_path)(e.to_string()))?;
        let store = Arc::new(store);
        let snapshot_dir = dir.join("snapshots");
        let state_machine = StateMachine::new(store.clone(), &snapshot_dir)
            .map_err(|e| open_error("snapshot directory", &snapshot_dir)(e.to_string()))?;
        let log_store = log_store.report_appends_to(state_machine.snapshot_pace());
        let state_machine = state_machine.watch_disk(disk.clone(), log_store.clone());
        let job_changes = state_machine.job_changes();
        let run_observations = state_machine.run_observations();
        let config = raft_config(
            options.raft_multiplier,
            options.snapshot_every_entries,
            options.node_id,
        )?;
        let raft = Raft::new(
            options.node_id,
            Arc::new(config),
            GrpcNetwork::new(options.node_id, channels.clone()),
            log_store,
            state_machine,
        )
        .await
        .map_err(stopped)?;
        let node = ServerNode::new(options.node_name.clone(), options.rpc_addr.clone());
        let leader = watch_leader(&raft);
        let believe_window = Duration::from_millis(
            BELIEVE_LEADER_ELECTIONS * ELECTION_MAX_MS * options.raft_multiplier.clamp(1, 10),
        );
        let server = RaftNode {
            raft,
            store,
            disk,
            node_id: options.node_id,
            node,
            channels,
            snapshot_dir,
            leader,
            contact: LeaderContact::new(),
            believe_window,
            job_changes,
            run_observations,
        };
        if options.bootstrap == Bootstrap::Single && !server.is_initialized().await? {
            tracing::info!(
                node_id = options.node_id,
                "bootstrapping a new single-server cluster"
            );
            server
                .initialize(BTreeMap::from([(options.node_id, server.node.clone())]))
                .await?;
        }
        Ok(server)
    }

    /// The service answering peers' Raft RPCs.
    pub(crate) fn raft_service(&self) -> RaftService {
        RaftService::new(
            self.raft.clone(),
            self.snapshot_dir.clone(),
            self.contact.clone(),
        )
    }

    /// Returns the replicated state for reads (local, possibly stale on a follower).
    pub fn store(&self) -> &Arc<StateStore> {
        &self.store
    }

    /// Returns the watcher of the data volume's free space.
    pub fn disk(&self) -> &Arc<DiskWatch> {
        &self.disk
    }

    /// Returns this server's id.
    pub fn node_id(&self) -> u64 {
        self.node_id
    }

    /// Returns how peers reach this server.
    pub fn server_node(&self) -> &ServerNode {
        &self.node
    }

    /// Follows jobs changed by applied commands.
    pub fn job_changes(&self) -> tokio::sync::broadcast::Receiver<crate::state_machine::JobChange> {
        self.job_changes.resubscribe()
    }

    /// Follows the run records applied: start lateness and run durations, for metrics.
    pub fn run_observations(&self) -> tokio::sync::broadcast::Receiver<crate::RunObservation> {
        self.run_observations.resubscribe()
    }

    /// The shared pool of gRPC channels.
    pub fn channels(&self) -> &Channels {
        &self.channels
    }

    /// Returns true once the log holds a configuration (bootstrapped or joined).
    pub async fn is_initialized(&self) -> Result<bool, ClusterError> {
        self.raft.is_initialized().await.map_err(stopped)
    }

    /// Bootstraps a cluster of `members` (every server calls this with the same set).
    pub async fn initialize(&self, members: BTreeMap<u64, ServerNode>) -> Result<(), ClusterError> {
        self.raft
            .initialize(members)
            .await
            .map_err(|e| ClusterError::Raft(e.to_string()))
    }

    /// Returns true while this server is the leader.
    pub fn is_leader(&self) -> bool {
        *self.leader.borrow() == Some(self.node_id)
    }

    /// Returns the current leader's id, if any.
    pub fn leader(&self) -> Option<u64> {
        *self.leader.borrow()
    }

    /// Watches the leader's id.
    pub fn leader_watch(&self) -> watch::Receiver<Option<u64>> {
        self.leader.clone()
    }

    /// Returns whether a leader that can take a write is known right now: this server with a
    /// quorum behind it, or another one heard from lately (see `leader_view`). Unlike
    /// [`RaftNode::leader`], a leader cut off from the other servers is not named.
    pub fn leader_view(&self) -> LeaderView {
        let facts = {
            let metrics = self.raft.metrics();
            let metrics = metrics.borrow_watched();
            let membership = metrics.membership_config.membership();
            let mut voters = membership.voter_ids();
            let alone_is_quorum = voters.next() == Some(self.node_id) && voters.next().is_none();
            LeaderFacts {
                me: self.node_id,
                named_leader: metrics.current_leader,
                alone_is_quorum,
                quorum_acked_ago: metrics
                    .last_quorum_acked
                    .as_ref()
                    .map(|at| openraft::async_runtime::Instant::elapsed(&**at)),
                leader_heard_ago: self.contact.heard_ago(),
            }
        };
        leader_view::judge(&facts, self.believe_window)
    }

    /// Waits up to `limit` for a believable leader (an election under way, a new leader's
    /// first acknowledgements) and returns the view at the end.
    pub async fn wait_leader_view(&self, limit: Duration) -> LeaderView {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let view = self.leader_view();
            if !matches!(view, LeaderView::Unknown(_)) || tokio::time::Instant::now() >= deadline {
                return view;
            }
            tokio::time::sleep(LEADER_VIEW_POLL).await;
        }
    }

    /// Refuses a write on a leader that has no quorum behind it (after waiting a little for
    /// one), so that nothing is appended that could only commit after a partition heals.
    async fn refuse_without_quorum(&self) -> Result<(), ClusterError> {
        if !self.is_leader() {
            // openraft answers `ForwardToLeader` at once.
            return Ok(());
        }
        match self.wait_leader_view(LEADER_WAIT_LIMIT).await {
            LeaderView::Unknown(reason @ UnknownLeader::NoQuorum { .. }) => {
                Err(ClusterError::LeaderUnknown(reason))
            }
            _ => Ok(()),
        }
    }

    /// Returns the current leader's id and address, if known.
    pub fn leader_node(&self) -> Option<(u64, ServerNode)> {
        let leader = self.leader()?;
        self.server_node_of(leader).map(|node| (leader, node))
    }

    /// Returns the name and address of server `id` in the Raft configuration. Used with the
    /// id of a [`LeaderView`], which is read from openraft's metrics directly: the leader
    /// watch behind [`RaftNode::leader_node`] may lag it by a moment on a loaded machine.
    pub fn server_node_of(&self, id: u64) -> Option<ServerNode> {
        let metrics = self.raft.metrics();
        let metrics = metrics.borrow_watched();
        metrics
            .membership_config
            .membership()
            .get_node(&id)
            .cloned()
    }

    /// Returns the Raft term this server is in (the leader's term, once it has one): what
    /// orders to other nodes carry so that a deposed leader's are refused.
    pub fn current_term(&self) -> u64 {
        self.raft.metrics().borrow_watched().current_term
    }

    /// Returns this server's view of consensus, for metrics.
    pub fn raft_status(&self) -> RaftStatus {
        let metrics = self.raft.metrics().borrow_watched().clone();
        RaftStatus {
            term: metrics.current_term,
            last_log_index: metrics.last_log_index.unwrap_or(0),
            last_applied_index: metrics.last_applied.map_or(0, |log_id| log_id.index),
            leader_known: metrics.current_leader.is_some(),
            is_leader: metrics.current_leader == Some(self.node_id),
            voters: metrics.membership_config.membership().voter_ids().count(),
        }
    }

    /// Waits until this server leads, or fails after `timeout`.
    pub async fn wait_for_leadership(&self, timeout: Duration) -> Result<(), ClusterError> {
        let mut leader = self.leader.clone();
        let me = self.node_id;
        tokio::time::timeout(timeout, leader.wait_for(|leader| *leader == Some(me)))
            .await
            .map_err(|_| ClusterError::NoLeader(timeout))?
            .map(drop)
            .map_err(stopped)
    }

    /// Waits until some server leads, or fails after `timeout`.
    pub async fn wait_for_leader(&self, timeout: Duration) -> Result<u64, ClusterError> {
        let mut leader = self.leader.clone();
        let found = tokio::time::timeout(timeout, leader.wait_for(Option::is_some))
            .await
            .map_err(|_| ClusterError::NoLeader(timeout))?
            .map_err(stopped)?;
        Ok(found.unwrap_or_default())
    }

    /// Waits until the state machine has applied everything committed before this call
    /// (leader only): what the previous leader committed is visible in [`RaftNode::store`].
    pub async fn catch_up(&self) -> Result<(), ClusterError> {
        self.raft
            .ensure_linearizable(openraft::raft::ReadPolicy::ReadIndex)
            .await
            .map(drop)
            .map_err(|e| ClusterError::Raft(e.to_string()))
    }

    /// Replicates a command on this server, which must lead.
    pub async fn write(&self, command: Command) -> Result<CommandResult, ClusterError> {
        self.write_indexed(command).await.map(|(result, _)| result)
    }

    /// Replicates a command on this server, which must lead; returns the log index too.
    pub async fn write_indexed(
        &self,
        command: Command,
    ) -> Result<(CommandResult, u64), ClusterError> {
        // A write accepted now would wait in the log until space is back, holding its client;
        // refusing it leaves no doubt that it was not applied.
        if let Some(problem) = self.disk.refusal() {
            return Err(ClusterError::DiskFull(problem));
        }
        self.refuse_without_quorum().await?;
        match self.raft.client_write(command).await {
            Ok(response) => Ok((response.data, response.log_id.index)),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(forward))) => {
                Err(ClusterError::NotLeader {
                    leader: forward.leader_id,
                })
            }
            Err(RaftError::APIError(other)) => Err(ClusterError::Raft(other.to_string())),
            Err(RaftError::Fatal(fatal)) => Err(ClusterError::Stopped(fatal.to_string())),
        }
    }

    /// Replicates a command: on the leader directly, on a follower by forwarding it. A
    /// follower returns once its own state shows the write, so a read that follows sees it.
    ///
    /// While no believable leader is known (an election under way, a leader cut off from a
    /// quorum) the write waits for one, up to `LEADER_WAIT_LIMIT`, then fails with
    /// [`ClusterError::LeaderUnknown`] without having been appended anywhere. Leadership is
    /// read before the write, so the command (a batch of up to thousands of records) is never
    /// copied; if it changes in between, the caller gets `NotLeader` and retries as after
    /// any leader change.
    pub async fn write_anywhere(&self, command: Command) -> Result<CommandResult, ClusterError> {
        match self.wait_leader_view(LEADER_WAIT_LIMIT).await {
            LeaderView::Me => self.write(command).await,
            LeaderView::Unknown(reason) => Err(ClusterError::LeaderUnknown(reason)),
            LeaderView::Other(id) => {
                let leader = self
                    .server_node_of(id)
                    .ok_or(ClusterError::NotLeader { leader: Some(id) })?;
                let (result, index) =
                    forward::write(&self.channels, &leader.addr, &command).await?;
                self.wait_applied(index, READ_YOUR_WRITE_LIMIT).await;
                Ok(result)
            }
        }
    }

    /// Waits until the local state machine applied `index` (or `limit` passes).
    pub async fn wait_applied(&self, index: u64, limit: Duration) {
        let waited = self
            .raft
            .wait(Some(limit))
            .applied_index_at_least(Some(index), "read your write")
            .await;
        if let Err(error) = waited {
            tracing::debug!(index, error = %error, "local state is behind the leader");
        }
    }

    /// The Raft configuration as this server sees it.
    pub fn peers(&self) -> Vec<Peer> {
        let metrics = self.raft.metrics().borrow_watched().clone();
        let membership = metrics.membership_config.membership();
        let voters: BTreeSet<u64> = membership.voter_ids().collect();
        membership
            .nodes()
            .map(|(id, node)| Peer {
                id: *id,
                name: node.name.clone(),
                address: node.addr.clone(),
                leader: metrics.current_leader == Some(*id),
                voter: voters.contains(id),
            })
            .collect()
    }

    /// Adds a server as a voter (leader only): it first catches up as a learner.
    pub async fn add_voter(&self, id: u64, node: ServerNode) -> Result<(), ClusterError> {
        tracing::info!(id, node = %node, "adding a server to the raft configuration");
        self.raft
            .add_learner(id, node, true)
            .await
            .map_err(|e| ClusterError::Raft(e.to_string()))?;
        self.raft
            .change_membership(ChangeMembers::AddVoterIds(BTreeSet::from([id])), false)
            .await
            .map(drop)
            .map_err(|e| ClusterError::Raft(e.to_string()))
    }

    /// Removes a server from the configuration (leader only).
    pub async fn remove_server(&self, id: u64) -> Result<(), ClusterError> {
        tracing::info!(id, "removing a server from the raft configuration");
        let voters: BTreeSet<u64> = self
            .peers()
            .iter()
            .filter(|p| p.voter)
            .map(|p| p.id)
            .collect();
        if voters.contains(&id) {
            self.raft
                .change_membership(ChangeMembers::RemoveVoters(BTreeSet::from([id])), false)
                .await
                .map_err(|e| ClusterError::Raft(e.to_string()))?;
        }
        self.raft
            .change_membership(ChangeMembers::RemoveNodes(BTreeSet::from([id])), false)
            .await
            .map(drop)
            .map_err(|e| ClusterError::Raft(e.to_string()))
    }

    /// Stops Raft; pending writes fail.
    pub async fn shutdown(&self) {
        if let Err(error) = self.raft.shutdown().await {
            tracing::warn!(error = %error, "raft did not shut down cleanly");
        }
    }
}

/// Mirrors openraft's metrics into a watch of the leader's id, for cheap reads and waits.
fn watch_leader(raft: &Raft<TypeConfig, StateMachine>) -> watch::Receiver<Option<u64>> {
    let mut metrics = raft.metrics();
    let initial = metrics.borrow_watched().current_leader;
    let (sender, receiver) = watch::channel(initial);
    tokio::spawn(async move {
        loop {
            let leader = metrics.borrow_watched().current_leader;
            sender.send_if_modified(|current| {
                let changed = *current != leader;
                *current = leader;
                changed
            });
            if metrics.changed().await.is_err() || sender.is_closed() {
                break;
            }
        }
    });
    receiver
}
