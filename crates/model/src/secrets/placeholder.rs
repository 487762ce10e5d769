//! The text that stands in for a secret, and the note a restore leaves when it cannot put a
//! secret back.

/// What API answers, backups and logs show in place of a secret value. Plain text, so every
/// Dkron client keeps it as an ordinary string and can send it back unchanged.
pub const REDACTED: &str = "<redacted>";

/// A placeholder that has no stored value to stand for; the text says which one (for
/// example `variable TOKEN`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NoStoredValue(pub(super) String);
