//! Bounded shutdown (issue 14, ADR 20): every step of a stop has its own deadline, the
//! whole stop has one, and what could not be recorded is logged by name.
//!
//! A stop used to wait for ever on the first write that no leader could take: when every
//! server got SIGTERM at once, each closed its gRPC port, so none could replicate and
//! each waited for its last run records to be written.

use std::future::Future;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::recorder::Recorder;

/// Longest one step of a stop may take (stop the scheduler, write the last run records,
/// end launches that never started, stop Raft, close open HTTP requests).
pub(crate) const STEP_LIMIT: Duration = Duration::from_secs(5);

/// Longest leaving the gossip cluster may take.
pub(crate) const LEAVE_LIMIT: Duration = Duration::from_secs(3);

/// Longest a stop may take in all, after which the process exits at once (status 1): the
/// 30 s given to running jobs plus every step above, with room to spare.
pub(crate) const SHUTDOWN_LIMIT: Duration = Duration::from_secs(60);

/// Runs one step of a stop; logs and returns `None` when it does not end within `limit`.
pub(crate) async fn step<T>(
    what: &str,
    limit: Duration,
    future: impl Future<Output = T>,
) -> Option<T> {
    match tokio::time::timeout(limit, future).await {
        Ok(done) => Some(done),
        Err(_) => {
            tracing::warn!(
                limit_secs = limit.as_secs(),
                "shutdown: could not {what} within {} s; going on",
                limit.as_secs()
            );
            None
        }
    }
}

/// Waits up to `STEP_LIMIT` for the run records queued so far to be written; then stops
/// the recorder, which logs each record it could not write.
pub(crate) async fn write_last_records(recorder: &Recorder) {
    let flushed = step("write the last run records", STEP_LIMIT, recorder.flush()).await;
    if let Some(Err(error)) = &flushed {
        tracing::warn!(error = %error, "shutdown: the last run records were not written");
    }
    let reason = format!(
        "no leader took it within {} s of the shutdown",
        STEP_LIMIT.as_secs()
    );
    recorder.give_up(&reason, Duration::from_secs(1)).await;
}

/// Once `shutdown` fires, ends the process if the stop has not ended within
/// `SHUTDOWN_LIMIT`: a watchdog thread, so that it fires even if the runtime is stuck.
pub(crate) async fn watchdog(shutdown: CancellationToken) {
    shutdown.cancelled().await;
    let spawned = std::thread::Builder::new()
        .name("shutdown-watchdog".into())
        .spawn(|| {
            #[allow(
                clippy::disallowed_methods,
                reason = "a plain thread waits out the shutdown bound, independent of the runtime"
            )]
            std::thread::sleep(SHUTDOWN_LIMIT);
            tracing::error!(
                limit_secs = SHUTDOWN_LIMIT.as_secs(),
                "shutdown: the stop did not end within {} s; exiting now",
                SHUTDOWN_LIMIT.as_secs()
            );
            std::process::exit(1);
        });
    if let Err(error) = spawned {
        tracing::warn!(error = %error, "shutdown: cannot start the watchdog; the stop is not bounded");
    }
}
