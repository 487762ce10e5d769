//! A cap on open connections shared by a port's accept loops (ADR 22): at the cap a loop
//! stops accepting, so new connections wait in the kernel's backlog instead of costing a
//! file descriptor each.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Least time between two "at the cap" warnings of one port.
const WARN_EVERY: Duration = Duration::from_secs(60);

/// The places for open connections of one port.
#[derive(Clone)]
pub struct ConnectionCap {
    places: Arc<Semaphore>,
    max: usize,
    last_warning: Arc<Mutex<Option<Instant>>>,
}

impl ConnectionCap {
    /// Returns a cap of `max` connections (at least one).
    pub fn new(max: usize) -> ConnectionCap {
        let max = max.max(1);
        ConnectionCap {
            places: Arc::new(Semaphore::new(max)),
            max,
            last_warning: Arc::new(Mutex::new(None)),
        }
    }

    /// Returns how many connections are open now.
    pub fn open(&self) -> usize {
        self.max - self.places.available_permits()
    }

    /// Waits for a free place; at the cap it warns (at most once a minute per port) and
    /// waits until a connection closes. The place is freed when the permit is dropped.
    pub async fn take(&self, port: &'static str) -> OwnedSemaphorePermit {
        if let Ok(place) = self.places.clone().try_acquire_owned() {
            return place;
        }
        if self.warning_due(Instant::now()) {
            tracing::warn!(
                port,
                max_connections = self.max,
                "connection cap reached: new connections wait in the backlog until one closes"
            );
        }
        self.places
            .clone()
            .acquire_owned()
            .await
            .expect("the connection cap's semaphore is never closed")
    }

    fn warning_due(&self, now: Instant) -> bool {
        let mut last = self
            .last_warning
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let due = last.is_none_or(|last| now.duration_since(last) >= WARN_EVERY);
        if due {
            *last = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn places_come_back_when_connections_close_and_warnings_are_rate_limited() {
        let cap = ConnectionCap::new(2);
        let first = cap.take("test").await;
        let _second = cap.take("test").await;
        assert_eq!(cap.open(), 2);
        let waiting = tokio::time::timeout(Duration::from_millis(50), cap.take("test")).await;
        assert!(
            waiting.is_err(),
            "a third connection must wait at a cap of 2"
        );
        drop(first);
        let _third = tokio::time::timeout(Duration::from_secs(5), cap.take("test"))
            .await
            .expect("a closed connection frees its place");
        let now = Instant::now();
        assert!(!cap.warning_due(now), "the wait above warned a moment ago");
        assert!(cap.warning_due(now + WARN_EVERY));
    }
}
