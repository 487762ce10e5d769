//! The notification outbox: run records that a notification should follow leave a notice in
//! the replicated state, and the leader removes a notice once it has been sent. A notice
//! outlives the leader that was sending it, so a leader change delays a notification instead
//! of dropping it (at least once; a send cut short by a crash is repeated).
//!
//! Which run records leave notices, and how many the outbox holds, is itself replicated
//! ([`NoticeSettings`], set by the leader from its notification settings): without
//! notifications configured the outbox costs nothing.

use dkron_model::{Execution, Job};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata, Table};
use serde::{Deserialize, Serialize};

use crate::StoreError;
use crate::apply::{Tables, read_meta_json, write_meta_json};
use crate::error::engine;
use crate::state_store::StateStore;
use crate::tables::{META, NOTICES};

/// Most notices the outbox holds unless set otherwise: past the limit, recording a new one
/// drops the oldest (so a leader that cannot send never makes the state grow without bound).
pub const DEFAULT_NOTICE_LIMIT: u64 = 10_000;

fn default_limit() -> u64 {
    DEFAULT_NOTICE_LIMIT
}

const SETTINGS_KEY: &str = "notice_settings";
const NEXT_KEY: &str = "notice_next";
const DROPPED_KEY: &str = "notices_dropped";

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

/// Leaves a notice of `kind` about `execution` of `job`, if notices of that kind are wanted.
pub(crate) fn record(
    tables: &mut Tables<'_>,
    kind: NoticeKind,
    execution: &Execution,
    job: &Job,
) -> Result<(), StoreError> {
    let wanted = match kind {
        NoticeKind::Started => tables.notice_settings.started,
        NoticeKind::Finished => tables.notice_settings.finished,
    };
    if !wanted {
        return Ok(());
    }
    let seq = read_counter(&tables.meta, NEXT_KEY)?;
    let oldest = tables
        .notices
        .first()
        .map_err(engine("reading notices"))?
        .map(|(key, _)| key.value());
    let limit = tables.notice_settings.limit.max(1);
    if oldest.is_some_and(|oldest| seq - oldest >= limit) {
        tables
            .notices
            .pop_first()
            .map_err(engine("dropping a notice"))?;
        let dropped = read_counter(&tables.meta, DROPPED_KEY)?;
        write_counter(&mut tables.meta, DROPPED_KEY, dropped + 1)?;
    }
    let notice = Notice {
        kind,
        execution: execution.clone(),
        owner_email: job.owner_email.clone(),
        notify_on: job.notify_on.clone(),
    };
    tables
        .notices
        .insert(seq, notice.encode().as_slice())
        .map_err(engine("writing a notice"))?;
    write_counter(&mut tables.meta, NEXT_KEY, seq + 1)
}

/// Removes sent notices; unknown sequence numbers are ignored (already removed).
pub(crate) fn remove(tables: &mut Tables<'_>, seqs: &[u64]) -> Result<(), StoreError> {
    for seq in seqs {
        tables
            .notices
            .remove(*seq)
            .map_err(engine("removing a notice"))?;
    }
    Ok(())
}

/// Sets which records leave notices from now on.
pub(crate) fn set_settings(
    tables: &mut Tables<'_>,
    settings: NoticeSettings,
) -> Result<(), StoreError> {
    tables.notice_settings = settings;
    write_meta_json(&mut tables.meta, SETTINGS_KEY, &settings)
}

/// Reads which records leave notices (none until a leader said otherwise).
pub(crate) fn read_settings(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<NoticeSettings, StoreError> {
    read_meta_json(meta, SETTINGS_KEY)
}

fn read_counter(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<u64, StoreError> {
    let value = meta.get(key).map_err(engine("reading a counter"))?;
    Ok(value
        .and_then(|bytes| bytes.value().try_into().ok().map(u64::from_le_bytes))
        .unwrap_or(0))
}

fn write_counter(
    meta: &mut Table<'_, &'static str, &'static [u8]>,
    key: &'static str,
    value: u64,
) -> Result<(), StoreError> {
    meta.insert(key, value.to_le_bytes().as_slice())
        .map_err(engine("writing a counter"))?;
    Ok(())
}

impl StateStore {
    /// Returns up to `limit` pending notices, oldest first, with their sequence numbers,
    /// leaving out (undecoded: a notice holds a run's output) those `skip` names.
    pub fn pending_notices(
        &self,
        limit: usize,
        skip: impl Fn(u64) -> bool,
    ) -> Result<Vec<(u64, Notice)>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading notices"))?;
        let table = txn.open_table(NOTICES).map_err(engine("reading notices"))?;
        let mut notices = Vec::new();
        for item in table.iter().map_err(engine("reading notices"))? {
            if notices.len() >= limit {
                break;
            }
            let (key, value) = item.map_err(engine("reading notices"))?;
            let seq = key.value();
            if !skip(seq) {
                notices.push((seq, Notice::decode(seq, value.value())?));
            }
        }
        Ok(notices)
    }

    /// Returns how many notices wait to be sent.
    pub fn pending_notice_count(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading notices"))?;
        let table = txn.open_table(NOTICES).map_err(engine("reading notices"))?;
        table.len().map_err(engine("reading notices"))
    }

    /// Returns which records leave notices.
    pub fn notice_settings(&self) -> Result<NoticeSettings, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        read_settings(&table)
    }

    /// Returns how many notices were dropped because the outbox was full.
    pub fn notices_dropped(&self) -> Result<u64, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        read_counter(&table, DROPPED_KEY)
    }
}
