//! Which partition a record goes to. rskafka produces to one partition chosen by the caller,
//! so the choice Dkron leaves to sarama's default partitioner is made here.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Picks the partition for a record with `key` among `partitions` (the topic's partition ids
/// from the broker's metadata), or `None` when the topic has none.
///
/// With a key: FNV-1a (32 bits) of the key bytes, read as a signed 32-bit number, remainder by
/// the partition count, sign dropped, then that index into the sorted ids. This follows the
/// algorithm of sarama's default hash partitioner so that keyed records should land where
/// Dkron put them; it has not been checked against sarama itself. Without a key: the next
/// partition in turn (sarama picks at random).
pub(crate) fn choose_partition(
    key: Option<&[u8]>,
    partitions: &[i32],
    unkeyed_turn: &AtomicUsize,
) -> Option<i32> {
    if partitions.is_empty() {
        return None;
    }
    let mut sorted = partitions.to_vec();
    sorted.sort_unstable();
    let index = match key {
        Some(key) => hashed_index(key, sorted.len()),
        None => unkeyed_turn.fetch_add(1, Ordering::Relaxed) % sorted.len(),
    };
    sorted.get(index).copied()
}

fn hashed_index(key: &[u8], count: usize) -> usize {
    // A topic has at most i32::MAX partitions, so the count fits; the cast of the hash to
    // i32 is the point (Go's int32 conversion of the unsigned sum).
    let count = i64::try_from(count).unwrap_or(i64::MAX);
    let signed = i64::from(fnv1a_32(key) as i32);
    usize::try_from((signed % count).unsigned_abs()).unwrap_or(0)
}

/// FNV-1a with 32-bit offset basis and prime.
fn fnv1a_32(bytes: &[u8]) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    bytes.iter().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u32::from(*byte)).wrapping_mul(PRIME)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_published_test_vectors() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
    }

    #[test]
    fn a_key_always_goes_to_the_same_partition() {
        let turn = AtomicUsize::new(0);
        let partitions = [2, 0, 1];
        let first = choose_partition(Some(b"order-17"), &partitions, &turn);
        for _ in 0..10 {
            assert_eq!(
                choose_partition(Some(b"order-17"), &partitions, &turn),
                first
            );
        }
        // The order in which the broker lists the ids does not matter.
        assert_eq!(
            choose_partition(Some(b"a"), &[0, 1, 2], &turn),
            choose_partition(Some(b"a"), &[2, 1, 0], &turn)
        );
    }

    #[test]
    fn the_signed_remainder_loses_its_sign() {
        // 0xe40c292c as i32 is -468_965_076; % 7 = -6 -> index 6.
        assert_eq!(hashed_index(b"a", 7), 6);
        // 0xbf9cf968 as i32 is -1_080_231_576; % 10 = -6 -> index 6.
        assert_eq!(hashed_index(b"foobar", 10), 6);
    }

    #[test]
    fn keys_spread_over_partitions() {
        let turn = AtomicUsize::new(0);
        let used: std::collections::BTreeSet<i32> = (0..100)
            .filter_map(|n| {
                choose_partition(Some(format!("key-{n}").as_bytes()), &[0, 1, 2], &turn)
            })
            .collect();
        assert_eq!(used.len(), 3);
    }

    #[test]
    fn records_without_a_key_take_turns() {
        let turn = AtomicUsize::new(0);
        let picked: Vec<Option<i32>> = (0..4)
            .map(|_| choose_partition(None, &[5, 3], &turn))
            .collect();
        assert_eq!(picked, [Some(3), Some(5), Some(3), Some(5)]);
    }

    #[test]
    fn a_topic_without_partitions_gives_none() {
        assert_eq!(
            choose_partition(Some(b"k"), &[], &AtomicUsize::new(0)),
            None
        );
    }
}
