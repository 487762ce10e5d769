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

/// Compiled cron patterns kept in memory, shared by every schedule (croner's compiled form is
/// about 5 KB; jobs that share a pattern share one). A pattern not in the cache is compiled
/// again when needed, in a few microseconds.
pub const MAX_COMPILED_CRON_PATTERNS: usize = 256;

// ---- executors, processors and the HTTP API (crates exec, api) ----

// ---- node RPC, membership, metrics and the worker's channels (crates cluster, membership, agent) ----

// ---- replicated state and the recorder (crates store, agent recorder) ----
