//! The notification outbox: run records that a notification should follow leave a notice in
//! the replicated state, and the leader removes a notice once it has been sent. A notice
//! outlives the leader that was sending it, so a leader change delays a notification instead
//! of dropping it (at least once; a send cut short by a crash is repeated).
//!
//! Which run records leave notices, and how many the outbox holds, is itself replicated
//! ([`NoticeSettings`], set by the leader from its notification settings): without
//! notifications configured the outbox costs nothing.

use dkron_model::Execution;
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::meta::read_meta_json;

/// Most notices the outbox holds unless set otherwise: past the limit, recording a new one
/// drops the oldest (so a leader that cannot send never makes the state grow without bound).
pub const DEFAULT_NOTICE_LIMIT: u64 = 10_000;

fn default_limit() -> u64 {
    DEFAULT_NOTICE_LIMIT
}

pub(crate) const SETTINGS_KEY: &str = "notice_settings";
pub(crate) const NEXT_KEY: &str = "notice_next";
pub(crate) const DROPPED_KEY: &str = "notices_dropped";

/// Which run records leave a notice, and how many notices the outbox holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeSettings {
    /// A run started (the pre-webhook).
    pub started: bool,
    /// A run's final result (webhook and mail); a failed attempt that is retried is not final.
    pub finished: bool,
    /// Most notices held (at least one).
    #[serde(default = "default_limit")]
    pub limit: u64,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        NoticeSettings {
            started: false,
            finished: false,
            limit: DEFAULT_NOTICE_LIMIT,
        }
    }
}

/// What a notice is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// A run started.
    Started,
    /// A run ended for good: succeeded, failed after its last attempt, or lost.
    Finished,
}

/// One notification to send, with what it needs even after its job is deleted (an ephemeral
/// job deletes itself in the same write as its successful result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// What happened.
    pub kind: NoticeKind,
    /// The execution as recorded by that write.
    pub execution: Execution,
    /// The job's `owner_email` at that time.
    pub owner_email: String,
    /// The job's `notify_on` at that time.
    pub notify_on: String,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum NoticeVersions {
    #[serde(rename = "1")]
    V1(Notice),
}

impl Notice {
    pub(crate) fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(&NoticeVersions::V1(self.clone()))
            .expect("notices are plain data and always serialise")
    }

    pub(crate) fn decode(seq: u64, bytes: &[u8]) -> Result<Notice, StoreError> {
        match serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt {
            kind: "notice",
            key: seq.to_string(),
            message: error.to_string(),
        })? {
            NoticeVersions::V1(notice) => Ok(notice),
        }
    }
}

/// Reads which records leave notices (none until a leader said otherwise).
pub(crate) fn read_settings(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<NoticeSettings, StoreError> {
    read_meta_json(meta, SETTINGS_KEY)
}
