//! HTTP clients, built per TLS setting and cached, as Dkron does.

use std::collections::HashMap;
use std::sync::{Mutex, Once};

use dkron_model::limits::MAX_CACHED_HTTP_CLIENTS;
use reqwest::{Certificate, Client, Identity};

use super::config::TlsSettings;
use crate::error::HttpClientError;
use crate::error_chain::error_chain;

/// A client and the warnings produced while building it (files that failed to load); the
/// warnings are repeated on every run that uses the client.
#[derive(Debug, Clone)]
pub(super) struct PreparedClient {
    pub(super) client: Client,
    pub(super) warnings: Vec<String>,
}

#[derive(Debug)]
struct CacheEntry {
    prepared: PreparedClient,
    last_used: u64,
}

/// A bounded least-recently-used map from TLS settings to clients.
#[derive(Debug)]
pub(super) struct ClientCache {
    entries: Mutex<CacheState>,
    capacity: usize,
}

impl Default for ClientCache {
    fn default() -> Self {
        ClientCache::with_capacity(MAX_CACHED_HTTP_CLIENTS)
    }
}

#[derive(Debug, Default)]
struct CacheState {
    by_settings: HashMap<TlsSettings, CacheEntry>,
    clock: u64,
}

impl ClientCache {
    /// Returns an empty cache keeping at most `capacity` clients.
    fn with_capacity(capacity: usize) -> Self {
        ClientCache {
            entries: Mutex::default(),
            capacity,
        }
    }

    /// Returns the cached client for `settings`, building it (off the runtime threads, since it
    /// reads files) when missing.
    pub(super) async fn client_for(
        &self,
        settings: &TlsSettings,
    ) -> Result<PreparedClient, HttpClientError> {
        if let Some(prepared) = self.lookup(settings) {
            return Ok(prepared);
        }
        let settings_for_build = settings.clone();
        let prepared = tokio::task::spawn_blocking(move || build_client(&settings_for_build))
            .await
            .map_err(|error| HttpClientError::BuildTask(error.to_string()))??;
        self.store(settings.clone(), prepared.clone());
        Ok(prepared)
    }

    /// Returns how many clients are cached.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().by_settings.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // A panic while holding the lock cannot leave the map half-updated in a way that
        // matters: every entry is complete on insert.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lookup(&self, settings: &TlsSettings) -> Option<PreparedClient> {
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        let entry = state.by_settings.get_mut(settings)?;
        entry.last_used = now;
        Some(entry.prepared.clone())
    }

    fn store(&self, settings: TlsSettings, prepared: PreparedClient) {
        let mut state = self.lock();
        state.clock += 1;
        let now = state.clock;
        if state.by_settings.len() >= self.capacity && !state.by_settings.contains_key(&settings) {
            state.evict_least_recently_used();
        }
        state.by_settings.insert(
            settings,
            CacheEntry {
                prepared,
                last_used: now,
            },
        );
    }
}

impl CacheState {
    /// Drops the client used longest ago. The scan is over at most the capacity, on a miss
    /// only, where building the new client (reading files, loading roots) costs far more.
    fn evict_least_recently_used(&mut self) {
        let oldest = self
            .by_settings
            .iter()
            .min_by_key(|(_, entry)| entry.last_used)
            .map(|(key, _)| key.clone());
        if let Some(oldest) = oldest {
            self.by_settings.remove(&oldest);
        }
    }
}

/// Installs rustls' ring provider as the process default, once; a provider installed earlier
/// by someone else is kept.
pub(super) fn ensure_crypto_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let _already_installed = rustls::crypto::ring::default_provider().install_default();
    });
}

