//! The Raft log in its own redb file (`raft-log.redb`), fsynced on every append.

use std::fmt::Debug;
use std::io;
use std::ops::{Bound, RangeBounds};
use std::path::Path;
use std::sync::Arc;

use openraft::storage::{IOFlushed, LogState, RaftLogStorage};
use openraft::{OptionalSend, RaftLogReader};
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::snapshot_pace::SnapshotPace;
use crate::types::{Entry, LogId, TypeConfig, Vote};

const LOG: TableDefinition<u64, &[u8]> = TableDefinition::new("log");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
const VOTE: &str = "vote";
const COMMITTED: &str = "committed";
const PURGED: &str = "last_purged";

/// The Raft log store; clones share the same database.
#[derive(Clone)]
pub struct LogStore {
    db: Arc<Database>,
    /// Told the size of every entry written, which paces snapshots.
    appended: Arc<SnapshotPace>,
}

fn io_error(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(error.to_string())
}

fn encode<T: Serialize>(value: &T) -> io::Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(io_error)
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> io::Result<T> {
    serde_json::from_slice(bytes).map_err(io_error)
}

impl LogStore {
    /// Opens (or creates) the log database at `path` with a small page cache.
    pub fn open(path: &Path) -> io::Result<LogStore> {
        let db = Database::builder()
            .set_cache_size(8 << 20)
            .create(path)
            .map_err(io_error)?;
        let txn = db.begin_write().map_err(io_error)?;
        txn.open_table(LOG).map_err(io_error)?;
        txn.open_table(META).map_err(io_error)?;
        txn.commit().map_err(io_error)?;
        Ok(LogStore {
            db: Arc::new(db),
            appended: Arc::default(),
        })
    }

    /// Reports the bytes of every entry written from now on to `pace` (the state machine's).
    pub(crate) fn report_appends_to(mut self, pace: Arc<SnapshotPace>) -> LogStore {
        self.appended = pace;
        self
    }

    /// Encodes entries as stored, counting their bytes toward the next snapshot.
    fn encode_entries(
        &self,
        entries: impl IntoIterator<Item = Entry>,
    ) -> io::Result<Vec<(u64, Vec<u8>)>> {
        let mut rows = Vec::new();
        for entry in entries {
            rows.push((entry.log_id.index, encode(&entry)?));
        }
        let bytes: usize = rows.iter().map(|(_, row)| row.len()).sum();
        self.appended.logged(bytes as u64);
        Ok(rows)
    }

    fn read_meta<T: DeserializeOwned>(&self, key: &str) -> io::Result<Option<T>> {
        let txn = self.db.begin_read().map_err(io_error)?;
        let table = txn.open_table(META).map_err(io_error)?;
        let value = table.get(key).map_err(io_error)?;
        value.map(|bytes| decode(bytes.value())).transpose()
    }

    /// Runs a durable write on a blocking thread: redb commits fsync.
    async fn write(
        &self,
        work: impl FnOnce(&redb::WriteTransaction) -> Result<(), redb::Error> + Send + 'static,
    ) -> io::Result<()> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || {
            let mut txn = db.begin_write().map_err(io_error)?;
            txn.set_durability(Durability::Immediate)
                .map_err(io_error)?;
            work(&txn).map_err(io_error)?;
            txn.commit().map_err(io_error)
        })
        .await
        .map_err(io_error)?
    }

    /// Appends entries outside openraft (configuration recovery, before Raft starts).
    pub(crate) async fn append_now(&self, entries: Vec<Entry>) -> io::Result<()> {
        let rows = self.encode_entries(entries)?;
        self.write(move |txn| {
            let mut table = txn.open_table(LOG)?;
            for (index, bytes) in &rows {
                table.insert(*index, bytes.as_slice())?;
            }
            Ok(())
        })
        .await
    }

    async fn write_meta<T: Serialize>(&self, key: &'static str, value: &T) -> io::Result<()> {
        let bytes = encode(value)?;
        self.write(move |txn| {
            txn.open_table(META)?.insert(key, bytes.as_slice())?;
            Ok(())
        })
        .await
    }
}

