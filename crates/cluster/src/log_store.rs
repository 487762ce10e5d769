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

use dkron_store::DbHandle;

use crate::disk_space;
use crate::disk_watch::{DiskWatch, RoomRetry};
use crate::log_purge::Purger;
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
    /// The database, reopened after a write that failed for lack of room (redb refuses
    /// everything on a handle after an I/O error).
    db: Arc<DbHandle>,
    /// The data volume's free space: writes wait while it is full.
    disk: Option<Arc<DiskWatch>>,
    /// Told the size of every entry written, which paces snapshots.
    appended: Arc<SnapshotPace>,
    /// The purge mark, and the task deleting the entries behind it.
    purger: Arc<Purger>,
}

/// An append (to this log, or answering the leader's) that takes this long is logged as a
/// warning: the leader calls a follower unreachable after a few seconds.
pub(crate) const SLOW_APPEND: std::time::Duration = std::time::Duration::from_secs(1);

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
        let handle = Arc::new(DbHandle::open(path, 8 << 20).map_err(io_error)?);
        let db = handle.database().map_err(io_error)?;
        let txn = db.begin_write().map_err(io_error)?;
        txn.open_table(LOG).map_err(io_error)?;
        txn.open_table(META).map_err(io_error)?;
        txn.commit().map_err(io_error)?;
        let store = LogStore {
            db: handle,
            disk: None,
            appended: Arc::default(),
            purger: Arc::new(Purger::new(LOG)),
        };
        // Entries a crash left behind the purge mark are deleted again.
        if let Some(purged) = store.read_meta::<LogId>(PURGED)? {
            store.purger.purge_upto(&db, purged.index);
        }
        Ok(store)
    }

    /// Makes writes wait while `disk` finds the volume full, and retry (reopening the
    /// database) when one fails for lack of room, instead of failing: openraft stops for good
    /// on a storage error.
    pub fn watch_disk(mut self, disk: Arc<DiskWatch>) -> LogStore {
        self.disk = Some(disk);
        self
    }

    /// Returns the open database, opening it again after a failed write closed it.
    fn db(&self) -> io::Result<Arc<Database>> {
        self.db.database().map_err(io_error)
    }

    /// Drops this store's handle on a database that failed: the next use opens it again
    /// (once every reader still holding the old handle is done with it).
    fn close_failed(&self) {
        self.db.close_failed();
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
        // The handle lives as long as the transaction (a closed database fails its readers).
        let db = self.db()?;
        let txn = db.begin_read().map_err(io_error)?;
        let table = txn.open_table(META).map_err(io_error)?;
        let value = table.get(key).map_err(io_error)?;
        value.map(|bytes| decode(bytes.value())).transpose()
    }

    /// Runs a durable write on a blocking thread (redb commits fsync). While the volume is
    /// full it waits; a write that fails for lack of room is tried again, on a reopened
    /// database, until it succeeds. Every write here is idempotent (the same rows, the same
    /// marks), and a failed redb commit leaves the previous state.
    async fn write(
        &self,
        what: &'static str,
        work: impl Fn(&redb::WriteTransaction) -> Result<(), redb::Error> + Send + Sync + 'static,
    ) -> io::Result<()> {
        let work = Arc::new(work);
        let mut retry = RoomRetry::new();
        loop {
            if let Some(disk) = &self.disk {
                disk.wait_for_room(what).await;
            }
            let result = self.write_once(work.clone()).await;
            let Some(disk) = &self.disk else {
                return result;
            };
            match result {
                Err(error) if disk_space::needs_reopen(&error.to_string()) => {
                    self.close_failed();
                    retry.after_failure(disk, what, &error.to_string()).await;
                }
                Ok(()) => {
                    disk.write_succeeded();
                    return Ok(());
                }
                Err(error) => return Err(error),
            }
        }
    }

    async fn write_once(
        &self,
        work: Arc<
            impl Fn(&redb::WriteTransaction) -> Result<(), redb::Error> + Send + Sync + 'static,
        >,
    ) -> io::Result<()> {
        let db = self.db()?;
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
        self.write("raft log append", move |txn| {
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
        self.write("raft log mark", move |txn| {
            txn.open_table(META)?.insert(key, bytes.as_slice())?;
            Ok(())
        })
        .await
    }
}

fn to_owned_bounds(range: impl RangeBounds<u64>) -> (Bound<u64>, Bound<u64>) {
    (range.start_bound().cloned(), range.end_bound().cloned())
}

/// Narrows a read to the entries at or after `first_readable`: the ones behind the purge mark
/// may still be on disk while they are deleted, but they are gone for openraft.
fn readable(
    (start, end): (Bound<u64>, Bound<u64>),
    first_readable: u64,
) -> (Bound<u64>, Bound<u64>) {
    let start = match start {
        Bound::Included(index) if index >= first_readable => Bound::Included(index),
        Bound::Excluded(index) if index >= first_readable => Bound::Excluded(index),
        _ => Bound::Included(first_readable),
    };
    (start, end)
}

/// Whether no index lies within `bounds` (redb refuses a range that ends before it starts).
fn is_empty((start, end): (Bound<u64>, Bound<u64>)) -> bool {
    let first = match start {
        Bound::Included(index) => Some(index),
        Bound::Excluded(index) => index.checked_add(1),
        Bound::Unbounded => Some(0),
    };
    let Some(first) = first else {
        return true;
    };
    match end {
        Bound::Included(index) => index < first,
        Bound::Excluded(index) => index <= first,
        Bound::Unbounded => false,
    }
}

/// The last log id: the newest entry's, unless every entry still on disk lies behind the
/// purge mark (the log was purged to its end and the deletion has not finished).
fn last_log_id(newest_entry: Option<LogId>, purged: Option<LogId>) -> Option<LogId> {
    match (newest_entry, purged) {
        (Some(entry), Some(purged)) if entry.index <= purged.index => Some(purged),
        (Some(entry), _) => Some(entry),
        (None, purged) => purged,
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(
        &mut self,
        range: RB,
    ) -> Result<Vec<Entry>, io::Error> {
        let db = self.db()?;
        let bounds = readable(to_owned_bounds(range), self.purger.first_readable());
        if is_empty(bounds) {
            return Ok(Vec::new());
        }
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
        // The handle lives as long as the transaction (a closed database fails its readers).
        let db = self.db()?;
        let txn = db.begin_read().map_err(io_error)?;
        let table = txn.open_table(LOG).map_err(io_error)?;
        let newest_entry = match table.last().map_err(io_error)? {
            Some((_, value)) => Some(decode::<Entry>(value.value())?.log_id),
            None => None,
        };
        Ok(LogState {
            last_log_id: last_log_id(newest_entry, last_purged_log_id),
            last_purged_log_id,
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
            .write("raft log append", move |txn| {
                let mut table = txn.open_table(LOG)?;
                for (index, bytes) in &rows {
                    table.insert(*index, bytes.as_slice())?;
                }
                Ok(())
            })
            .await;
        let elapsed = started.elapsed();
        if elapsed >= SLOW_APPEND {
            // Every RPC from the leader and every commit waits for this: a slow disk shows
            // here first, before peers report timeouts.
            tracing::warn!(
                bytes,
                encoded_ms,
                elapsed_ms = elapsed.as_millis() as u64,
                "appending to the raft log was slow"
            );
        } else {
            tracing::debug!(
                bytes,
                encoded_ms,
                elapsed_ms = elapsed.as_millis() as u64,
                "log entries appended"
            );
        }
        let outcome = result
            .as_ref()
            .map(|_| ())
            .map_err(|e| io::Error::new(e.kind(), e.to_string()));
        callback.io_completed(outcome);
        result
    }

    async fn truncate_after(&mut self, last_log_id: Option<LogId>) -> Result<(), io::Error> {
        let first_removed = last_log_id.map_or(0, |log_id| log_id.index + 1);
        self.write("raft log truncation", move |txn| {
            txn.open_table(LOG)?
                .retain_in(first_removed.., |_, _| false)?;
            Ok(())
        })
        .await
    }

    /// Records the purge mark and returns; the entries behind it are deleted in the background
    /// (see `log_purge`), because openraft's core waits for this call.
    async fn purge(&mut self, log_id: LogId) -> Result<(), io::Error> {
        self.write_meta(PURGED, &log_id).await?;
        self.purger.purge_upto(&self.db()?, log_id.index);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_purge::wait_until;
    use dkron_store::Command;
    use openraft::entry::RaftEntry;

    fn log_id(index: u64) -> LogId {
        let leader = openraft::impls::leader_id_adv::LeaderId {
            term: 1,
            node_id: 1,
        };
        LogId::new(leader, index)
    }

    #[test]
    fn reads_never_reach_behind_the_purge_mark() {
        use Bound::{Excluded, Included, Unbounded};
        assert_eq!(
            readable((Unbounded, Unbounded), 0),
            (Included(0), Unbounded)
        );
        assert_eq!(
            readable((Unbounded, Included(9)), 5),
            (Included(5), Included(9))
        );
        assert_eq!(
            readable((Included(3), Excluded(9)), 5),
            (Included(5), Excluded(9))
        );
        assert_eq!(
            readable((Included(7), Unbounded), 5),
            (Included(7), Unbounded)
        );
        assert_eq!(
            readable((Excluded(4), Unbounded), 5),
            (Included(5), Unbounded)
        );
        assert_eq!(
            readable((Excluded(5), Unbounded), 5),
            (Excluded(5), Unbounded)
        );
        assert!(is_empty(readable((Included(1), Excluded(5)), 5)));
        assert!(is_empty(readable((Included(1), Included(3)), 5)));
        assert!(!is_empty(readable((Included(1), Included(5)), 5)));
        assert!(is_empty((Excluded(u64::MAX), Unbounded)));
    }

    #[test]
    fn the_last_log_id_is_never_behind_the_purge_mark() {
        assert_eq!(last_log_id(None, None), None);
        assert_eq!(last_log_id(None, Some(log_id(4))), Some(log_id(4)));
        assert_eq!(
            last_log_id(Some(log_id(9)), Some(log_id(4))),
            Some(log_id(9))
        );
        assert_eq!(
            last_log_id(Some(log_id(3)), Some(log_id(4))),
            Some(log_id(4)),
            "an entry left behind the mark is not the last"
        );
        assert_eq!(last_log_id(Some(log_id(2)), None), Some(log_id(2)));
    }

    #[tokio::test]
    async fn a_purge_hides_the_entries_behind_the_mark_and_they_are_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("log.redb");
        let mut log = LogStore::open(&path).unwrap();
        let entries: Vec<Entry> = (1..=600)
            .map(|index| {
                Entry::new_normal(
                    log_id(index),
                    Command::DeleteJob {
                        name: format!("job-{index}"),
                    },
                )
            })
            .collect();
        log.append_now(entries).await.unwrap();
        let stored_first = |log: &LogStore| {
            let txn = log.db().unwrap().begin_read().unwrap();
            let table = txn.open_table(LOG).unwrap();
            table.first().unwrap().map(|(key, _)| key.value())
        };

        log.purge(log_id(500)).await.unwrap();
        // This test's runtime has one thread, so the deleting task has not started yet.
        assert_eq!(
            stored_first(&log),
            Some(1),
            "purge itself deletes nothing: openraft's core waits for it"
        );
        let state = log.get_log_state().await.unwrap();
        assert_eq!(state.last_purged_log_id, Some(log_id(500)));
        assert_eq!(state.last_log_id, Some(log_id(600)));
        let read = log.try_get_log_entries(..).await.unwrap();
        assert_eq!(read.len(), 100);
        assert_eq!(read[0].log_id, log_id(501));
        assert!(log.try_get_log_entries(1..100).await.unwrap().is_empty());

        let thirty = std::time::Duration::from_secs(30);
        wait_until("purged entries deleted", thirty, || {
            stored_first(&log) == Some(501)
        })
        .await;

        log.purge(log_id(600)).await.unwrap();
        drop(log);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let mut reopened = loop {
            match LogStore::open(&path) {
                Ok(log) => break log,
                Err(error) => {
                    assert!(std::time::Instant::now() < deadline, "{error}");
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
            }
        };
        let state = reopened.get_log_state().await.unwrap();
        assert_eq!(state.last_purged_log_id, Some(log_id(600)));
        assert_eq!(state.last_log_id, Some(log_id(600)), "purged to its end");
        assert!(reopened.try_get_log_entries(..).await.unwrap().is_empty());
        wait_until("leftovers deleted after reopening", thirty, || {
            stored_first(&reopened).is_none()
        })
        .await;
    }

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
