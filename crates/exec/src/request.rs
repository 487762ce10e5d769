//! What a caller hands to an executor, and what it gets back.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// Default cap on stored output, in bytes (Dkron keeps the last 256 000 bytes).
pub const DEFAULT_OUTPUT_CAP_BYTES: usize = 256_000;

/// One run of one job on this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// Name of the job being run.
    pub job_name: String,
    /// Identifier of this execution (shown to the job as `DKRON_EXECUTION_ID`).
    pub execution_id: String,
    /// Nominal time of the occurrence this run belongs to.
    pub nominal_time: DateTime<Utc>,
    /// Attempt number, 1 for the first try.
    pub attempt: u32,
    /// Executor name, e.g. `shell` or `http`.
    pub executor: String,
    /// The job's `executor_config`, Dkron's string-to-string map.
    pub config: BTreeMap<String, String>,
}

/// The single result of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecOutcome {
    /// True when the executor reported no error.
    pub success: bool,
    /// Process exit code, when a process ran and exited normally.
    pub exit_code: Option<i32>,
    /// Stored output: the error line first when the run failed, then the tail of the output.
    pub output: String,
    /// True when bytes were dropped to keep `output` within the cap.
    pub output_truncated: bool,
    /// True when the run was stopped by a timeout, a memory limit or cancellation.
    pub killed: bool,
}

impl ExecOutcome {
    /// Returns a failed outcome whose output is only `error_line`.
    pub fn failed(error_line: impl Into<String>) -> Self {
        ExecOutcome {
            success: false,
            exit_code: None,
            output: format!("{}\n", error_line.into()),
            output_truncated: false,
            killed: false,
        }
    }
}

/// Resource limits applied by the caller to every run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecLimits {
    /// Maximum size of the stored output in bytes; the tail is kept.
    pub output_cap_bytes: usize,
}

impl Default for ExecLimits {
    fn default() -> Self {
        ExecLimits {
            output_cap_bytes: DEFAULT_OUTPUT_CAP_BYTES,
        }
    }
}
