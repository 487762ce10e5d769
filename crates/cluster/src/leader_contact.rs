//! When this server last heard from a leader: stamped by the Raft service on every append
//! or snapshot a leader sends, read by [`crate::RaftNode::leader_view`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A shared stamp of the last message from a leader (cheap to clone; one atomic store per
/// message).
#[derive(Clone, Debug)]
pub(crate) struct LeaderContact {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The instant the stamps count from.
    base: Instant,
    /// Milliseconds after `base` of the last message, plus one (0: never).
    last_plus_one_ms: AtomicU64,
}

impl LeaderContact {
    /// A stamp that has never been set.
    pub(crate) fn new() -> LeaderContact {
        LeaderContact {
            inner: Arc::new(Inner {
                base: Instant::now(),
                last_plus_one_ms: AtomicU64::new(0),
            }),
        }
    }

    /// Records that a leader's message arrived now.
    pub(crate) fn heard_now(&self) {
        let since_base = u64::try_from(self.inner.base.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.inner
            .last_plus_one_ms
            .store(since_base.saturating_add(1), Ordering::Relaxed);
    }

    /// Time since the last message from a leader, `None` if none ever came.
    pub(crate) fn heard_ago(&self) -> Option<Duration> {
        let stamp = self.inner.last_plus_one_ms.load(Ordering::Relaxed);
        let last = Duration::from_millis(stamp.checked_sub(1)?);
        Some(self.inner.base.elapsed().saturating_sub(last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_heard_until_stamped_then_recently() {
        let contact = LeaderContact::new();
        assert_eq!(contact.heard_ago(), None);
        contact.clone().heard_now();
        let ago = contact.heard_ago().expect("stamped");
        assert!(ago < Duration::from_secs(1), "{ago:?}");
    }
}
