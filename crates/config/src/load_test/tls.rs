//! Dkron Pro's TLS keys: read from every source, checked for the keys that go together, and
//! `auto-tls` refused with what to use instead.

use std::path::PathBuf;

use super::{invalid, with_env, with_file, with_flags, write_file};
use crate::{ValidationError, ValueOrigin, load};

#[test]
fn tls_keys_are_read_from_the_file_the_environment_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "dkron.yml",
        "auto-tls: false\ncert-file: server.pem\nkey-file: server-key.pem\n\
         trusted-ca-file: ca.pem\nclient-cert-auth: true\n",
    );
    let from_file = load(with_file(&path)).unwrap();
    assert_eq!(from_file.cert_file, Some(PathBuf::from("server.pem")));
    assert_eq!(from_file.key_file, Some(PathBuf::from("server-key.pem")));
    assert_eq!(from_file.trusted_ca_file, Some(PathBuf::from("ca.pem")));
    assert!(from_file.client_cert_auth);
    assert!(!from_file.disable_http_tls);

    let from_env = load(with_env(&[
        ("DKRON_CERT_FILE", "/etc/dkron/node.pem"),
        ("DKRON_KEY_FILE", "/etc/dkron/node-key.pem"),
        ("DKRON_CLIENT_CRL_FILE", "/etc/dkron/crl.pem"),
        ("DKRON_TRUSTED_CA_FILE", "/etc/dkron/ca.pem"),
        ("DKRON_DISABLE_HTTP_TLS", "true"),
    ]))
    .unwrap();
    assert_eq!(
        from_env.cert_file,
        Some(PathBuf::from("/etc/dkron/node.pem"))
    );
    assert_eq!(
        from_env.client_crl_file,
        Some(PathBuf::from("/etc/dkron/crl.pem"))
    );
    assert!(from_env.disable_http_tls);

    let from_flags = load(with_flags(&[
        ("cert-file", &["a.pem"]),
        ("key-file", &["a-key.pem"]),
    ]))
    .unwrap();
    assert_eq!(from_flags.key_file, Some(PathBuf::from("a-key.pem")));
    assert_eq!(from_flags.trusted_ca_file, None);
}

#[test]
fn nothing_set_means_no_tls() {
    let config = load(with_flags(&[])).unwrap();
    assert_eq!(
        (config.cert_file, config.key_file, config.trusted_ca_file),
        (None, None, None)
    );
    assert!(!config.client_cert_auth);
}

/// Flags given, the key the error is about, and the key it says is missing.
type Case = (
    &'static [(&'static str, &'static [&'static str])],
    &'static str,
    &'static str,
);

#[test]
fn keys_that_go_together_must_be_set_together() {
    let cases: [Case; 5] = [
        (&[("cert-file", &["a.pem"])], "cert-file", "key-file"),
        (&[("key-file", &["a-key.pem"])], "key-file", "cert-file"),
        (
            &[
                ("cert-file", &["a.pem"]),
                ("key-file", &["k.pem"]),
                ("client-cert-auth", &["true"]),
            ],
            "client-cert-auth",
            "trusted-ca-file",
        ),
        (
            &[
                ("trusted-ca-file", &["ca.pem"]),
                ("client-cert-auth", &["true"]),
            ],
            "client-cert-auth",
            "cert-file",
        ),
        (
            &[("client-crl-file", &["crl.pem"])],
            "client-crl-file",
            "trusted-ca-file",
        ),
    ];
    for (flags, key, needed) in cases {
        let (error, origin) = invalid(with_flags(flags));
        match &error {
            ValidationError::Needs {
                key: set, needs, ..
            } => {
                assert_eq!((*set, *needs), (key, needed), "{error}");
            }
            other => panic!("expected a missing companion key, got {other:?}"),
        }
        assert!(matches!(origin, ValueOrigin::Flag { .. }), "{origin:?}");
        assert!(error.to_string().contains(needed), "{error}");
    }
}

#[test]
fn auto_tls_is_refused_with_what_to_use_instead() {
    let (error, origin) = invalid(with_env(&[("DKRON_AUTO_TLS", "true")]));
    assert_eq!(error.key(), "auto-tls");
    let message = error.to_string();
    assert!(message.contains("dkron tls ca create"), "{message}");
    assert!(message.contains("encrypt"), "{message}");
    assert!(
        matches!(origin, ValueOrigin::Env { ref var } if var == "DKRON_AUTO_TLS"),
        "{origin:?}"
    );
}
