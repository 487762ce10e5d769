//! Sealing and opening datagrams: AES-GCM when the cluster has a key, plain otherwise.
//!
//! Wire format: one version byte, then the body.
//! - `0x00` plain: the body is the frame as is.
//! - `0x01` AES-GCM: the body is a 12-byte random nonce followed by the ciphertext and its
//!   16-byte tag; the version byte is the associated data.
//!
//! The version byte lets a node tell "encrypted, but I have no key" from "plain, but
//! encryption is on" apart in its logs. Either way the datagram is dropped, so encrypted
//! and plain nodes never see each other.

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{Aead, AeadCore, KeyInit, Payload};
use aes_gcm::aes::Aes192;
use aes_gcm::{Aes128Gcm, Aes256Gcm, AesGcm};
use rand::Rng;

use crate::GossipError;

const VERSION_PLAIN: u8 = 0x00;
const VERSION_AES_GCM: u8 = 0x01;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Bytes a sealed datagram adds to its frame at most.
pub(crate) const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

type Aes192Gcm = AesGcm<Aes192, U12>;

/// Turns frames into datagrams and back, with the cluster key if there is one.
pub(crate) struct DatagramCipher {
    key: Option<ClusterKey>,
}

/// The AES-GCM flavour picked by the key length.
enum ClusterKey {
    Aes128(Box<Aes128Gcm>),
    Aes192(Box<Aes192Gcm>),
    Aes256(Box<Aes256Gcm>),
}

/// Why a datagram was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum OpenError {
    /// Empty or shorter than a nonce and a tag.
    Truncated,
    /// An unknown version byte (not gossip, or a newer format).
    UnknownVersion,
    /// A plain datagram while encryption is on.
    PlainRefused,
    /// An encrypted datagram while we have no key.
    NoKey,
    /// The tag did not verify: another key, or tampering.
    Unauthentic,
}

impl OpenError {
    /// Returns a short lowercase reason for logs.
    pub(crate) fn reason(self) -> &'static str {
        match self {
            OpenError::Truncated => "datagram too short",
            OpenError::UnknownVersion => "unknown datagram version",
            OpenError::PlainRefused => "plain datagram refused because encryption is on",
            OpenError::NoKey => "encrypted datagram but no encryption key is set",
            OpenError::Unauthentic => "datagram does not decrypt with our key",
        }
    }
}

impl DatagramCipher {
    /// Builds the cipher for an optional key; only AES key sizes are accepted.
    pub(crate) fn new(key: Option<&[u8]>) -> Result<Self, GossipError> {
        let Some(key) = key else {
            return Ok(DatagramCipher { key: None });
        };
        let bad_length = |_| GossipError::BadKeyLength { length: key.len() };
        let cluster_key = match key.len() {
            16 => ClusterKey::Aes128(Box::new(
                Aes128Gcm::new_from_slice(key).map_err(bad_length)?,
            )),
            24 => ClusterKey::Aes192(Box::new(
                Aes192Gcm::new_from_slice(key).map_err(bad_length)?,
            )),
            32 => ClusterKey::Aes256(Box::new(
                Aes256Gcm::new_from_slice(key).map_err(bad_length)?,
            )),
            length => return Err(GossipError::BadKeyLength { length }),
        };
        Ok(DatagramCipher {
            key: Some(cluster_key),
        })
    }

    /// Returns the datagram carrying `frame`; `rng` must be cryptographically secure
    /// because it draws the nonces.
    pub(crate) fn seal(&self, frame: &[u8], rng: &mut impl Rng) -> Result<Vec<u8>, aes_gcm::Error> {
        let Some(key) = &self.key else {
            let mut datagram = Vec::with_capacity(1 + frame.len());
            datagram.push(VERSION_PLAIN);
            datagram.extend_from_slice(frame);
            return Ok(datagram);
        };
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let ciphertext = key.encrypt(&nonce, frame)?;
        let mut datagram = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        datagram.push(VERSION_AES_GCM);
        datagram.extend_from_slice(&nonce);
        datagram.extend_from_slice(&ciphertext);
        Ok(datagram)
    }

    /// Returns the frame inside a datagram, or why it must be dropped.
    pub(crate) fn open(&self, datagram: &[u8]) -> Result<Vec<u8>, OpenError> {
        let (&version, body) = datagram.split_first().ok_or(OpenError::Truncated)?;
        match (version, &self.key) {
            (VERSION_PLAIN, None) => Ok(body.to_vec()),
            (VERSION_PLAIN, Some(_)) => Err(OpenError::PlainRefused),
            (VERSION_AES_GCM, None) => Err(OpenError::NoKey),
            (VERSION_AES_GCM, Some(key)) => {
                if body.len() < NONCE_LEN + TAG_LEN {
                    return Err(OpenError::Truncated);
                }
                let (nonce, ciphertext) = body.split_at(NONCE_LEN);
                key.decrypt(nonce, ciphertext)
                    .map_err(|_| OpenError::Unauthentic)
            }
            _ => Err(OpenError::UnknownVersion),
        }
    }
}

