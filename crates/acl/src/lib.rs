//! Access control as Dkron Pro has it, as pure rules: policies of path globs with
//! capabilities, management and client tokens, and the decision for one request.
//!
//! Nothing here does I/O or reads the clock. The store keeps [`Token`]s and policy texts; the
//! API turns a request into an [`AccessRequest`] and asks [`authorize`] (see ADR 16).

mod capability;
mod decision;
mod error;
mod glob;
mod rules;
mod secret;
mod token;

pub use capability::Capability;
pub use decision::{AccessRequest, Denial, authorize, needs_no_token, required_capability};
pub use error::PolicyError;
pub use glob::PathGlob;
pub use rules::{DEFAULT_POLICY_NAME, DEFAULT_POLICY_RULES, Rules};
pub use secret::{SecretHash, hash_secret};
pub use token::{Policy, Token, TokenKind};
