//! redb table definitions of the state machine.
//!
//! Keys are tuples so that everything of one job is one contiguous range: deleting a job's
//! history is a range removal that cannot touch another job (Dkron's prefix bug, §14.1).

use redb::TableDefinition;

/// Job name → versioned `StoredJob` JSON.
pub(crate) const JOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("jobs");

/// (job, group = nominal nanos, execution id) → versioned `StoredExecution` JSON.
pub(crate) const EXECUTIONS: TableDefinition<(&str, i64, &str), &[u8]> =
    TableDefinition::new("executions");

/// (job, nominal nanos) → versioned `LedgerEntry` JSON.
pub(crate) const LEDGER: TableDefinition<(&str, i64), &[u8]> = TableDefinition::new("ledger");

/// (node, job, nominal nanos, execution id) → () : runs launched and not yet finished.
pub(crate) const ACTIVE: TableDefinition<(&str, &str, i64, &str), ()> =
    TableDefinition::new("active_runs");

/// Sequence number → versioned `Notice` JSON: notifications not sent yet (the outbox).
pub(crate) const NOTICES: TableDefinition<u64, &[u8]> = TableDefinition::new("notices");

/// Policy name → versioned `Policy` JSON (ACLs; opened only by the ACL commands).
pub(crate) const ACL_POLICIES: TableDefinition<&str, &[u8]> = TableDefinition::new("acl_policies");

/// SHA-256 of a token's secret (hex) → versioned `Token` JSON (ACLs; opened only by the ACL
/// commands). Keyed by the hash so that checking a request's token is one lookup.
pub(crate) const ACL_TOKENS: TableDefinition<&str, &[u8]> = TableDefinition::new("acl_tokens");

/// Opaque values owned by the consensus layer (last applied log id, membership).
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

/// Highest possible execution id in key order (ids are ASCII).
pub(crate) const MAX_ID: &str = "\u{10FFFF}";

/// Sequence number → versioned `AuditEntry` JSON: the audit log of writes made through the
/// API, oldest first. Opened only by the audit commands, never per batch.
pub(crate) const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit_log");
