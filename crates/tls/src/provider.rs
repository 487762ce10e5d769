//! The one crypto provider every configuration is built with: rustls's `ring`.

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

/// Returns the `ring` provider (never aws-lc: no C build).
pub(crate) fn ring() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}
