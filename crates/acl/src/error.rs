//! Why a policy document was refused.

/// A policy document that cannot be used; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// The text is not JSON of the expected shape.
    #[error(
        "policy rules are not valid JSON of the form {{\"path\": {{\"<glob>\": {{\"capabilities\": [...]}}}}}}: {0}"
    )]
    BadJson(String),
    /// The document names no path at all.
    #[error("policy rules name no path: add at least one entry under \"path\"")]
    Empty,
    /// A capability name is not one of the five.
    #[error("unknown capability {0:?} (known: read, list, create, update, delete)")]
    UnknownCapability(String),
    /// A path glob is not usable.
    #[error("bad path glob {glob:?}: {reason}")]
    BadGlob {
        /// The glob as written.
        glob: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}
