//! The state database behind a handle that can be closed and opened again: after an I/O
//! error (a full disk) redb refuses every later operation on that `Database`, reads
//! included, until it is reopened. Callers use `begin_read` / `begin_write` as on a
//! `Database`; the handle reopens the file on first use after [`DbHandle::close_failed`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

use redb::{
    Database, DatabaseError, ReadTransaction, ReadableDatabase, StorageError, TransactionError,
    WriteTransaction,
};

/// Starts the message of an error while a failed database cannot be opened again yet (a
/// transaction of the failed handle is still open): the caller may try again.
pub const REOPEN_PENDING: &str = "reopening the database after a failed write:";

/// An open (or reopenable) redb database; the state store's and the Raft log's.
pub struct DbHandle {
    path: PathBuf,
    cache_bytes: usize,
    /// Empty after a failure closed the handle, until the next use opens it again.
    slot: RwLock<Option<Arc<Database>>>,
}

fn open(path: &Path, cache_bytes: usize) -> Result<Database, DatabaseError> {
    Database::builder().set_cache_size(cache_bytes).create(path)
}

impl DbHandle {
    /// Opens (or creates) the database at `path` with a page cache of `cache_bytes`.
    pub fn open(path: &Path, cache_bytes: usize) -> Result<DbHandle, DatabaseError> {
        let db = open(path, cache_bytes)?;
        Ok(DbHandle {
            path: path.to_path_buf(),
            cache_bytes,
            slot: RwLock::new(Some(Arc::new(db))),
        })
    }

    /// Returns the open database, opening the file again if a failure closed it. The file
    /// opens only once every transaction of the failed handle has ended, so a caller keeps
    /// the returned `Arc` for as long as its transaction lives.
    pub fn database(&self) -> Result<Arc<Database>, TransactionError> {
        if let Some(db) = self
            .slot
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
        {
            return Ok(db.clone());
        }
        let mut slot = self.slot.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(db) = slot.as_ref() {
            return Ok(db.clone());
        }
        let db = open(&self.path, self.cache_bytes).map_err(|error| {
            TransactionError::Storage(StorageError::Io(std::io::Error::other(format!(
                "{REOPEN_PENDING} {}: {error}",
                self.path.display()
            ))))
        })?;
        tracing::info!(path = %self.path.display(), "state database reopened");
        let db = Arc::new(db);
        *slot = Some(db.clone());
        Ok(db)
    }

    /// Starts a read transaction.
    pub(crate) fn begin_read(&self) -> Result<Read, TransactionError> {
        let db = self.database()?;
        let txn = db.begin_read()?;
        Ok(Read { txn, _db: db })
    }

    /// Starts a write transaction.
    pub(crate) fn begin_write(&self) -> Result<Write, TransactionError> {
        let db = self.database()?;
        let txn = db.begin_write()?;
        Ok(Write { txn, _db: db })
    }

    /// Drops this handle's database after a failed write, so that the next use opens the
    /// file again (redb recovers it to the last commit).
    pub fn close_failed(&self) {
        self.slot
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// A read transaction with the database it reads: a handle closed after a failure stays
/// open until its last transaction ends (redb fails a transaction whose database closed).
pub(crate) struct Read {
    txn: ReadTransaction,
    _db: Arc<Database>,
}

impl std::ops::Deref for Read {
    type Target = ReadTransaction;

    fn deref(&self) -> &ReadTransaction {
        &self.txn
    }
}

/// A write transaction with the database it writes (see [`Read`]).
pub(crate) struct Write {
    txn: WriteTransaction,
    _db: Arc<Database>,
}

impl Write {
    /// Commits the transaction.
    pub(crate) fn commit(self) -> Result<(), redb::CommitError> {
        self.txn.commit()
    }
}

impl std::ops::Deref for Write {
    type Target = WriteTransaction;

    fn deref(&self) -> &WriteTransaction {
        &self.txn
    }
}

impl std::ops::DerefMut for Write {
    fn deref_mut(&mut self) -> &mut WriteTransaction {
        &mut self.txn
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::TableDefinition;

    const TABLE: TableDefinition<u64, u64> = TableDefinition::new("t");

    fn write(handle: &DbHandle, key: u64) {
        let txn = handle.begin_write().unwrap();
        txn.open_table(TABLE).unwrap().insert(key, key).unwrap();
        txn.commit().unwrap();
    }

    fn read(txn: &Read, key: u64) -> Option<u64> {
        let table = txn.open_table(TABLE).unwrap();
        table.get(key).unwrap().map(|value| value.value())
    }

    #[test]
    fn a_closed_handle_reopens_on_next_use_once_its_transactions_ended() {
        let dir = tempfile::tempdir().unwrap();
        let handle = DbHandle::open(&dir.path().join("db.redb"), 1 << 20).unwrap();
        write(&handle, 1);
        let in_flight = handle.begin_read().unwrap();

        handle.close_failed();
        assert_eq!(
            read(&in_flight, 1),
            Some(1),
            "a read begun before the close goes on"
        );
        let too_early = handle
            .begin_read()
            .err()
            .expect("the old file is still open");
        assert!(
            too_early.to_string().contains(REOPEN_PENDING),
            "{too_early}"
        );

        drop(in_flight);
        assert_eq!(read(&handle.begin_read().unwrap(), 1), Some(1));
        write(&handle, 2);
        assert_eq!(read(&handle.begin_read().unwrap(), 2), Some(2));
    }
}
