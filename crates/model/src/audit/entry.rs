//! [`AuditEntry`] and [`AuditChange`], and the size bounds every entry is cut to.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most characters kept of any text in an entry (actor, action, target, a value, a key);
/// longer text is cut and ends with `…`.
pub const MAX_AUDIT_TEXT_CHARS: usize = 256;

/// Most changes kept in one entry (a job has about thirty fields a client sets).
pub const MAX_AUDIT_CHANGES: usize = 48;

/// Most keys listed for one changed secret map.
const MAX_CHANGED_KEYS: usize = 32;

/// One write as the audit log keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Position in the log, given by the store when the entry is appended (0 before): it
    /// only grows, so newer entries have larger numbers.
    #[serde(default)]
    pub seq: u64,
    /// When the server that took the request received it.
    pub time: DateTime<Utc>,
    /// Who made the write: the ACL token's name, or `anonymous` while ACLs are off.
    pub actor: String,
    /// The peer address of the connection the write came over (`ip:port`), or empty when the
    /// server did not know it.
    pub address: String,
    /// What was done, as `<subject>.<verb>`: `job.create`, `job.update`, `job.delete`,
    /// `job.run`, `job.toggle`, `executions.delete`, `execution.kill`, `cluster.pause`,
    /// `cluster.unpause`, `cluster.leave`, `cluster.restore`, `acl.…`.
    pub action: String,
    /// What it was done to: a job name, `<job>/<execution id>`, a policy or token name;
    /// empty for writes to the whole cluster.
    pub target: String,
    /// What the write changed, field by field (empty when the action says it all).
    #[serde(default)]
    pub changes: Vec<AuditChange>,
}

/// One changed field of an audited write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditChange {
    /// The field's name (a job's JSON field name, or e.g. `paused`).
    pub field: String,
    /// The value before, as compact JSON text; `None` for secret fields and for values that
    /// did not exist before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The value after, as compact JSON text; `None` for secret fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// For a field whose values may be secret (`executor_config`, `env`, `processors`): the
    /// keys that were added, removed or changed. Their values are never recorded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keys: Vec<String>,
}

impl AuditChange {
    /// A change of a field whose values may be shown, from `from` to `to`.
    pub fn value(field: &str, from: Option<String>, to: Option<String>) -> AuditChange {
        AuditChange {
            field: field.to_owned(),
            from,
            to,
            keys: Vec::new(),
        }
    }

    /// A change of a secret field: only the names of the keys that changed.
    pub fn secret_keys(field: &str, keys: Vec<String>) -> AuditChange {
        AuditChange {
            field: field.to_owned(),
            from: None,
            to: None,
            keys,
        }
    }

    fn bounded(self) -> AuditChange {
        let mut keys: Vec<String> = self.keys.into_iter().map(bounded_text).collect();
        if keys.len() > MAX_CHANGED_KEYS {
            let more = keys.len() - MAX_CHANGED_KEYS;
            keys.truncate(MAX_CHANGED_KEYS);
            keys.push(format!("… and {more} more"));
        }
        AuditChange {
            field: bounded_text(self.field),
            from: self.from.map(bounded_text),
            to: self.to.map(bounded_text),
            keys,
        }
    }
}

impl AuditEntry {
    /// Returns the entry cut to the size bounds: every text at most
    /// [`MAX_AUDIT_TEXT_CHARS`] characters, at most [`MAX_AUDIT_CHANGES`] changes.
    pub fn bounded(self) -> AuditEntry {
        let mut changes: Vec<AuditChange> =
            self.changes.into_iter().map(AuditChange::bounded).collect();
        changes.truncate(MAX_AUDIT_CHANGES);
        AuditEntry {
            seq: self.seq,
            time: self.time,
            actor: bounded_text(self.actor),
            address: bounded_text(self.address),
            action: bounded_text(self.action),
            target: bounded_text(self.target),
            changes,
        }
    }
}

/// Cuts `text` to [`MAX_AUDIT_TEXT_CHARS`] characters, marking the cut with `…`.
fn bounded_text(text: String) -> String {
    if text.chars().count() <= MAX_AUDIT_TEXT_CHARS {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_AUDIT_TEXT_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(changes: Vec<AuditChange>) -> AuditEntry {
        AuditEntry {
            seq: 0,
            time: DateTime::UNIX_EPOCH,
            actor: "a".repeat(1000),
            address: "127.0.0.1:1".into(),
            action: "job.update".into(),
            target: "ü".repeat(300),
            changes,
        }
    }

    #[test]
    fn every_text_and_list_is_cut_to_its_bound() {
        let many_keys = (0..100).map(|index| format!("k{index}")).collect();
        let mut changes = vec![
            AuditChange::value("command", None, Some("x".repeat(10_000))),
            AuditChange::secret_keys("executor_config", many_keys),
        ];
        changes.extend((0..100).map(|index| AuditChange::value(&format!("f{index}"), None, None)));
        let bounded = entry(changes).bounded();
        assert_eq!(bounded.actor.chars().count(), MAX_AUDIT_TEXT_CHARS);
        assert!(bounded.actor.ends_with('…'));
        assert_eq!(bounded.target.chars().count(), MAX_AUDIT_TEXT_CHARS);
        assert_eq!(bounded.address, "127.0.0.1:1");
        assert_eq!(bounded.changes.len(), MAX_AUDIT_CHANGES);
        let to = bounded.changes[0].to.as_deref().unwrap();
        assert_eq!(to.chars().count(), MAX_AUDIT_TEXT_CHARS);
        assert_eq!(bounded.changes[1].keys.len(), MAX_CHANGED_KEYS + 1);
        assert_eq!(bounded.changes[1].keys.last().unwrap(), "… and 68 more");
    }

    #[test]
    fn short_entries_are_kept_as_they_are() {
        let short = AuditEntry {
            actor: "anonymous".into(),
            target: "job1".into(),
            ..entry(vec![AuditChange::value(
                "schedule",
                None,
                Some("\"@daily\"".into()),
            )])
        };
        assert_eq!(short.clone().bounded(), short);
    }
}
