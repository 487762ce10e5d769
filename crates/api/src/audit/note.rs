//! [`AuditNote`]: a handler's description of the write it made, carried to the audit
//! middleware in the response's extensions.

use axum::response::Response;
use dkron_model::AuditChange;

/// What a successful write did, as its handler describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditNote {
    /// The action, e.g. `job.update` (see `AuditEntry::action`).
    pub action: String,
    /// What it was done to (a job name, `<job>/<execution id>`), or empty.
    pub target: String,
    /// What changed, field by field; never a secret's value.
    pub changes: Vec<AuditChange>,
}

impl AuditNote {
    /// A note of `action` on `target` with no changes listed.
    pub fn new(action: &str, target: &str) -> AuditNote {
        AuditNote {
            action: action.to_owned(),
            target: target.to_owned(),
            changes: Vec::new(),
        }
    }

    /// The same note with `changes` listed.
    pub fn with_changes(mut self, changes: Vec<AuditChange>) -> AuditNote {
        self.changes = changes;
        self
    }
}

/// Attaches `note` to `response`, for the audit middleware to record if the write succeeded.
pub(crate) fn audited(mut response: Response, note: AuditNote) -> Response {
    response.extensions_mut().insert(note);
    response
}
