//! How a token's secret is kept: only its SHA-256, so a copy of the state (a snapshot, a
//! backup of the data directory) does not hand out working tokens.

use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The lowercase hex SHA-256 of a token secret.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretHash(String);

impl SecretHash {
    /// Returns the hash as hex text (the store's key).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps a hash read back from storage.
    pub fn from_stored(hex: String) -> SecretHash {
        SecretHash(hex)
    }
}

impl fmt::Display for SecretHash {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// Returns the hash under which `secret` is stored and looked up. Secrets are random and
/// long (128 bits), so a plain hash is enough: there is nothing to guess a dictionary for.
pub fn hash_secret(secret: &str) -> SecretHash {
    let digest = Sha256::digest(secret.as_bytes());
    let mut hex = String::with_capacity(64);
    for byte in digest {
        hex.push_str(&format!("{byte:02x}"));
    }
    SecretHash(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_sha256_hex_and_never_the_secret() {
        let hash = hash_secret("abc");
        assert_eq!(
            hash.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(hash_secret("abd"), hash);
        assert!(!hash.as_str().contains("abc"));
    }
}
