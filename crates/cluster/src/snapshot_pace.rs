//! When a server dumps its state for a Raft snapshot, and how hard it works while dumping.
//!
//! A snapshot is a full dump of the state, so its cost grows with the state (jobs and the
//! history retention keeps), not with the log it lets Raft drop. Taken every fixed number of
//! entries, a server at 1,000 runs/s dumped everything about once a minute, on every server
//! at the same moment, and each dump held both cores of a small machine for about a second:
//! runs started up to 1.1 s late (see `bench/RESULTS.md`). Two rules keep the cost per run
//! constant instead:
//!
//! - a policy-triggered snapshot is built only once the log written since the last one is at
//!   least as large as that snapshot, so dumping costs at most about one byte written per byte
//!   logged whatever the size of the state (a snapshot Raft needs to catch a follower up is
//!   always built);
//! - the dump works at most [`DUMP_DUTY_PERCENT`] of the time and sleeps the rest, so it never
//!   takes a core away from scheduling for long;
//! - each server's entry floor is its own ([`staggered_floor`]): with one floor, every server
//!   of a cluster dumped and then purged at the same log index, so all of them read and wrote
//!   hundreds of MB at once on a shared disk, and the leader lost its lease (ADR 11).

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Share of wall time a dump spends working; the rest it sleeps.
pub const DUMP_DUTY_PERCENT: u32 = 25;
/// The dump checks its pace after this many bytes.
const PACE_EVERY_BYTES: usize = 256 * 1024;

/// Log bytes written since the last snapshot against that snapshot's size.
#[derive(Debug, Default)]
pub struct SnapshotPace {
    logged_since: AtomicU64,
    last_dump_bytes: AtomicU64,
}

impl SnapshotPace {
    /// Counts log bytes written (as the log store encodes them).
    pub fn logged(&self, bytes: u64) {
        self.logged_since.fetch_add(bytes, Ordering::Relaxed);
    }

    /// True when a policy-triggered snapshot is worth its cost now.
    pub fn due(&self) -> bool {
        self.logged_since.load(Ordering::Relaxed) >= self.last_dump_bytes.load(Ordering::Relaxed)
    }

    /// A dump starts: the log counted so far is what it covers.
    pub fn dump_started(&self) {
        self.logged_since.store(0, Ordering::Relaxed);
    }

    /// A dump (built or installed) of `bytes` is now the current snapshot.
    pub fn dump_finished(&self, bytes: u64) {
        self.last_dump_bytes.store(bytes, Ordering::Relaxed);
    }

    /// Log bytes written since the last dump started.
    pub fn logged_since(&self) -> u64 {
        self.logged_since.load(Ordering::Relaxed)
    }

    /// Size of the current snapshot.
    pub fn last_dump_bytes(&self) -> u64 {
        self.last_dump_bytes.load(Ordering::Relaxed)
    }
}

/// A writer that sleeps between chunks so that writing (and producing what it writes) takes
/// at most `duty_percent` of wall time. Meant for a blocking thread.
pub struct PacedWriter<W: Write> {
    inner: W,
    duty_percent: u32,
    chunk_bytes: usize,
    since_pause: usize,
    working_since: Instant,
    written: u64,
}

impl<W: Write> PacedWriter<W> {
    /// Paces `inner` at [`DUMP_DUTY_PERCENT`].
    pub fn new(inner: W) -> PacedWriter<W> {
        PacedWriter::with_duty(inner, DUMP_DUTY_PERCENT, PACE_EVERY_BYTES)
    }

    /// Paces `inner` at `duty_percent` (1–100), checking every `chunk_bytes`.
    pub fn with_duty(inner: W, duty_percent: u32, chunk_bytes: usize) -> PacedWriter<W> {
        PacedWriter {
            inner,
            duty_percent: duty_percent.clamp(1, 100),
            chunk_bytes: chunk_bytes.max(1),
            since_pause: 0,
            working_since: Instant::now(),
            written: 0,
        }
    }

    /// Bytes written through this writer.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The writer underneath.
    pub fn into_inner(self) -> W {
        self.inner
    }

    #[allow(clippy::disallowed_methods)] // runs on a blocking thread: resting is the point
    fn pause_if_due(&mut self) {
        if self.since_pause < self.chunk_bytes {
            return;
        }
        self.since_pause = 0;
        let worked = self.working_since.elapsed();
        std::thread::sleep(rest_after(worked, self.duty_percent));
        self.working_since = Instant::now();
    }
}

/// The entry floor of one server: `base` stretched by up to 15/16 by a share drawn from the
/// server's id, so that servers of one cluster reach their first snapshot (and, while the
/// floor decides, the later ones) at different log indexes.
pub fn staggered_floor(base: u64, node_id: u64) -> u64 {
    base.saturating_add(base.saturating_mul(mixed(node_id) % 16) / 16)
}

