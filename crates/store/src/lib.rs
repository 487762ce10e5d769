//! The replicated state of dkron-rs on disk: jobs, executions, the occurrence ledger and the
//! commands that change them.
//!
//! Every change is a [`Command`] applied by [`StateStore::apply`] in one durable redb
//! transaction; the consensus layer (crate `dkron-cluster`) decides the order. The store
//! never looks at the clock: time travels inside commands.

mod acl_reads;
mod apply;
mod audit;
mod audit_read;
mod command;
mod db_handle;
mod error;
mod job_reads;
mod meta;
mod notices;
mod outbox;
mod records;
mod snapshot;
mod state_store;
mod tables;

pub use apply::ALREADY_BOOTSTRAPPED;
pub use audit::{
    AUDIT_PRUNE_PER_APPEND, AuditFilter, AuditRetention, DEFAULT_AUDIT_MAX_AGE_SECS,
    DEFAULT_AUDIT_MAX_ENTRIES,
};
pub use command::{ApplyError, Command, CommandResult, Followups, Retention};
pub use db_handle::{DbHandle, REOPEN_PENDING};
pub use dkron_lifecycle::{
    PendingRun, QueuedLaunch, RunPlan, RunReport, StoredExecution, StoredJob,
};
pub use error::StoreError;
pub use job_reads::JobListing;
pub use notices::{DEFAULT_NOTICE_LIMIT, Notice, NoticeKind, NoticeSettings};
pub use state_store::{ActiveRun, StateStore};
