//! Members this leader could not reach over node RPC a moment ago (issue 14, ADR 19).
//!
//! Gossip may list a node alive for seconds after the leader lost its way to it (a
//! partition that spares the gossip path, a stopped process whose kernel still accepts
//! connections, a node killed before gossip noticed). While a node is marked here, new
//! launches choose other matching nodes, and a run moved off a node prefers unmarked ones;
//! a node that is the only match is still tried. A mark ends after [`MARK_LASTS`], or as
//! soon as a call to the node succeeds (an order accepted, a probe answered).
//!
//! Bound: one entry per member name (a member is marked only after this node dialled it,
//! which it does only for alive gossip members), expired entries are dropped at each new
//! mark, and never more than [`MAX_MARKS`]. A run that nobody failed to reach costs one
//! atomic load.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How long a node stays marked after a failed call: long enough that the runs of the
/// next seconds go elsewhere, short enough that a node back from a pause gets work again
/// soon even if no call clears it.
pub const MARK_LASTS: Duration = Duration::from_secs(10);
/// The most nodes marked at once (as many as the trust verdicts remember).
pub const MAX_MARKS: usize = crate::peer_trust::MAX_TRUST_ENTRIES;

/// Marked nodes, by name, with when each mark was made.
#[derive(Debug, Default)]
pub struct Unreachable {
    marks: Mutex<HashMap<String, Instant>>,
    /// How many entries the map holds (expired or not): zero lets a lookup skip the lock.
    held: AtomicUsize,
}

impl Unreachable {
    /// Marks `node` unreachable from `now`; returns true when it was not marked already
    /// (news worth a log line).
    pub fn mark(&self, node: &str, now: Instant) -> bool {
        let mut marks = self.lock();
        marks.retain(|_, marked| now.saturating_duration_since(*marked) < MARK_LASTS);
        let fresh = !marks.contains_key(node);
        if fresh && marks.len() >= MAX_MARKS {
            return false;
        }
        marks.insert(node.to_string(), now);
        self.held.store(marks.len(), Ordering::Release);
        fresh
    }

    /// Clears `node`'s mark: a call to it just succeeded.
    pub fn clear(&self, node: &str) {
        if self.held.load(Ordering::Acquire) == 0 {
            return;
        }
        let mut marks = self.lock();
        marks.remove(node);
        self.held.store(marks.len(), Ordering::Release);
    }

    /// Whether any node may be marked (a cheap check before looking names up).
    pub fn any(&self) -> bool {
        self.held.load(Ordering::Acquire) > 0
    }

    /// Whether `node` is marked at `now`.
    pub fn is_marked(&self, node: &str, now: Instant) -> bool {
        if !self.any() {
            return false;
        }
        self.lock()
            .get(node)
            .is_some_and(|marked| now.saturating_duration_since(*marked) < MARK_LASTS)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.marks
            .lock()
            .expect("unreachable marks lock is never poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_holds_for_a_while_and_a_successful_call_clears_it() {
        let marks = Unreachable::default();
        let start = Instant::now();
        assert!(!marks.is_marked("a", start));
        assert!(marks.mark("a", start), "news");
        assert!(!marks.mark("a", start), "already marked");
        assert!(marks.is_marked("a", start + Duration::from_secs(9)));
        assert!(!marks.is_marked("b", start));
        assert!(!marks.is_marked("a", start + MARK_LASTS), "expired");
        marks.mark("b", start);
        marks.clear("b");
        assert!(!marks.is_marked("b", start));
    }

    #[test]
    fn expired_marks_are_dropped_so_the_map_holds_at_most_the_recent_ones() {
        let marks = Unreachable::default();
        let start = Instant::now();
        for index in 0..100 {
            marks.mark(&format!("node-{index}"), start);
        }
        assert_eq!(marks.lock().len(), 100);
        marks.mark("late", start + MARK_LASTS);
        assert_eq!(marks.lock().len(), 1, "only the fresh mark is left");
        marks.clear("late");
        assert!(!marks.any());
    }

    #[test]
    fn the_map_never_grows_past_its_bound() {
        let marks = Unreachable::default();
        let start = Instant::now();
        for index in 0..MAX_MARKS + 10 {
            marks.mark(&format!("node-{index}"), start);
        }
        assert_eq!(marks.lock().len(), MAX_MARKS);
    }
}
