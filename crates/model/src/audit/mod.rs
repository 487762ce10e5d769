//! The audit log's record of one write: who made it, from where, when, and what it changed.
//!
//! An entry is built by the API after a write succeeded and stored in the replicated state
//! (see `docs/security.md`, "Audit log"). Everything in it is bounded in size, and values of
//! job fields that may hold secrets are never recorded: only which of their keys changed.

mod entry;
mod job_changes;

pub use entry::{AuditChange, AuditEntry, MAX_AUDIT_CHANGES, MAX_AUDIT_TEXT_CHARS};
pub use job_changes::{SECRET_JOB_FIELDS, job_changes};
