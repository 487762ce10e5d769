//! Pure types and rules of dkron-rs: jobs, executions, occurrences, schedules, validation.
//!
//! This crate does no I/O and knows nothing of storage, networks or async runtimes; every
//! function that needs the current time takes it as an argument.

mod execution;
pub mod gotime;
mod job;
mod occurrence;

pub use execution::{Execution, execution_id};
pub use job::{CONCURRENCY_ALLOW, CONCURRENCY_FORBID, Job, ProcessorMap, StringMap};
pub use occurrence::{LedgerEntry, LedgerRun, OccurrenceState, SkipReason, Trigger};

mod duration;
mod mem_limit;

pub use duration::{DurationError, parse_go_duration};
pub use mem_limit::{MemLimitError, parse_mem_limit};

mod member;

pub use member::{Member, MemberStatus};

mod schedule;

pub use schedule::{
    FireTimes, LOCAL_ZONE_NAME, Schedule, ScheduleError, check_spec, check_time_zone, hash_spec,
    resolve_time_zone,
};

mod validation;

pub use validation::{ValidationError, parent_cycle, parent_cycle_error, validate_job};
