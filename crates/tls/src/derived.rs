//! Node RPC's credential when only a gossip key is set: a cluster CA derived from the key.
//!
//! Every node derives the same Ed25519 CA key from the gossip key (HKDF-SHA256 with a fixed
//! label), then issues itself a certificate under it with a fresh key of its own at start.
//! RPC is then mutual TLS against that CA: a client without the key cannot make a
//! certificate the nodes accept, and the key itself never crosses the wire (ADR 15).

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, KeyPair, KeyUsagePurpose,
    SerialNumber,
};
use ring::hkdf;
use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use crate::error::TlsError;
use crate::files::Identity;
use crate::issue;
use crate::rpc::{RpcTls, rpc_tls};

/// Separates this use of the gossip key from any other (and from later versions).
const SALT: &[u8] = b"dkron-rs node rpc credential v1";
const CA_SEED_INFO: &[u8] = b"cluster ca ed25519 seed";
/// The derived CA's name; every node makes the same one.
const CA_NAME: &str = "dkron-rs cluster CA (derived from the gossip key)";
/// A node makes a new certificate at every start; this only has to outlive a process.
const NODE_CERT_DAYS: u32 = 3650;
/// PKCS#8 v1 header of an Ed25519 private key (RFC 8410), followed by the 32-byte seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

struct SeedLength;

impl hkdf::KeyType for SeedLength {
    fn len(&self) -> usize {
        32
    }
}

fn ca_seed(gossip_key: &[u8]) -> [u8; 32] {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, SALT).extract(gossip_key);
    let mut seed = [0u8; 32];
    prk.expand(&[CA_SEED_INFO], SeedLength)
        .and_then(|okm| okm.fill(&mut seed))
        .expect("32 bytes is within HKDF-SHA256's output limit");
    seed
}

fn ca_key(gossip_key: &[u8]) -> Result<KeyPair, TlsError> {
    let mut pkcs8 = ED25519_PKCS8_PREFIX.to_vec();
    pkcs8.extend_from_slice(&ca_seed(gossip_key));
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pkcs8));
    KeyPair::from_der_and_sign_algo(&der, &rcgen::PKCS_ED25519)
        .map_err(TlsError::issue("derived cluster CA key"))
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, CA_NAME);
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    // Fixed fields: every node makes the same certificate from the same key.
    params.serial_number = Some(SerialNumber::from_slice(&[1]));
    params.not_before = rcgen::date_time_ymd(2024, 1, 1);
    params.not_after = rcgen::date_time_ymd(4000, 1, 1);
    params
}

/// Returns node RPC's TLS for node `node_name` from the gossip key: the derived CA, and a
/// certificate for this node under it with a key made now.
pub fn derive_rpc_tls(gossip_key: &[u8], node_name: &str) -> Result<RpcTls, TlsError> {
    let ca_key = ca_key(gossip_key)?;
    let ca_params = ca_params();
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .map_err(TlsError::issue("derived cluster CA"))?;
    let issuer = rcgen::Issuer::new(ca_params, &ca_key);
    let node_key = KeyPair::generate().map_err(TlsError::issue("node key"))?;
    let node_params = issue::leaf_params(node_name, &[], NODE_CERT_DAYS)?;
    let node_cert = node_params
        .signed_by(&node_key, &issuer)
        .map_err(TlsError::issue("node certificate"))?;
    let mut roots = RootCertStore::empty();
    roots
        .add(ca_cert.der().clone())
        .map_err(TlsError::rustls("derived cluster CA"))?;
    let identity = Identity {
        certs: vec![CertificateDer::from(node_cert.der().to_vec())],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(node_key.serialize_der())),
    };
    rpc_tls(identity, roots, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_key_derives_the_same_ca_and_another_key_another() {
        let key = [7u8; 16];
        let first = ca_params().self_signed(&ca_key(&key).unwrap()).unwrap();
        let again = ca_params().self_signed(&ca_key(&key).unwrap()).unwrap();
        assert_eq!(first.der(), again.der(), "nodes agree on the CA");
        let other = ca_params()
            .self_signed(&ca_key(&[8u8; 16]).unwrap())
            .unwrap();
        assert_ne!(first.der(), other.der());
        let seed = ca_seed(&key);
        assert!(
            !seed.windows(key.len()).any(|window| window == key),
            "the seed does not contain the key"
        );
    }
}
