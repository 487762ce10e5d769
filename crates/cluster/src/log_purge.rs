//! Deleting purged Raft log entries in the background, a bounded piece at a time.
//!
//! openraft awaits `purge` inside its core loop: while a purge runs, the server sends no
//! heartbeat, answers no vote and appends nothing. After a snapshot the purge covers all the
//! log written since the previous one, which the snapshot pace lets grow to the size of the
//! state (hundreds of MB with full retention), and every server purges at about the same
//! moment. Deleting 1 GiB of log in one transaction took 0.6–1.3 s on the benchmark machine,
//! longer than the leader lease (ADR 12). So `purge` only records the purge mark (nothing
//! reads below it, see [`Purger::first_readable`]), and one task per log deletes the entries
//! behind it, at most [`PIECE_ENTRIES`] entries or [`PIECE_BYTES`] bytes per transaction,
//! resting between pieces so that appends take the database in between, and so that the
//! deletion (which reads every page it frees) works at most [`PURGE_DUTY_PERCENT`] of the
//! time: unpaced, three servers deleting 567 MB each together read 80–218 MB/s from one
//! disk for 6 s, their appends slowed, and the leader lost its lease.

use std::io;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant};

use redb::{Database, Durability, ReadableTable, TableDefinition};

/// The most entries one deleting transaction removes.
pub(crate) const PIECE_ENTRIES: usize = 256;
/// The most bytes of entries one deleting transaction removes (a larger entry goes alone).
pub(crate) const PIECE_BYTES: usize = 8 << 20;
/// The shortest pause between two pieces, in which appends and reads get the database.
const PAUSE: Duration = Duration::from_millis(10);
/// Share of wall time the deletion works; nothing waits for it to end.
const PURGE_DUTY_PERCENT: u32 = 10;

/// The rest after a piece that took `worked`.
fn rest_after_piece(worked: Duration) -> Duration {
    crate::snapshot_pace::rest_after(worked, PURGE_DUTY_PERCENT).max(PAUSE)
}

/// What one piece deleted; zero entries when nothing was left up to the mark.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Piece {
    pub(crate) entries: usize,
    pub(crate) bytes: usize,
}

/// Deletes the oldest entries of `table` up to index `upto`, within one piece's bounds.
///
/// Deleting oldest first never leaves a hole in the log, which openraft requires of a purge
/// that is not one transaction.
pub(crate) fn delete_piece(
    db: &Database,
    table: TableDefinition<u64, &[u8]>,
    upto: u64,
) -> io::Result<Piece> {
    let mut txn = db.begin_write().map_err(io::Error::other)?;
    // A deletion needs no fsync of its own: what a crash leaves lies below the purge mark,
    // where nothing reads, and the next piece deletes it.
    txn.set_durability(Durability::None)
        .map_err(io::Error::other)?;
    let mut piece = Piece::default();
    {
        let mut log = txn.open_table(table).map_err(io::Error::other)?;
        let mut last = None;
        for item in log.range(..=upto).map_err(io::Error::other)? {
            let (key, value) = item.map_err(io::Error::other)?;
            let size = value.value().len();
            let full = piece.entries >= PIECE_ENTRIES || piece.bytes + size > PIECE_BYTES;
            if piece.entries > 0 && full {
                break;
            }
            piece.entries += 1;
            piece.bytes += size;
            last = Some(key.value());
        }
        if let Some(last) = last {
            log.retain_in(..=last, |_, _| false)
                .map_err(io::Error::other)?;
        }
    }
    txn.commit().map_err(io::Error::other)?;
    Ok(piece)
}

#[derive(Debug, Default)]
struct Progress {
    /// The highest purge mark asked for.
    upto: Option<u64>,
    /// Whether the deleting task runs.
    running: bool,
}

/// The purge mark of one log and its deleting task; shared by every clone of the log store.
pub(crate) struct Purger {
    table: TableDefinition<'static, u64, &'static [u8]>,
    /// The first index a read may return: one past the purge mark (0 before any purge).
    first_readable: AtomicU64,
    progress: Mutex<Progress>,
}

impl Purger {
    pub(crate) fn new(table: TableDefinition<'static, u64, &'static [u8]>) -> Purger {
        Purger {
            table,
            first_readable: AtomicU64::new(0),
            progress: Mutex::default(),
        }
    }

    /// The first index a read may return: entries up to the purge mark may still be on disk
    /// for a moment, but they are gone for openraft.
    pub(crate) fn first_readable(&self) -> u64 {
        self.first_readable.load(Ordering::Acquire)
    }

