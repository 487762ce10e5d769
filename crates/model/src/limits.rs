//! Every bound on an in-memory structure that could otherwise grow with runs, jobs, members,
//! notices or time, in one place. `docs/operations.md` lists them for operators, with what
//! each protects and what happens at the bound; each has a test that drives the structure
//! far past it.
//!
//! Bounds that users set (history retention, the output cap) are configuration, not here.

use std::time::Duration;

/// How long a node remembers a run whose result is written, so a repeated order for it is
/// refused. Only orders already in flight can repeat by then: no leader resends a run once
/// its result is in the replicated state.
pub const RECORDED_RUN_MEMORY: Duration = Duration::from_secs(10 * 60);

/// Most runs with a written result a node remembers (about 200 bytes each); the oldest are
/// forgotten first. Running runs and runs whose result is not yet written are always kept.
pub const MAX_RECORDED_RUNS_REMEMBERED: usize = 16_384;

/// Bytes of output kept in memory per running execution for the live view (`/v1/busy` and
/// the output stream); older output is only in the stored tail once the run ends.
pub const LIVE_VIEW_BYTES_PER_RUN: usize = 64 * 1024;

/// Compiled cron patterns kept in memory, shared by every schedule (croner's compiled form is
/// about 5 KB; jobs that share a pattern share one). A pattern not in the cache is compiled
/// again when needed, in a few microseconds.
pub const MAX_COMPILED_CRON_PATTERNS: usize = 256;

// ---- executors, processors and the HTTP API (crates exec, api) ----

/// Bytes of one run's live output held downstream at once (sent and not yet dropped by the
/// processors, the node's live view or the stream to the leader), and the most the run's
/// output sink holds back while they are: output that would go past it is held back as one
/// chunk whose oldest bytes are skipped beyond this size, and the next chunk sent starts with
/// a line saying how many bytes the live stream skipped there. What is held back when the run
/// ends is sent regardless. The executor never waits and the stored output is not affected.
pub const MAX_LIVE_OUTPUT_BYTES_QUEUED: usize = 1024 * 1024;

/// Longest piece of one output line the `syslog` processor holds and sends as one message
/// (rsyslog's default message size); a longer line is sent in pieces of this size, so output
/// without line breaks neither grows the processor nor is lost to oversized datagrams.
pub const MAX_SYSLOG_LINE_BYTES: usize = 8 * 1024;

/// HTTP clients the `http` executor keeps, one per distinct TLS setting (Dkron keeps 100).
/// Past it the least recently used client is dropped and built again when a job needs it.
pub const MAX_CACHED_HTTP_CLIENTS: usize = 100;

/// Live output streams (`GET /v1/jobs/{job}/executions/{execution}/stream`) a node serves at
/// once; each polls the node that runs the execution four times a second and holds a copy of
/// its output. Past it a new stream is refused with 503 until one closes.
pub const MAX_OUTPUT_STREAM_FOLLOWERS: usize = 256;

// ---- node RPC, membership, metrics and the worker's channels (crates cluster, membership, agent) ----

/// gRPC channels a node keeps open to peer addresses (one connection and one buffer task
/// each), so addresses of nodes long gone (autoscaled agents, restarts on another port) are
/// not held forever. Past it the least recently used channel is dropped; its next caller
/// dials again.
pub const MAX_PEER_CHANNELS: usize = 1_024;

/// Per-job run duration histograms (`/metrics`) are checked against the stored jobs once
/// there are this many, then each time their number doubles, so histograms of deleted jobs
/// are dropped even when `/metrics` is never scraped. Bound: twice the jobs that existed at
/// the last check, and never less than this.
pub const JOB_DURATION_HISTOGRAMS_CHECKED_FROM: usize = 1_024;

// ---- replicated state and the recorder (crates store, agent recorder) ----

/// Notifications the leader sends at once (webhooks, mails, Cronitor pings). Further notices
/// wait in the replicated outbox, which has its own configured size.
pub const MAX_NOTIFICATIONS_IN_FLIGHT: usize = 32;

/// Estimated bytes of run records and other writes the recorder puts into one replicated
/// write (one Raft log entry): a batch is closed once it reaches this, so that a log entry,
/// and the append that carries it to the other servers, stays within what a peer accepts.
/// A single record larger than this (a long output) is written in a batch of its own.
pub const MAX_RECORD_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Most Raft log entries sent to a follower in one append (openraft's default is 300). With
/// entries of at most `MAX_RECORD_BATCH_BYTES` plus one record of at most
/// `MAX_OUTPUT_BYTES_SETTING` (six times that once escaped as JSON, at worst), an append
/// stays under `MAX_PEER_MESSAGE_BYTES`, so a server that fell far behind catches up instead
/// of being refused the same append forever. An entry holds up to 2,048 records, so four
/// entries per round trip still catch up thousands of runs at a time.
pub const MAX_ENTRIES_PER_APPEND: u64 = 4;

/// Largest gRPC message a server accepts from a peer (a Raft append, a write forwarded by
/// another node). Past it the message is refused with an error naming both sizes.
pub const MAX_PEER_MESSAGE_BYTES: usize = 256 * 1024 * 1024;

/// Jobs one history-prune command looks at: a pass over every job is split into commands of
/// this many, so the replicated prune never holds a state machine for long whatever the
/// number of jobs.
pub const JOBS_PER_PRUNE_COMMAND: usize = 256;

/// Highest `max-output-bytes` accepted: the stored output of one run travels in one record.
pub const MAX_OUTPUT_BYTES_SETTING: u64 = 8 * 1024 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// The worst append a leader can send fits in what a follower accepts: otherwise a
    /// follower that fell behind would be refused the same append forever.
    #[test]
    fn the_largest_append_fits_in_a_peer_message() {
        // Output escaped as JSON takes at most six bytes per byte (`\u001b`).
        let largest_record = 6 * MAX_OUTPUT_BYTES_SETTING + 64 * 1024;
        let largest_entry = MAX_RECORD_BATCH_BYTES as u64 + largest_record;
        let largest_append = MAX_ENTRIES_PER_APPEND * largest_entry;
        assert!(
            largest_append < MAX_PEER_MESSAGE_BYTES as u64,
            "{largest_append} bytes in one append, {MAX_PEER_MESSAGE_BYTES} accepted"
        );
    }
}