fn to_owned_bounds(range: impl RangeBounds<u64>) -> (Bound<u64>, Bound<u64>) {
    (range.start_bound().cloned(), range.end_bound().cloned())
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let db = self.db.clone();
        let bounds = to_owned_bounds(range);
        tokio::task::spawn_blocking(move || {
            let txn = db.begin_read().map_err(io_error)?;
            let table = txn.open_table(LOG).map_err(io_error)?;
            let mut entries = Vec::new();
            for item in table.range::<u64>(bounds).map_err(io_error)? {
                let (_, value) = item.map_err(io_error)?;
                entries.push(decode(value.value())?);
            }
            Ok(entries)
        })
        .await
        .map_err(io_error)?
    }

    async fn read_vote(&mut self) -> Result<Option<Vote>, io::Error> {
        self.read_meta(VOTE)
    }
}

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = LogStore;

    async fn get_log_state(&mut self) -> Result<LogState<TypeConfig>, io::Error> {
        let last_purged_log_id: Option<LogId> = self.read_meta(PURGED)?;
        let txn = self.db.begin_read().map_err(io_error)?;
        let table = txn.open_table(LOG).map_err(io_error)?;
        let last = table.last().map_err(io_error)?;
        let last_log_id = match last {
            Some((_, value)) => Some(decode::<Entry>(value.value())?.log_id),
            None => last_purged_log_id,
        };
        Ok(LogState {
            last_purged_log_id,
            last_log_id,
        })
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }

    async fn save_vote(&mut self, vote: &Vote) -> Result<(), io::Error> {
        self.write_meta(VOTE, vote).await
    }

    async fn save_committed(&mut self, committed: Option<LogId>) -> Result<(), io::Error> {
        self.write_meta(COMMITTED, &committed).await
    }

    async fn read_committed(&mut self) -> Result<Option<LogId>, io::Error> {
        Ok(self.read_meta::<Option<LogId>>(COMMITTED)?.flatten())
    }

    async fn append<I>(
        &mut self,
        entries: I,
        callback: IOFlushed<TypeConfig>,
    ) -> Result<(), io::Error>
    where
        I: IntoIterator<Item = Entry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let started = std::time::Instant::now();
        let rows = self.encode_entries(entries)?;
        let encoded_ms = started.elapsed().as_millis() as u64;
        let bytes: usize = rows.iter().map(|(_, row)| row.len()).sum();
        let result = self
            .write(move |txn| {
                let mut table = txn.open_table(LOG)?;
                for (index, bytes) in &rows {
                    table.insert(*index, bytes.as_slice())?;
                }
                Ok(())
            })
            .await;
        tracing::debug!(
            bytes,
            encoded_ms,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "log entries appended"
        );
        let outcome = result
            .as_ref()
            .map(|_| ())
            .map_err(|e| io::Error::new(e.kind(), e.to_string()));
        callback.io_completed(outcome);
        result
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> Result<(), io::Error> {
        let first_removed = last_log_id.map_or(0, |log_id| log_id.index + 1);
        self.write(move |txn| {
            txn.open_table(LOG)?
                .retain_in(first_removed.., |_, _| false)?;
            Ok(())
        })
        .await
    }

    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        let bytes = encode(&log_id)?;
        let upto = log_id.index;
        self.write(move |txn| {
            txn.open_table(META)?.insert(PURGED, bytes.as_slice())?;
            txn.open_table(LOG)?.retain_in(..=upto, |_, _| false)?;
            Ok(())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dkron_store::Command;
    use openraft::entry::RaftEntry;

    #[tokio::test]
    async fn every_entry_written_counts_toward_the_next_snapshot_by_its_stored_size() {
        let dir = tempfile::tempdir().unwrap();
        let pace = Arc::new(SnapshotPace::default());
        let log = LogStore::open(&dir.path().join("log.redb"))
            .unwrap()
            .report_appends_to(pace.clone());
        let entries: Vec<Entry> = (1..=3)
            .map(|index| {
                let leader = openraft::impls::leader_id_adv::LeaderId {
                    term: 1,
                    node_id: 1,
                };
                let id = LogId::new(leader, index);
                Entry::new_normal(
                    id,
                    Command::DeleteJob {
                        name: format!("job-{index}"),
                    },
                )
            })
            .collect();
        let stored: usize = entries.iter().map(|e| encode(e).unwrap().len()).sum();
        log.append_now(entries).await.unwrap();
        assert_eq!(pace.logged_since(), stored as u64);
        pace.dump_finished(stored as u64 + 1);
        assert!(!pace.due());
    }
}