    /// Moves the purge mark to `upto` (never back) and has every entry up to it deleted.
    /// Without a Tokio runtime (a store opened outside one) the deletion waits for the next
    /// purge made inside one.
    pub(crate) fn purge_upto(self: &Arc<Self>, db: &Arc<Database>, upto: u64) {
        self.first_readable
            .fetch_max(upto.saturating_add(1), Ordering::AcqRel);
        let mut progress = self.lock();
        progress.upto = progress.upto.max(Some(upto));
        if progress.running {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        progress.running = true;
        // The task holds the database weakly, so that closing the store is not delayed
        // by it beyond the piece in progress.
        runtime.spawn(Arc::clone(self).delete_until_done(Arc::downgrade(db)));
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        // Progress is two plain fields, each written whole: a panic elsewhere cannot leave
        // them inconsistent.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn delete_until_done(self: Arc<Self>, db: Weak<Database>) {
        let started = Instant::now();
        let mut total = Piece::default();
        let mut pieces = 0_u64;
        loop {
            let Some(upto) = self.lock().upto else {
                break;
            };
            let weak = db.clone();
            let table = self.table;
            let piece_started = Instant::now();
            let deleted = tokio::task::spawn_blocking(move || {
                weak.upgrade().map(|db| delete_piece(&db, table, upto))
            })
            .await;
            let worked = piece_started.elapsed();
            let piece = match deleted {
                Ok(Some(Ok(piece))) => piece,
                Ok(None) => break,
                Ok(Some(Err(error))) => {
                    tracing::warn!(%error, upto, "deleting purged raft log entries failed; the next purge tries again");
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, upto, "the task deleting purged raft log entries failed; the next purge tries again");
                    break;
                }
            };
            if piece.entries > 0 {
                total.entries += piece.entries;
                total.bytes += piece.bytes;
                pieces += 1;
                tokio::time::sleep(rest_after_piece(worked)).await;
                continue;
            }
            let mut progress = self.lock();
            if progress.upto == Some(upto) {
                progress.running = false;
                drop(progress);
                if total.entries > 0 {
                    tracing::info!(
                        upto,
                        entries = total.entries,
                        bytes = total.bytes,
                        pieces,
                        elapsed_ms = started.elapsed().as_millis() as u64,
                        "purged raft log entries deleted"
                    );
                }
                return;
            }
        }
        self.lock().running = false;
    }
}

/// Polls `condition` until it holds; fails the test with `what` after `within`.
#[cfg(test)]
pub(crate) async fn wait_until(what: &str, within: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use redb::ReadableDatabase;

    const TABLE: TableDefinition<u64, &[u8]> = TableDefinition::new("log");

    fn database_with(sizes: &[usize]) -> (tempfile::TempDir, Arc<Database>) {
        let dir = tempfile::tempdir().unwrap();
        let db = Database::create(dir.path().join("log.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let mut table = txn.open_table(TABLE).unwrap();
            for (index, size) in sizes.iter().enumerate() {
                table
                    .insert(index as u64 + 1, vec![7_u8; *size].as_slice())
                    .unwrap();
            }
        }
        txn.commit().unwrap();
        (dir, Arc::new(db))
    }

    fn indexes(db: &Database) -> Vec<u64> {
        let txn = db.begin_read().unwrap();
        let table = txn.open_table(TABLE).unwrap();
        table
            .iter()
            .unwrap()
            .map(|item| item.unwrap().0.value())
            .collect()
    }

    #[test]
    fn pieces_are_bounded_by_count_and_reach_the_mark_oldest_first() {
        let (_dir, db) = database_with(&[100; 1_000]);
        let mut pieces = Vec::new();
        loop {
            let piece = delete_piece(&db, TABLE, 700).unwrap();
            if piece.entries == 0 {
                break;
            }
            assert!(piece.entries <= PIECE_ENTRIES, "{piece:?}");
            pieces.push(piece.entries);
            let deleted: usize = pieces.iter().sum();
            let left = indexes(&db);
            assert_eq!(left.len(), 1_000 - deleted);
            assert_eq!(
                left.first(),
                Some(&(deleted as u64 + 1)),
                "the oldest go first, so no hole is left"
            );
        }
        assert_eq!(pieces, vec![256, 256, 188]);
        let left = indexes(&db);
        assert_eq!(left.len(), 300);
        assert_eq!(left.first(), Some(&701));
        assert_eq!(left.last(), Some(&1_000));
    }

    #[test]
    fn pieces_are_bounded_by_bytes_and_a_larger_entry_goes_alone() {
        let three_mib = 3 << 20;
        let (_dir, db) = database_with(&[three_mib, three_mib, three_mib, PIECE_BYTES + 1, 10]);
        let mut pieces = Vec::new();
        loop {
            let piece = delete_piece(&db, TABLE, 5).unwrap();
            if piece.entries == 0 {
                break;
            }
            pieces.push(piece);
        }
        let counts: Vec<usize> = pieces.iter().map(|piece| piece.entries).collect();
        assert_eq!(counts, vec![2, 1, 1, 1]);
        assert!(pieces[0].bytes <= PIECE_BYTES);
        assert_eq!(pieces[2].bytes, PIECE_BYTES + 1);
        assert!(indexes(&db).is_empty());
    }

    #[test]
    fn the_deletion_rests_nine_times_as_long_as_it_worked_and_never_less_than_the_pause() {
        assert_eq!(
            rest_after_piece(Duration::from_millis(50)),
            Duration::from_millis(450)
        );
        assert_eq!(rest_after_piece(Duration::from_micros(100)), PAUSE);
        assert_eq!(rest_after_piece(Duration::ZERO), PAUSE);
    }

    #[tokio::test]
    async fn a_purge_returns_at_once_and_the_entries_behind_the_mark_are_deleted_later() {
        let (_dir, db) = database_with(&[1_000; 3_000]);
        let purger = Arc::new(Purger::new(TABLE));
        assert_eq!(purger.first_readable(), 0);

        purger.purge_upto(&db, 2_500);
        assert_eq!(purger.first_readable(), 2_501);
        purger.purge_upto(&db, 1_000);
        assert_eq!(purger.first_readable(), 2_501, "the mark never goes back");

        let thirty = Duration::from_secs(30);
        wait_until("purged entries deleted", thirty, || {
            indexes(&db).first() == Some(&2_501)
        })
        .await;
        assert_eq!(indexes(&db).len(), 500);
        wait_until("the deleting task to end", Duration::from_secs(5), || {
            !purger.lock().running
        })
        .await;

        purger.purge_upto(&db, 2_800);
        wait_until("a later purge carried out", thirty, || {
            indexes(&db).first() == Some(&2_801)
        })
        .await;
    }
}
