//! How much room the data volume has left, as rules without I/O: when it counts as low (a
//! warning) and when as full (writes wait instead of failing), and which storage errors mean
//! the volume ran out of room. The watcher that measures the volume is `disk_watch`.

/// Below this many free bytes the volume is full: redb grows its files by whole regions and
/// a snapshot is written beside the current one, so a write could fail part way.
pub const FULL_BELOW_BYTES: u64 = 2 << 20;

/// The low-space warning starts below this many free bytes, or below
/// [`LOW_BELOW_PERCENT`] of the volume when that is less (small volumes).
pub const LOW_BELOW_BYTES: u64 = 1 << 30;

/// The low-space warning on a volume smaller than ten times [`LOW_BELOW_BYTES`].
pub const LOW_BELOW_PERCENT: u64 = 10;

/// Where the volume stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpaceLevel {
    /// Enough room.
    Plenty,
    /// Writes still succeed, but the volume is close to full: an operator should act.
    Low,
    /// Too little room for a write: replicated writes are refused and storage waits.
    Full,
}

/// The limits the levels are measured against, in free bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceThresholds {
    /// Free bytes under which the volume is full.
    pub full_below: u64,
    /// Free bytes under which the volume is low (0: no warning).
    pub low_below: u64,
}

impl SpaceThresholds {
    /// Returns the default limits for a volume of `total_bytes`: full below 2 MiB, low below
    /// 1 GiB or 10 % of the volume, whichever is less, and never under the full limit.
    pub fn for_volume(total_bytes: u64) -> SpaceThresholds {
        let share = total_bytes / 100 * LOW_BELOW_PERCENT;
        SpaceThresholds {
            full_below: FULL_BELOW_BYTES,
            low_below: LOW_BELOW_BYTES.min(share).max(FULL_BELOW_BYTES),
        }
    }
}

/// Returns the level of a volume with `free_bytes` available to this process.
pub fn level(free_bytes: u64, thresholds: SpaceThresholds) -> SpaceLevel {
    if free_bytes < thresholds.full_below {
        SpaceLevel::Full
    } else if free_bytes < thresholds.low_below {
        SpaceLevel::Low
    } else {
        SpaceLevel::Plenty
    }
}

/// Whether a storage error's message says the volume ran out of room (`ENOSPC`, or a quota:
/// `EDQUOT`). redb turns I/O errors into text, so the text is what is left to read.
pub fn is_out_of_space(message: &str) -> bool {
    const SIGNS: [&str; 3] = [
        "No space left on device",
        "Disk quota exceeded",
        "storage full",
    ];
    SIGNS.iter().any(|sign| message.contains(sign))
}

/// Whether a storage error leaves the redb database unusable until it is reopened (after an
/// I/O error redb answers every later operation with "previous I/O error"), or comes from
/// reopening one too early: either way the write is tried again.
pub fn needs_reopen(message: &str) -> bool {
    is_out_of_space(message)
        || message.contains("Previous I/O error")
        || message.contains(dkron_store::REOPEN_PENDING)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;
    const GIB: u64 = 1 << 30;

    #[test]
    fn a_small_volume_warns_at_a_tenth_and_is_full_under_two_mebibytes() {
        let thresholds = SpaceThresholds::for_volume(20 * MIB);
        assert_eq!(thresholds.full_below, 2 * MIB);
        assert_eq!(
            thresholds.low_below,
            2 * MIB,
            "a tenth of 20 MiB is under the floor"
        );
        let thresholds = SpaceThresholds::for_volume(200 * MIB);
        assert_eq!(thresholds.low_below, 20 * MIB);
        assert_eq!(level(20 * MIB, thresholds), SpaceLevel::Plenty);
        assert_eq!(level(20 * MIB - 1, thresholds), SpaceLevel::Low);
        assert_eq!(level(2 * MIB, thresholds), SpaceLevel::Low);
        assert_eq!(level(2 * MIB - 1, thresholds), SpaceLevel::Full);
        assert_eq!(level(0, thresholds), SpaceLevel::Full);
    }

    #[test]
    fn a_large_volume_warns_under_one_gibibyte() {
        let thresholds = SpaceThresholds::for_volume(500 * GIB);
        assert_eq!(thresholds.low_below, GIB);
        assert_eq!(level(GIB, thresholds), SpaceLevel::Plenty);
        assert_eq!(level(GIB - 1, thresholds), SpaceLevel::Low);
    }

    #[test]
    fn an_empty_or_unknown_volume_size_still_has_a_full_limit() {
        let thresholds = SpaceThresholds::for_volume(0);
        assert_eq!(thresholds.low_below, FULL_BELOW_BYTES);
        assert_eq!(level(0, thresholds), SpaceLevel::Full);
        assert_eq!(level(FULL_BELOW_BYTES, thresholds), SpaceLevel::Plenty);
    }

    #[test]
    fn out_of_space_errors_are_told_from_other_storage_errors() {
        assert!(is_out_of_space(
            "storage engine error while committing an apply: No space left on device (os error 28)"
        ));
        assert!(is_out_of_space("Disk quota exceeded (os error 122)"));
        assert!(!is_out_of_space("Permission denied (os error 13)"));
        assert!(needs_reopen(
            "Previous I/O error occurred. Please close and re-open the database."
        ));
        assert!(!needs_reopen("corrupt job record x: expected value"));
    }
}