/// Spreads ids that differ in a few bits (ids made at nearly the same time) over all bits
/// (the finaliser of splitmix64).
fn mixed(mut id: u64) -> u64 {
    id = (id ^ (id >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    id = (id ^ (id >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    id ^ (id >> 31)
}

/// How long to rest after working `worked` to keep the work at `duty_percent` (1–100) of
/// the time.
pub(crate) fn rest_after(worked: Duration, duty_percent: u32) -> Duration {
    worked * (100 - duty_percent) / duty_percent
}

impl<W: Write> Write for PacedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.since_pause += written;
        self.written += written as u64;
        self.pause_if_due();
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pace whose current snapshot is `bytes` large.
    fn after_a_dump_of(bytes: u64) -> SnapshotPace {
        let pace = SnapshotPace::default();
        pace.dump_finished(bytes);
        pace
    }

    #[test]
    fn the_first_snapshot_is_due_at_once_and_later_ones_after_as_much_log_as_their_size() {
        let pace = SnapshotPace::default();
        assert!(pace.due());
        pace.dump_started();
        pace.dump_finished(1_000);
        pace.logged(999);
        assert!(!pace.due());
        pace.logged(1);
        assert!(pace.due());
    }

    #[test]
    fn log_applied_while_a_dump_runs_counts_toward_the_next_one() {
        let pace = after_a_dump_of(500);
        pace.logged(600);
        pace.dump_started();
        pace.logged(300);
        pace.dump_finished(200);
        assert_eq!(pace.logged_since(), 300);
        assert!(pace.due());
    }

    #[test]
    fn a_snapshot_found_at_start_sets_the_first_threshold() {
        let pace = after_a_dump_of(10_000);
        pace.logged(9_999);
        assert!(!pace.due());
        assert_eq!(pace.last_dump_bytes(), 10_000);
    }

    #[test]
    fn servers_made_at_nearly_the_same_moment_get_different_floors() {
        // Server ids of one benchmark cluster, made within milliseconds of each other.
        let ids = [
            3_803_584_093_253_122_131_u64,
            3_803_586_292_276_378_553,
            3_803_588_491_299_634_975,
        ];
        let floors: Vec<u64> = ids.iter().map(|id| staggered_floor(20_000, *id)).collect();
        assert!(
            floors.iter().all(|floor| (20_000..40_000).contains(floor)),
            "{floors:?}"
        );
        let mut distinct = floors.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), 3, "{floors:?}");
    }

    #[test]
    fn floors_spread_over_the_whole_stretch() {
        let floors: std::collections::BTreeSet<u64> = (0..1_000_u64)
            .map(|id| staggered_floor(16_000, id))
            .collect();
        assert_eq!(floors.len(), 16, "{floors:?}");
        assert_eq!(floors.first(), Some(&16_000));
        assert_eq!(floors.last(), Some(&31_000));
        assert_eq!(staggered_floor(u64::MAX, 7), u64::MAX);
    }

    #[test]
    fn rest_keeps_work_at_the_duty_share() {
        assert_eq!(
            rest_after(Duration::from_millis(10), 25),
            Duration::from_millis(30)
        );
        assert_eq!(
            rest_after(Duration::from_millis(10), 50),
            Duration::from_millis(10)
        );
        assert_eq!(rest_after(Duration::from_millis(10), 100), Duration::ZERO);
    }

    /// A sink whose every write takes `cost` of wall time, like producing a dump does.
    struct SlowSink {
        cost: Duration,
        bytes: Vec<u8>,
    }

    impl Write for SlowSink {
        #[allow(clippy::disallowed_methods)] // a plain test thread, no runtime to block
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            std::thread::sleep(self.cost);
            self.bytes.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_paced_writer_spends_most_of_its_time_resting_and_loses_nothing() {
        let cost = Duration::from_millis(5);
        let sink = SlowSink {
            cost,
            bytes: Vec::new(),
        };
        let mut paced = PacedWriter::with_duty(sink, 25, 10);
        let started = Instant::now();
        for chunk in 0..8u8 {
            paced.write_all(&[chunk; 10]).unwrap();
        }
        let took = started.elapsed();
        // 8 writes of 5 ms work at 25 % duty: at least 4 × 40 ms of wall time.
        assert!(took >= cost * 8 * 4, "took only {took:?}");
        assert_eq!(paced.written(), 80);
        let sink = paced.into_inner();
        assert_eq!(sink.bytes.len(), 80);
        assert!(sink.bytes.starts_with(&[0; 10]) && sink.bytes.ends_with(&[7; 10]));
    }
}
