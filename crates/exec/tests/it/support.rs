//! Helpers shared by the integration tests.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use chrono::{TimeZone, Utc};
use dkron_exec::{ExecLimits, ExecOutcome, ExecRequest, Registry};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_util::sync::CancellationToken;

/// Builds a request for `executor` with the given config pairs.
pub fn request(executor: &str, config: &[(&str, &str)]) -> ExecRequest {
    ExecRequest {
        job_name: "test-job".to_string(),
        execution_id: "1766225730401122334-node1".to_string(),
        nominal_time: Utc.with_ymd_and_hms(2025, 12, 20, 10, 15, 30).unwrap(),
        attempt: 1,
        executor: executor.to_string(),
        config: config
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

/// Builds a `shell` request.
pub fn shell(config: &[(&str, &str)]) -> ExecRequest {
    request("shell", config)
}

/// Runs `request` with default limits, no live stream and no cancellation.
pub async fn run(request: ExecRequest) -> ExecOutcome {
    Registry::builtin()
        .run(
            request,
            &ExecLimits::default(),
            None,
            CancellationToken::new(),
        )
        .await
}

/// Waits until `condition` holds, polling; panics with `what` after `timeout`.
pub async fn wait_for(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + timeout;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Receives live chunks until their concatenation contains `needle`.
pub async fn receive_until(receiver: &mut UnboundedReceiver<Bytes>, needle: &str) -> String {
    let mut seen = String::new();
    let collect = async {
        while let Some(chunk) = receiver.recv().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(needle) {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(10), collect)
        .await
        .unwrap_or_else(|_| panic!("no live chunk containing {needle:?}"));
    seen
}

/// Returns true while `pid` is a live process (a zombie waiting to be reaped counts as gone).
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rfind(')')
                .and_then(|end| stat[end + 1..].split_whitespace().next());
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

/// Reads the first line of `text` that is a number (the pid a test script printed).
pub fn first_pid(text: &str) -> i32 {
    text.lines()
        .find_map(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no pid in {text:?}"))
}

/// Returns the real uid of this test process, read from /proc.
pub fn own_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|uid| uid.parse().ok())
        .unwrap()
}
