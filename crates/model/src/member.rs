//! A cluster member as Dkron's `/v1/members` shows it (the fields of a Serf member).

use serde::{Deserialize, Serialize};

use crate::StringMap;

/// Serf member status codes, as Dkron puts them in `Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MemberStatus {
    /// Status unknown (Serf's `none`).
    None,
    /// Reachable and healthy.
    Alive,
    /// Leaving gracefully.
    Leaving,
    /// Left the cluster.
    Left,
    /// Declared dead by failure detection.
    Failed,
}

impl MemberStatus {
    /// Returns Serf's numeric code for the status.
    pub fn code(self) -> u8 {
        match self {
            MemberStatus::None => 0,
            MemberStatus::Alive => 1,
            MemberStatus::Leaving => 2,
            MemberStatus::Left => 3,
            MemberStatus::Failed => 4,
        }
    }

    /// Returns the lowercase name Dkron puts in `statusText`.
    pub fn text(self) -> &'static str {
        match self {
            MemberStatus::None => "none",
            MemberStatus::Alive => "alive",
            MemberStatus::Leaving => "leaving",
            MemberStatus::Left => "left",
            MemberStatus::Failed => "failed",
        }
    }
}

/// A node of the cluster in Serf's JSON shape (Go field names, no JSON tags).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Member {
    /// Node name.
    pub name: String,
    /// Gossip IP address.
    pub addr: String,
    /// Gossip port.
    pub port: u16,
    /// Node tags (user tags plus `role`, `server`, `rpc_addr`, …).
    pub tags: StringMap,
    /// Numeric status (see `MemberStatus::code`).
    pub status: u8,
    /// Gossip protocol bounds, kept for client compatibility.
    pub protocol_min: u8,
    /// See `protocol_min`.
    pub protocol_max: u8,
    /// See `protocol_min`.
    pub protocol_cur: u8,
    /// See `protocol_min`.
    pub delegate_min: u8,
    /// See `protocol_min`.
    pub delegate_max: u8,
    /// See `protocol_min`.
    pub delegate_cur: u8,
}

impl Member {
    /// A member with the protocol bounds Dkron's Serf reports (protocol 1–5, current 2;
    /// delegate 2–5, current 4),
    /// which clients may display but nothing here depends on.
    pub fn new(
        name: impl Into<String>,
        addr: impl Into<String>,
        port: u16,
        tags: StringMap,
        status: MemberStatus,
    ) -> Member {
        Member {
            name: name.into(),
            addr: addr.into(),
            port,
            tags,
            status: status.code(),
            protocol_min: 1,
            protocol_max: 5,
            protocol_cur: 2,
            delegate_min: 2,
            delegate_max: 5,
            delegate_cur: 4,
        }
    }
}