impl ClusterKey {
    fn encrypt(&self, nonce: &[u8], frame: &[u8]) -> Result<Vec<u8>, aes_gcm::Error> {
        match self {
            ClusterKey::Aes128(cipher) => encrypt(cipher.as_ref(), nonce, frame),
            ClusterKey::Aes192(cipher) => encrypt(cipher.as_ref(), nonce, frame),
            ClusterKey::Aes256(cipher) => encrypt(cipher.as_ref(), nonce, frame),
        }
    }

    fn decrypt(&self, nonce: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, aes_gcm::Error> {
        match self {
            ClusterKey::Aes128(cipher) => decrypt(cipher.as_ref(), nonce, ciphertext),
            ClusterKey::Aes192(cipher) => decrypt(cipher.as_ref(), nonce, ciphertext),
            ClusterKey::Aes256(cipher) => decrypt(cipher.as_ref(), nonce, ciphertext),
        }
    }
}

/// Encrypts with the version byte as associated data, so it cannot be swapped.
fn encrypt<C>(cipher: &C, nonce: &[u8], frame: &[u8]) -> Result<Vec<u8>, aes_gcm::Error>
where
    C: Aead + AeadCore<NonceSize = U12>,
{
    let payload = Payload {
        msg: frame,
        aad: &[VERSION_AES_GCM],
    };
    cipher.encrypt(GenericArray::from_slice(nonce), payload)
}

fn decrypt<C>(cipher: &C, nonce: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>, aes_gcm::Error>
where
    C: Aead + AeadCore<NonceSize = U12>,
{
    let payload = Payload {
        msg: ciphertext,
        aad: &[VERSION_AES_GCM],
    };
    cipher.decrypt(GenericArray::from_slice(nonce), payload)
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn rng() -> StdRng {
        StdRng::seed_from_u64(7)
    }

    #[test]
    fn every_key_size_round_trips() {
        for length in [16, 24, 32] {
            let key = vec![0x42u8; length];
            let cipher = DatagramCipher::new(Some(&key)).expect("valid key length");
            let datagram = cipher.seal(b"hello gossip", &mut rng()).expect("seals");
            assert_eq!(datagram.len(), b"hello gossip".len() + SEAL_OVERHEAD);
            assert!(!datagram.windows(5).any(|window| window == b"hello"));
            assert_eq!(cipher.open(&datagram).expect("opens"), b"hello gossip");
        }
    }

    #[test]
    fn plain_round_trips() {
        let cipher = DatagramCipher::new(None).expect("no key is fine");
        let datagram = cipher.seal(b"frame", &mut rng()).expect("seals");
        assert_eq!(cipher.open(&datagram).expect("opens"), b"frame");
    }

    #[test]
    fn tampering_and_other_keys_are_detected() {
        let cipher = DatagramCipher::new(Some(&[1u8; 32])).expect("valid key");
        let mut datagram = cipher.seal(b"frame", &mut rng()).expect("seals");
        let other = DatagramCipher::new(Some(&[2u8; 32])).expect("valid key");
        assert_eq!(other.open(&datagram), Err(OpenError::Unauthentic));

        let last = datagram.len() - 1;
        datagram[last] ^= 0x01;
        assert_eq!(cipher.open(&datagram), Err(OpenError::Unauthentic));
        assert_eq!(cipher.open(&datagram[..10]), Err(OpenError::Truncated));
        assert_eq!(cipher.open(&[]), Err(OpenError::Truncated));
        assert_eq!(cipher.open(&[9, 1, 2]), Err(OpenError::UnknownVersion));
    }

    #[test]
    fn plain_and_encrypted_nodes_refuse_each_other() {
        let plain = DatagramCipher::new(None).expect("no key is fine");
        let encrypted = DatagramCipher::new(Some(&[3u8; 16])).expect("valid key");
        let from_plain = plain.seal(b"frame", &mut rng()).expect("seals");
        let from_encrypted = encrypted.seal(b"frame", &mut rng()).expect("seals");
        assert_eq!(encrypted.open(&from_plain), Err(OpenError::PlainRefused));
        assert_eq!(plain.open(&from_encrypted), Err(OpenError::NoKey));
    }

    #[test]
    fn wrong_key_lengths_are_refused() {
        for length in [0, 8, 17, 31, 33, 64] {
            let key = vec![0u8; length];
            assert!(matches!(
                DatagramCipher::new(Some(&key)),
                Err(GossipError::BadKeyLength { length: got }) if got == length
            ));
        }
    }
}
