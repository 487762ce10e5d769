//! Test helpers for this crate and its dependents (feature `testsuite`): the manual clock and
//! an in-memory backend that keeps a ledger, so tests can check "exactly once".

mod memory_backend;

pub use crate::clock::ManualClock;
pub use memory_backend::{Dispatched, InMemoryBackend, LedgerRecord, RecordedRange, RecordedState};

use chrono::{DateTime, Utc};

use crate::runner::MAX_IDLE;
use crate::scheduler::SchedulerHandle;
use crate::status::SchedulerStatus;

/// Waits (real time, up to `timeout`) until the scheduler has done everything due by clock
/// time `at` and is idle: its last tick is at or after `at`, or nothing (no timer, no
/// dispatch, no idle wake) falls before `at`. Returns the status seen, or a description of
/// the last status on timeout.
pub async fn wait_settled(
    handle: &SchedulerHandle,
    at: DateTime<Utc>,
    timeout: std::time::Duration,
) -> Result<SchedulerStatus, String> {
    wait_for_status(handle, timeout, |status| is_settled(status, at)).await
}

/// Waits (real time, up to `timeout`) until `condition` holds for the scheduler's status.
pub async fn wait_for_status(
    handle: &SchedulerHandle,
    timeout: std::time::Duration,
    condition: impl Fn(&SchedulerStatus) -> bool,
) -> Result<SchedulerStatus, String> {
    let mut receiver = handle.watch_status();
    let waited = tokio::time::timeout(timeout, async {
        match receiver.wait_for(|status| condition(status)).await {
            Ok(status) => Some(status.clone()),
            Err(_closed) => None,
        }
    })
    .await;
    match waited {
        Ok(Some(status)) => Ok(status),
        Ok(None) => Err("scheduler status channel closed".to_string()),
        Err(_elapsed) => Err(format!(
            "condition not met within {timeout:?}; last status {:?}",
            handle.status()
        )),
    }
}

fn is_settled(status: &SchedulerStatus, at: DateTime<Utc>) -> bool {
    let Some(last_tick) = status.last_tick else {
        return false;
    };
    if last_tick >= at {
        return true;
    }
    let idle_wake = last_tick + MAX_IDLE;
    let next_wake = status
        .next_wake
        .map_or(idle_wake, |wake| wake.min(idle_wake));
    next_wake > at
}
