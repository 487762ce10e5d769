//! Tokens: who a request comes from and what kind of rights it has.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::SecretHash;

/// What a token may do before any policy is read (Dkron Pro's token types).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// Everything, the ACL routes included; policies are not consulted.
    Management,
    /// The union of what its policies grant; never the ACL routes.
    Client,
}

impl TokenKind {
    /// Returns Pro's name of the type.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Management => "management",
            TokenKind::Client => "client",
        }
    }

    /// Parses Pro's name of a type.
    pub fn parse(text: &str) -> Option<TokenKind> {
        match text {
            "management" => Some(TokenKind::Management),
            "client" => Some(TokenKind::Client),
            _ => None,
        }
    }
}

/// A token as the replicated state keeps it: never its secret, only the secret's hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Public identifier: what `dkron acl token info/delete` and the API routes name.
    pub accessor_id: String,
    /// Human-readable name; the actor the audit log records.
    pub name: String,
    /// Management or client.
    pub kind: TokenKind,
    /// Names of the policies a client token has (ignored for management tokens).
    pub policies: Vec<String>,
    /// When it was created.
    pub create_time: DateTime<Utc>,
    /// When it stops working; `None`: never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<DateTime<Utc>>,
    /// The SHA-256 of its secret.
    pub secret_hash: SecretHash,
}

impl Token {
    /// Returns true when the token no longer works at `now`.
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.expiration_time.is_some_and(|expiry| expiry <= now)
    }
}

/// A named policy as stored and served: Pro's `{Name, Rules}` with the rules as text, kept
/// exactly as submitted (after they parsed) so that `policy info` shows what was applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The name tokens refer to it by.
    pub name: String,
    /// The policy document (see [`crate::Rules::parse`]).
    pub rules: String,
}
