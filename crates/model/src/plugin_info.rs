//! What a node reports about one of its plugin binaries (`GET /v1/plugins`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a plugin stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PluginState {
    /// Found; its start has not ended yet.
    Starting,
    /// Running and connected.
    Running,
    /// Its last start failed (see `last_error`); tried again at its next use.
    Failed,
    /// It exited by itself; started again at its next use.
    Exited,
    /// Stopped by this node (shutting down).
    Stopped,
}

/// One plugin binary of this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// The name jobs use.
    pub name: String,
    /// `executor` or `processor`.
    pub kind: String,
    /// The binary.
    pub path: String,
    /// Where it stands.
    pub state: PluginState,
    /// `grpc` or `netrpc`, once it has said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// Its process id while it runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// When its current (or last) process started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// How many times it was started again after the first start.
    pub restarts: u32,
    /// Why it last failed or exited, if it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}
