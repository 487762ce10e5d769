//! Why TLS material could not be read, built or issued.

use std::path::PathBuf;

/// An error reading or using TLS material; file errors name the config key and the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file named by a setting cannot be read.
    #[error("{key}: cannot read {}: {source}", path.display())]
    Read {
        /// The setting (`cert-file`, `key-file`, …).
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file holds no usable PEM item of the kind the setting needs.
    #[error("{key}: {} is not usable: {problem}", path.display())]
    BadPem {
        /// The setting.
        key: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// rustls refused the material (a key that does not match its certificate, …).
    #[error("{what}: {source}")]
    Rustls {
        /// What was being built.
        what: &'static str,
        /// rustls's error.
        source: rustls::Error,
    },
    /// A certificate could not be issued.
    #[error("cannot issue the {what}: {message}")]
    Issue {
        /// Which certificate.
        what: &'static str,
        /// Why.
        message: String,
    },
}

impl TlsError {
    pub(crate) fn rustls(what: &'static str) -> impl FnOnce(rustls::Error) -> TlsError {
        move |source| TlsError::Rustls { what, source }
    }

    pub(crate) fn issue(what: &'static str) -> impl FnOnce(rcgen::Error) -> TlsError {
        move |error| TlsError::Issue {
            what,
            message: error.to_string(),
        }
    }
}
