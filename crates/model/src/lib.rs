//! Pure types and rules of dkron-rs: jobs, executions, occurrences, schedules, validation,
//! target selection and job status.
//!
//! This crate does no I/O and knows nothing of storage, networks or async runtimes; every
//! function that needs the current time takes it as an argument. See `README.md`.

pub mod audit;
mod config_fault;
mod duration;
mod execution;
#[cfg(test)]
#[path = "fuzz_test.rs"]
mod fuzz;
pub mod gotime;
mod job;
pub mod limits;
mod mem_limit;
mod member;
mod misfire;
mod occurrence;
mod plugin_info;
mod retry;
mod schedule;
pub mod secrets;
mod status;
mod tags;
mod validation;

pub use audit::{AuditChange, AuditEntry, job_changes};
pub use config_fault::ConfigFault;
pub use duration::{DurationError, parse_go_duration};
pub use execution::{Execution, execution_id};
pub use job::{
    CONCURRENCY_ALLOW, CONCURRENCY_FORBID, CONCURRENCY_QUEUE, CONCURRENCY_REPLACE, Job,
    ProcessorMap, StringMap,
};
pub use mem_limit::{MemLimitError, parse_mem_limit};
pub use member::{Member, MemberStatus};
pub use misfire::{MisfirePolicy, ParseMisfirePolicyError};
pub use occurrence::{LedgerEntry, LedgerRange, LedgerRun, OccurrenceState, SkipReason, Trigger};
pub use plugin_info::{PluginInfo, PluginState};
pub use retry::{MAX_RETRY_DELAY, parse_retry_backoff, retry_delay, will_retry};
pub use schedule::{
    DstNote, FireTimes, LOCAL_ZONE_NAME, MAX_PREVIEW_COUNT, PreviewTime, PreviewWindow, Schedule,
    ScheduleError, check_spec, check_time_zone, hash_spec, one_shot_instant, preview,
    resolve_time_zone,
};
pub use status::{STATUS_FAILED, STATUS_PARTIALLY_FAILED, STATUS_SUCCESS, group_status};
pub use tags::{
    Candidate, TargetSpec, node_matches, parse_job_tags, select_targets, select_targets_avoiding,
};
pub use validation::{
    MAX_JOB_NAME_CHARS, ValidationError, parent_cycle, parent_cycle_error, validate_job,
};
