//! Watches the free space of the data volume (every second) and remembers storage writes that
//! failed for lack of room, so that replicated writes are refused with a reason while the
//! volume is full, storage waits for room instead of failing (which would stop Raft for good),
//! and `/health` and the metrics can say so. The rules are in `disk_space`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::watch;

use crate::disk_space::{self, SpaceLevel, SpaceThresholds};

/// How often the volume is measured: the delay before writes resume once space is back.
pub const MEASURE_EVERY: Duration = Duration::from_secs(1);

/// The first pause before a write that failed for lack of room is tried again; it doubles
/// up to [`RETRY_LAST`].
const RETRY_FIRST: Duration = Duration::from_millis(200);
const RETRY_LAST: Duration = Duration::from_secs(5);

/// The pauses between the tries of one write that fails for lack of room.
pub(crate) struct RoomRetry {
    pause: Duration,
}

impl RoomRetry {
    pub(crate) fn new() -> RoomRetry {
        RoomRetry { pause: RETRY_FIRST }
    }

    /// Records the failure on `disk`, then waits the next pause and, if the volume is full,
    /// until it has room. The caller has closed its failed database before.
    pub(crate) async fn after_failure(
        &mut self,
        disk: &DiskWatch,
        what: &'static str,
        error: &str,
    ) {
        disk.write_failed(what, error);
        tokio::time::sleep(self.pause).await;
        self.pause = (self.pause * 2).min(RETRY_LAST);
        disk.wait_for_room(what).await;
    }
}

/// The data volume as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskStatus {
    /// Bytes this process may still write (`statvfs` blocks available to non-root).
    pub free_bytes: u64,
    /// Size of the volume.
    pub total_bytes: u64,
    /// Free bytes under which the low-space warning is on.
    pub low_below: u64,
    /// Free bytes under which the volume counts as full.
    pub full_below: u64,
    /// The level the measured free space gives.
    pub level: SpaceLevel,
    /// Why replicated writes are refused now, if they are: the volume is full, or the last
    /// storage write failed for lack of room and has not succeeded since.
    pub problem: Option<String>,
}

impl DiskStatus {
    /// Returns true while writes can be accepted.
    pub fn writable(&self) -> bool {
        self.problem.is_none()
    }
}

#[derive(Debug)]
struct Seen {
    free_bytes: u64,
    total_bytes: u64,
    thresholds: SpaceThresholds,
    failed_write: Option<String>,
}

/// The watcher of one data directory's volume; shared by the stores and the node.
#[derive(Debug)]
pub struct DiskWatch {
    dir: PathBuf,
    seen: Mutex<Seen>,
    level: watch::Sender<SpaceLevel>,
}

fn measure(dir: &Path) -> std::io::Result<(u64, u64)> {
    let stats = nix::sys::statvfs::statvfs(dir)?;
    let fragment = stats.fragment_size().max(1);
    let free = stats.blocks_available().saturating_mul(fragment);
    let total = stats.blocks().saturating_mul(fragment);
    Ok((free, total))
}

impl DiskWatch {
    /// Measures the volume holding `dir` and starts measuring it every second (until the
    /// watcher is dropped).
    pub fn start(dir: &Path) -> Arc<DiskWatch> {
        let watch = Arc::new(DiskWatch {
            dir: dir.to_path_buf(),
            seen: Mutex::new(Seen {
                free_bytes: u64::MAX,
                total_bytes: 0,
                thresholds: SpaceThresholds::for_volume(0),
                failed_write: None,
            }),
            level: watch::channel(SpaceLevel::Plenty).0,
        });
        watch.measure_now();
        tokio::spawn(measure_until_dropped(Arc::downgrade(&watch)));
        watch
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Measures the volume now; logs when its level changes.
    pub fn measure_now(&self) {
        let (free_bytes, total_bytes) = match measure(&self.dir) {
            Ok(figures) => figures,
            Err(error) => {
                tracing::warn!(dir = %self.dir.display(), error = %error, "cannot measure the data volume");
                return;
            }
        };
        let thresholds = SpaceThresholds::for_volume(total_bytes);
        let level = disk_space::level(free_bytes, thresholds);
        {
            let mut seen = self.seen();
            seen.free_bytes = free_bytes;
            seen.total_bytes = total_bytes;
            seen.thresholds = thresholds;
        }
        let before = *self.level.borrow();
        if before != level {
            log_change(before, level, free_bytes, thresholds);
            self.level.send_replace(level);
        }
    }

    /// Returns the volume as last seen.
    pub fn status(&self) -> DiskStatus {
        let seen = self.seen();
        let level = disk_space::level(seen.free_bytes, seen.thresholds);
        let problem = match (level, &seen.failed_write) {
            (SpaceLevel::Full, _) => Some(format!(
                "the data volume is full: {} bytes free, {} needed (free space to resume)",
                seen.free_bytes, seen.thresholds.full_below
            )),
            (_, Some(error)) => Some(format!(
                "a storage write failed for lack of room and is retried: {error}"
            )),
            (_, None) => None,
        };
        DiskStatus {
            free_bytes: seen.free_bytes,
            total_bytes: seen.total_bytes,
            low_below: seen.thresholds.low_below,
            full_below: seen.thresholds.full_below,
            level,
            problem,
        }
    }

    /// Returns why replicated writes are refused now, if they are.
    pub fn refusal(&self) -> Option<String> {
        self.status().problem
    }

    /// Waits while the measured free space is under the full limit: a write started now could
    /// fail part way, and a failed write makes redb refuse everything until reopened.
    pub(crate) async fn wait_for_room(&self, what: &'static str) {
        let mut level = self.level.subscribe();
        if *level.borrow_and_update() != SpaceLevel::Full {
            return;
        }
        tracing::warn!(what, "storage write waits for room on the data volume");
        // The sender lives in `self`, which outlives this borrow.
        let _resumed = level.wait_for(|level| *level != SpaceLevel::Full).await;
        tracing::info!(what, "storage write resumes: the data volume has room");
    }

    /// Records a storage write that failed for lack of room (it will be retried).
    pub(crate) fn write_failed(&self, what: &'static str, error: &str) {
        let first = self
            .seen()
            .failed_write
            .replace(error.to_string())
            .is_none();
        if first {
            tracing::error!(
                what,
                error,
                "storage write failed for lack of room: retrying until it succeeds"
            );
        }
        self.measure_now();
    }

    /// Records a storage write that succeeded, which ends a failure's refusal.
    pub(crate) fn write_succeeded(&self) {
        let cleared = self.seen().failed_write.take().is_some();
        if cleared {
            tracing::info!("storage writes succeed again");
        }
    }
}

fn log_change(before: SpaceLevel, after: SpaceLevel, free_bytes: u64, thresholds: SpaceThresholds) {
    match after {
        SpaceLevel::Full => tracing::error!(
            free_bytes,
            full_below = thresholds.full_below,
            "the data volume is full: replicated writes are refused and scheduling waits until space is freed"
        ),
        SpaceLevel::Low => tracing::warn!(
            free_bytes,
            low_below = thresholds.low_below,
            "disk space is low on the data volume"
        ),
        SpaceLevel::Plenty => tracing::info!(free_bytes, ?before, "the data volume has room again"),
    }
    if before == SpaceLevel::Full && after == SpaceLevel::Low {
        tracing::info!(free_bytes, "the data volume has room again: writes resume");
    }
}

async fn measure_until_dropped(watch: Weak<DiskWatch>) {
    let mut ticks = tokio::time::interval(MEASURE_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(watch) = watch.upgrade() else {
            return;
        };
        watch.measure_now();
    }
}
