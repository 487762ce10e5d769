//! Bad files give errors that name the setting and the file.

use std::path::Path;

use dkron_tls::{CertFiles, CertRequest, TlsError, create_cert, http_server_config, read_identity};

use super::{new_ca, node_under};

fn message(error: TlsError) -> String {
    error.to_string()
}

#[test]
fn a_missing_file_names_its_setting_and_path() {
    let error = read_identity(Path::new("/nonexistent/node.pem"), Path::new("/x")).unwrap_err();
    let text = message(error);
    assert!(
        text.starts_with("cert-file: cannot read /nonexistent/node.pem"),
        "{text}"
    );
}

#[test]
fn files_without_pem_or_with_the_wrong_key_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, ca_file) = new_ca(dir.path(), "cluster");
    let node = node_under(dir.path(), &ca, &ca_file, "node");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();

    let text = message(read_identity(&garbage, &node.files.key_file).unwrap_err());
    assert!(
        text.starts_with("cert-file:") && text.contains("garbage.pem"),
        "{text}"
    );
    let text = message(read_identity(&node.files.cert_file, &garbage).unwrap_err());
    assert!(
        text.starts_with("key-file:") && text.contains("garbage.pem"),
        "{text}"
    );
    let other = node_under(dir.path(), &ca, &ca_file, "other");
    let text = message(read_identity(&node.files.cert_file, &other.files.key_file).unwrap_err());
    assert!(text.contains("does not belong"), "{text}");
    let text = message(dkron_tls::read_roots("trusted-ca-file", &garbage).unwrap_err());
    assert!(text.starts_with("trusted-ca-file:"), "{text}");

    let files = CertFiles {
        trusted_ca_file: Some(garbage.clone()),
        ..node.files.clone()
    };
    assert!(http_server_config(&files, true).is_err());
    assert!(http_server_config(&node.files, true).is_ok());
}

#[test]
fn a_certificate_is_not_issued_with_a_key_that_is_not_the_cas() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, _) = new_ca(dir.path(), "cluster");
    let (other, _) = new_ca(dir.path(), "other");
    let refused = create_cert(&CertRequest {
        common_name: "node".into(),
        names: vec!["127.0.0.1".into()],
        days: 1,
        ca_cert_pem: ca.cert_pem,
        ca_key_pem: other.key_pem,
    });
    assert!(refused.is_err());
}