fn build_client(settings: &TlsSettings) -> Result<PreparedClient, HttpClientError> {
    ensure_crypto_provider();
    let mut warnings = Vec::new();
    let mut builder = Client::builder().tls_backend_rustls();
    if settings.no_verify_peer {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    if let Some(path) = &settings.root_cas_file {
        let loaded = std::fs::read(path)
            .map_err(|error| error.to_string())
            .and_then(|pem| Certificate::from_pem_bundle(&pem).map_err(|error| error.to_string()))
            .and_then(|certificates| match certificates.is_empty() {
                true => Err("no certificate in file".to_string()),
                false => Ok(certificates),
            });
        match loaded {
            Ok(certificates) => builder = builder.tls_certs_only(certificates),
            Err(error) => warnings.push(format!(
                "Warning: cannot load root CAs from {}: {error}; using the system roots",
                path.display()
            )),
        }
    }
    match (&settings.certificate_file, &settings.certificate_key_file) {
        (Some(certificate_path), Some(key_path)) => {
            let loaded = std::fs::read(certificate_path)
                .and_then(|mut pem| {
                    pem.push(b'\n');
                    pem.extend(std::fs::read(key_path)?);
                    Ok(pem)
                })
                .map_err(|error| error.to_string())
                .and_then(|pem| Identity::from_pem(&pem).map_err(|error| error.to_string()));
            match loaded {
                Ok(identity) => builder = builder.identity(identity),
                Err(error) => warnings.push(format!(
                    "Warning: cannot load client certificate {} with key {}: {error}; \
                     continuing without it",
                    certificate_path.display(),
                    key_path.display()
                )),
            }
        }
        (None, None) => {}
        _ => warnings.push(
            "Warning: tlsCertificateFile and tlsCertificateKeyFile must be set together; \
             continuing without a client certificate"
                .to_string(),
        ),
    }
    let client = builder
        .build()
        .map_err(|error| HttpClientError::Build(error_chain(&error)))?;
    Ok(PreparedClient { client, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn distinct_settings(index: usize) -> TlsSettings {
        TlsSettings {
            root_cas_file: Some(PathBuf::from(format!("/nonexistent/{index}.pem"))),
            ..TlsSettings::default()
        }
    }

    #[tokio::test]
    async fn clients_are_reused_and_bounded() {
        let cache = ClientCache::default();
        assert_eq!(cache.capacity, MAX_CACHED_HTTP_CLIENTS);
        let plain = TlsSettings::default();
        cache.client_for(&plain).await.unwrap();
        cache.client_for(&plain).await.unwrap();
        assert_eq!(cache.len(), 1);
        for index in 0..MAX_CACHED_HTTP_CLIENTS + 5 {
            cache.client_for(&distinct_settings(index)).await.unwrap();
        }
        assert_eq!(cache.len(), MAX_CACHED_HTTP_CLIENTS);
    }

    #[tokio::test]
    async fn far_past_the_bound_the_client_in_use_stays_and_old_ones_go() {
        // A small capacity drives the same eviction ten times over without building
        // thousands of clients.
        let capacity = 8;
        let cache = ClientCache::with_capacity(capacity);
        let in_use = TlsSettings::default();
        cache.client_for(&in_use).await.unwrap();
        for index in 0..10 * capacity {
            cache.client_for(&distinct_settings(index)).await.unwrap();
            cache.client_for(&in_use).await.unwrap();
            assert!(cache.len() <= capacity);
        }
        assert_eq!(cache.len(), capacity);
        assert!(
            cache.lookup(&in_use).is_some(),
            "the client every run uses is kept"
        );
        assert!(
            cache.lookup(&distinct_settings(0)).is_none(),
            "the oldest is gone"
        );
        let newest = distinct_settings(10 * capacity - 1);
        assert!(cache.lookup(&newest).is_some());
    }

    #[tokio::test]
    async fn unreadable_files_become_warnings() {
        let cache = ClientCache::default();
        let settings = TlsSettings {
            root_cas_file: Some(PathBuf::from("/nonexistent/ca.pem")),
            certificate_file: Some(PathBuf::from("/nonexistent/cert.pem")),
            certificate_key_file: Some(PathBuf::from("/nonexistent/key.pem")),
            no_verify_peer: false,
        };
        let prepared = cache.client_for(&settings).await.unwrap();
        assert_eq!(prepared.warnings.len(), 2, "{:?}", prepared.warnings);
        assert!(prepared.warnings[0].contains("root CAs"));
        assert!(prepared.warnings[1].contains("client certificate"));
        // The warnings come back with the cached client too.
        assert_eq!(cache.client_for(&settings).await.unwrap().warnings.len(), 2);
    }
}
