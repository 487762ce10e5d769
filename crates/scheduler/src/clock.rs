//! Time for the scheduler loop: the system clock in production, a manual one in tests.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};

/// A boxed future that completes at (or after) a deadline.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Where the scheduler loop reads the time and waits for it.
pub trait Clock: Send + Sync + 'static {
    /// Returns the current time.
    fn now(&self) -> DateTime<Utc>;

    /// Returns a future that completes once `now() >= deadline`.
    fn sleep_until(&self, deadline: DateTime<Utc>) -> Sleep;
}

/// The wall clock, waited on with tokio timers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn sleep_until(&self, deadline: DateTime<Utc>) -> Sleep {
        // A wall-clock jump during the wait is noticed at the next wake: the loop caps every
        // wait (see `MAX_IDLE` in the loop), so a jump costs at most that much lateness.
        let wait = (deadline - Utc::now()).to_std().unwrap_or_default();
        Box::pin(tokio::time::sleep(wait))
    }
}

#[cfg(any(test, feature = "testsuite"))]
pub use manual::ManualClock;

#[cfg(any(test, feature = "testsuite"))]
mod manual {
    use chrono::{DateTime, TimeDelta, Utc};
    use tokio::sync::watch;

    use super::{Clock, Sleep};

    /// A clock that only moves when a test moves it; sleepers wake as soon as it passes their
    /// deadline.
    #[derive(Debug)]
    pub struct ManualClock {
        now: watch::Sender<DateTime<Utc>>,
    }

    impl ManualClock {
        /// Returns a clock standing at `start`.
        pub fn new(start: DateTime<Utc>) -> Self {
            ManualClock {
                now: watch::Sender::new(start),
            }
        }

        /// Moves the clock forward by `delta`.
        pub fn advance(&self, delta: TimeDelta) {
            self.now.send_modify(|now| *now += delta);
        }

        /// Sets the clock to `instant` (which may be in the past, to simulate a clock step).
        pub fn set(&self, instant: DateTime<Utc>) {
            self.now.send_replace(instant);
        }
    }

    impl Clock for ManualClock {
        fn now(&self) -> DateTime<Utc> {
            *self.now.borrow()
        }

        fn sleep_until(&self, deadline: DateTime<Utc>) -> Sleep {
            let mut receiver = self.now.subscribe();
            Box::pin(async move {
                // An error means the clock is gone; nothing will ever wake the sleeper then.
                if receiver.wait_for(|now| *now >= deadline).await.is_err() {
                    std::future::pending::<()>().await;
                }
            })
        }
    }
}
