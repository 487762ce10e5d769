//! Handshakes over loopback between configurations this crate builds: who gets in, who does
//! not, and clear errors for bad files.

#![allow(clippy::unwrap_used)]

mod files;
mod handshake;

use std::path::{Path, PathBuf};

use dkron_tls::{CaRequest, CertFiles, CertRequest, IssuedPem, create_ca, create_cert};

/// A CA and one node certificate under it, written to `dir` with the given prefix.
pub struct Written {
    pub ca_file: PathBuf,
    pub files: CertFiles,
}

pub fn write_pair(dir: &Path, prefix: &str, pem: &IssuedPem) -> (PathBuf, PathBuf) {
    let cert = dir.join(format!("{prefix}.pem"));
    let key = dir.join(format!("{prefix}-key.pem"));
    std::fs::write(&cert, &pem.cert_pem).unwrap();
    std::fs::write(&key, &pem.key_pem).unwrap();
    (cert, key)
}

pub fn new_ca(dir: &Path, prefix: &str) -> (IssuedPem, PathBuf) {
    let ca = create_ca(&CaRequest {
        common_name: format!("{prefix} CA"),
        days: 30,
    })
    .unwrap();
    let (ca_file, _) = write_pair(dir, prefix, &ca);
    (ca, ca_file)
}

pub fn node_under(dir: &Path, ca: &IssuedPem, ca_file: &Path, name: &str) -> Written {
    let node = create_cert(&CertRequest {
        common_name: name.to_string(),
        names: vec!["localhost".to_string(), "127.0.0.1".to_string()],
        days: 30,
        ca_cert_pem: ca.cert_pem.clone(),
        ca_key_pem: ca.key_pem.clone(),
    })
    .unwrap();
    let (cert_file, key_file) = write_pair(dir, name, &node);
    Written {
        ca_file: ca_file.to_path_buf(),
        files: CertFiles {
            cert_file,
            key_file,
            trusted_ca_file: Some(ca_file.to_path_buf()),
            client_crl_file: None,
        },
    }
}
