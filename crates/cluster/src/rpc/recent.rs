//! A map that keeps only its most recently used entries.
//!
//! Recency is a stamp per entry plus a queue of (stamp, key) in use order. A use pushes a
//! new stamp instead of moving the old one, so a queue entry whose stamp no longer matches
//! the map is stale and skipped. Evicting pops the front; the queue is rebuilt without its
//! stale entries once it holds twice as many as the map, so every operation is O(1)
//! amortised.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

/// Below this many queue places compacting is not worth it, however few entries there are.
const MIN_QUEUE_TO_COMPACT: usize = 64;

/// Entries by key, at most `capacity` of them; the least recently used go first.
#[derive(Debug)]
pub(crate) struct RecentlyUsed<K: ?Sized, V> {
    capacity: usize,
    entries: HashMap<Arc<K>, (V, u64)>,
    use_order: VecDeque<(u64, Arc<K>)>,
    next_stamp: u64,
}

impl<K: Hash + Eq + ?Sized, V> RecentlyUsed<K, V> {
    /// Returns an empty map keeping at most `capacity` entries (at least one).
    pub(crate) fn new(capacity: usize) -> Self {
        RecentlyUsed {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            use_order: VecDeque::new(),
            next_stamp: 0,
        }
    }

    /// Returns the entry for `key` and marks it as just used.
    pub(crate) fn get(&mut self, key: &K) -> Option<&V> {
        let shared_key = Arc::clone(self.entries.get_key_value(key)?.0);
        let stamp = self.stamp();
        if let Some((_, used)) = self.entries.get_mut(key) {
            *used = stamp;
        }
        self.use_order.push_back((stamp, shared_key));
        self.compact_if_stale();
        self.entries.get(key).map(|(value, _)| value)
    }

    /// Inserts or replaces the entry for `key`, evicting the least recently used past the
    /// capacity.
    pub(crate) fn insert(&mut self, key: Arc<K>, value: V) {
        let stamp = self.stamp();
        self.use_order.push_back((stamp, Arc::clone(&key)));
        self.entries.insert(key, (value, stamp));
        self.evict_past_capacity();
        self.compact_if_stale();
    }

    /// Removes the entry for `key`; its queue places become stale.
    pub(crate) fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    /// Returns how many entries are kept.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns the most entries kept.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    fn stamp(&mut self) -> u64 {
        let stamp = self.next_stamp;
        self.next_stamp += 1;
        stamp
    }

    fn evict_past_capacity(&mut self) {
        while self.entries.len() > self.capacity {
            let Some((stamp, key)) = self.use_order.pop_front() else {
                debug_assert!(false, "every entry has a queue place");
                return;
            };
            if self
                .entries
                .get(&*key)
                .is_some_and(|(_, used)| *used == stamp)
            {
                self.entries.remove(&*key);
            }
        }
    }

    /// Drops stale queue places once they outnumber the live ones: O(n) every n uses.
    fn compact_if_stale(&mut self) {
        if self.use_order.len() <= 2 * self.entries.len().max(MIN_QUEUE_TO_COMPACT) {
            return;
        }
        let entries = &self.entries;
        self.use_order
            .retain(|(stamp, key)| entries.get(&**key).is_some_and(|(_, used)| used == stamp));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(index: usize) -> Arc<str> {
        Arc::from(format!("10.0.{}.{}:6868", index / 256, index % 256))
    }

    #[test]
    fn stays_within_its_capacity_far_past_it_and_keeps_what_is_in_use() {
        let mut recent: RecentlyUsed<str, usize> = RecentlyUsed::new(100);
        let busy = key(1_000_000);
        recent.insert(Arc::clone(&busy), 0);
        for index in 0..50_000 {
            recent.insert(key(index), index);
            assert_eq!(recent.get(&busy), Some(&0), "the busy peer stays cached");
            assert!(recent.len() <= 100);
            assert!(
                recent.use_order.len() <= 2 * 100 + 1,
                "the queue stays bounded"
            );
        }
        assert_eq!(recent.len(), 100);
        assert_eq!(recent.get(&key(49_999)), Some(&49_999));
        assert_eq!(recent.get(&key(49_901)), Some(&49_901));
        assert_eq!(
            recent.get(&key(49_900)),
            None,
            "least recently used is gone"
        );
    }

    #[test]
    fn repeated_uses_of_a_few_keys_do_not_grow_the_queue() {
        let mut recent: RecentlyUsed<str, usize> = RecentlyUsed::new(1_024);
        for index in 0..3 {
            recent.insert(key(index), index);
        }
        for round in 0..100_000 {
            assert!(recent.get(&key(round % 3)).is_some());
        }
        assert!(recent.use_order.len() <= 2 * 64 + 1);
    }

    #[test]
    fn a_removed_key_inserted_again_is_not_evicted_by_its_old_place() {
        let mut recent: RecentlyUsed<str, usize> = RecentlyUsed::new(2);
        recent.insert(key(1), 1);
        recent.insert(key(2), 2);
        recent.remove(&key(1));
        recent.insert(key(1), 10);
        recent.insert(key(3), 3);
        assert_eq!(recent.get(&key(1)), Some(&10));
        assert_eq!(recent.get(&key(2)), None);
        assert_eq!(recent.len(), 2);
    }
}
