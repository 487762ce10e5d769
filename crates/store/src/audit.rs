//! The audit log as stored: its versioned records, its retention settings and its filters.

use dkron_model::AuditEntry;
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// Meta key of the next audit sequence number.
pub(crate) const AUDIT_NEXT_KEY: &str = "audit_next";

/// Most entries one append removes for being past the count or the age limit (each limit):
/// more than the one it adds, so a log over a lowered limit shrinks back to it.
pub const AUDIT_PRUNE_PER_APPEND: usize = 8;

/// Entries kept unless configured otherwise.
pub const DEFAULT_AUDIT_MAX_ENTRIES: u64 = 10_000;

/// Age past which entries go unless configured otherwise: 90 days.
pub const DEFAULT_AUDIT_MAX_AGE_SECS: u64 = 90 * 24 * 3600;

/// How much of the audit log to keep, chosen by the server that takes a write and carried in
/// its command, so every replica prunes the same entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRetention {
    /// Most entries kept (at least one); the oldest go first.
    pub max_entries: u64,
    /// Entries older than this many seconds go; `None` keeps them however old.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age_secs: Option<u64>,
}

impl Default for AuditRetention {
    fn default() -> Self {
        AuditRetention {
            max_entries: DEFAULT_AUDIT_MAX_ENTRIES,
            max_age_secs: Some(DEFAULT_AUDIT_MAX_AGE_SECS),
        }
    }
}

/// Which entries a read wants: each filter set must match exactly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only entries of this actor.
    pub actor: Option<String>,
    /// Only entries of this action.
    pub action: Option<String>,
    /// Only entries about this target.
    pub target: Option<String>,
}

impl AuditFilter {
    pub(crate) fn is_empty(&self) -> bool {
        self.actor.is_none() && self.action.is_none() && self.target.is_none()
    }

    pub(crate) fn matches(&self, entry: &AuditEntry) -> bool {
        let wanted = |filter: &Option<String>, value: &str| {
            filter.as_deref().is_none_or(|filter| filter == value)
        };
        wanted(&self.actor, &entry.actor)
            && wanted(&self.action, &entry.action)
            && wanted(&self.target, &entry.target)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum AuditVersions {
    #[serde(rename = "1")]
    V1(AuditEntry),
}

pub(crate) fn encode_audit(entry: &AuditEntry) -> Vec<u8> {
    serde_json::to_vec(&AuditVersions::V1(entry.clone()))
        .expect("audit entries are plain data and always serialise")
}

pub(crate) fn decode_audit(seq: u64, bytes: &[u8]) -> Result<AuditEntry, StoreError> {
    match serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt {
        kind: "audit entry",
        key: seq.to_string(),
        message: error.to_string(),
    })? {
        AuditVersions::V1(entry) => Ok(entry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1 record as this version writes it: later versions must still read it.
    const FROZEN_V1: &str = r#"{"v":"1","seq":7,"time":"2026-12-06T10:15:02.183Z","actor":"anonymous","address":"127.0.0.1:51234","action":"job.update","target":"backup","changes":[{"field":"executor_config","keys":["env"]},{"field":"schedule","from":"\"@daily\"","to":"\"@every 6h\""}]}"#;

    #[test]
    fn a_frozen_version_1_record_decodes_and_encodes_back_the_same() {
        let entry = decode_audit(7, FROZEN_V1.as_bytes()).unwrap();
        assert_eq!(entry.seq, 7);
        assert_eq!(entry.action, "job.update");
        assert_eq!(entry.changes[0].keys, ["env"]);
        assert_eq!(entry.changes[1].to.as_deref(), Some("\"@every 6h\""));
        assert_eq!(String::from_utf8(encode_audit(&entry)).unwrap(), FROZEN_V1);
    }

    #[test]
    fn a_record_that_is_not_an_entry_is_reported_with_its_key() {
        let error = decode_audit(9, br#"{"v":"2"}"#).unwrap_err();
        assert!(
            error.to_string().contains("audit entry record 9"),
            "{error}"
        );
    }
}
