//! Recovery of a cluster that lost its quorum, the way Dkron operators know it: stop every
//! surviving server, write the same `peers.json` into each one's data directory, restart.
//!
//! The file names the servers that form the new configuration. On start the server appends a
//! configuration entry with exactly those servers to its log, then deletes the file; with a
//! quorum of the new configuration up, one of them is elected and commits it (and, with it,
//! whatever the log held uncommitted — the same trade-off as Dkron's recovery).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use openraft::entry::RaftEntry;
use openraft::storage::RaftLogStorage;
use openraft::{EntryPayload, Membership, RaftLogReader};
use serde::Deserialize;

use crate::error::ClusterError;
use crate::log_store::LogStore;
use crate::types::{Entry, LogId, ServerNode};

/// One server in `peers.json`: `id` is a node name or a numeric Raft id.
#[derive(Debug, Deserialize)]
struct PeerLine {
    id: serde_json::Value,
    address: String,
    #[serde(default)]
    non_voter: bool,
}

fn recovery_error(path: &Path, message: impl std::fmt::Display) -> ClusterError {
    ClusterError::Recovery(format!("{}: {message}", path.display()))
}

/// Where operators put the file: Dkron's `<data-dir>/raft/peers.json`, or the data dir itself.
fn peers_file(data_dir: &Path) -> Option<PathBuf> {
    [
        data_dir.join("raft").join("peers.json"),
        data_dir.join("peers.json"),
    ]
    .into_iter()
    .find(|path| path.is_file())
}

/// Applies `peers.json` if present: appends the new configuration and deletes the file.
pub(crate) async fn apply_peers_file(
    data_dir: &Path,
    log: &LogStore,
    node_id: u64,
    node_name: &str,
) -> Result<(), ClusterError> {
    let Some(path) = peers_file(data_dir) else {
        return Ok(());
    };
    let text = std::fs::read_to_string(&path).map_err(|e| recovery_error(&path, e))?;
    let lines: Vec<PeerLine> = serde_json::from_str(&text).map_err(|e| {
        recovery_error(&path, format!("not a list of {{\"id\", \"address\"}}: {e}"))
    })?;
    if lines.is_empty() {
        return Err(recovery_error(&path, "names no server"));
    }
    let mut log = log.clone();
    let known = known_servers(&mut log).await?;
    let mut voters = BTreeSet::new();
    let mut nodes = BTreeMap::new();
    for line in lines {
        let id = resolve_id(&line.id, node_id, node_name, &known)
            .map_err(|message| recovery_error(&path, message))?;
        let name = known
            .get(&id)
            .map(|node| node.name.clone())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| line.id.as_str().unwrap_or_default().to_string());
        if !line.non_voter {
            voters.insert(id);
        }
        nodes.insert(id, ServerNode::new(name, line.address));
    }
    if voters.is_empty() {
        return Err(recovery_error(&path, "names no voter"));
    }
    let state = log
        .get_log_state()
        .await
        .map_err(|e| recovery_error(&path, e))?;
    let last: LogId = state.last_log_id.ok_or_else(|| {
        recovery_error(
            &path,
            "this server's log is empty; there is nothing to recover",
        )
    })?;
    let membership =
        Membership::new(vec![voters.clone()], nodes).map_err(|e| recovery_error(&path, e))?;
    let entry = Entry::new_membership(
        LogId::new(*last.committed_leader_id(), last.index + 1),
        membership,
    );
    log.append_now(vec![entry])
        .await
        .map_err(|e| recovery_error(&path, e))?;
    std::fs::remove_file(&path)
        .map_err(|e| recovery_error(&path, format!("applied, but cannot delete the file: {e}")))?;
    tracing::warn!(
        voters = ?voters,
        file = %path.display(),
        "recovered the raft configuration from peers.json; the file was deleted"
    );
    Ok(())
}

fn resolve_id(
    id: &serde_json::Value,
    node_id: u64,
    node_name: &str,
    known: &BTreeMap<u64, ServerNode>,
) -> Result<u64, String> {
    if let Some(number) = id.as_u64() {
        return Ok(number);
    }
    let text = id
        .as_str()
        .ok_or_else(|| format!("id {id} is neither a node name nor a raft id"))?;
    if let Ok(number) = text.parse::<u64>() {
        return Ok(number);
    }
    if text == node_name {
        return Ok(node_id);
    }
    known
        .iter()
        .find(|(_, node)| node.name == text)
        .map(|(id, _)| *id)
        .ok_or_else(|| {
            let names: Vec<&str> = known.values().map(|node| node.name.as_str()).collect();
            format!("server {text:?} is not in the last known configuration (known: {names:?})")
        })
}

/// The servers of the latest configuration found in the log.
async fn known_servers(log: &mut LogStore) -> Result<BTreeMap<u64, ServerNode>, ClusterError> {
    let entries = log
        .try_get_log_entries(..)
        .await
        .map_err(|e| ClusterError::Recovery(format!("cannot read the raft log: {e}")))?;
    Ok(entries
        .into_iter()
        .rev()
        .find_map(|entry| match entry.payload {
            EntryPayload::Membership(membership) => Some(
                membership
                    .nodes()
                    .map(|(id, node)| (*id, node.clone()))
                    .collect(),
            ),
            _ => None,
        })
        .unwrap_or_default())
}
