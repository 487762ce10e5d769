//! `dkron keygen`: a fresh gossip encryption key.

use std::fs::File;
use std::io::Read;

use anyhow::Context;
use base64::Engine as _;

/// Bytes of randomness in a generated key, as in Dkron (an AES-128 key).
pub const KEY_BYTES: usize = 16;

/// Returns a new key: [`KEY_BYTES`] bytes from the kernel's random source, in standard base64.
pub fn generate_key() -> anyhow::Result<String> {
    let mut key = [0u8; KEY_BYTES];
    File::open("/dev/urandom")
        .and_then(|mut random| random.read_exact(&mut key))
        .context("cannot read random bytes from /dev/urandom")?;
    Ok(base64::engine::general_purpose::STANDARD.encode(key))
}

#[cfg(test)]
mod tests {
    use dkron_config::GossipKey;

    use super::*;

    #[test]
    fn keys_are_fresh_and_accepted_by_encrypt() {
        let first = generate_key().unwrap();
        let second = generate_key().unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), 24);
        let key = GossipKey::from_base64(&first).unwrap();
        assert_eq!(key.as_bytes().len(), KEY_BYTES);
    }
}
