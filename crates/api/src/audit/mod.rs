//! The audit log in the API: every successful write through `/v1` leaves an entry naming the
//! caller, its address, the time and what changed; `GET /v1/audit` reads them back.
//!
//! Handlers describe their write by attaching an [`AuditNote`] to their response
//! ([`audited`]); the [`record_writes`] middleware turns the note into an entry once the
//! response is a success, and derives one from the route for a write route whose handler
//! attached none, so no write goes unrecorded.

mod list;
mod note;
mod record;

pub(crate) use list::list_audit;
pub use note::AuditNote;
pub(crate) use note::audited;
pub(crate) use record::record_writes;

/// Query of `GET /v1/audit`: which entries, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only entries of this actor.
    pub actor: Option<String>,
    /// Only entries of this action.
    pub action: Option<String>,
    /// Only entries about this target.
    pub target: Option<String>,
    /// How many matching entries to pass over, newest first.
    pub start: usize,
    /// Most entries returned.
    pub limit: usize,
}
