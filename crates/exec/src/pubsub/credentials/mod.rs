//! Application Default Credentials, found in the order Google's client libraries use:
//! `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's well-known file, then the GCE metadata
//! server. Tokens are cached per source until shortly before they expire.

mod exchange;
mod file;
mod jwt;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use exchange::{AccessToken, MetadataFailure};
use file::CredentialFile;

use super::environment::PubSubEnvironment;
use super::error::CredentialError;

/// At most this many sources are cached (a node has one; a changed environment adds one).
const MAX_CACHED_TOKENS: usize = 8;
/// A token is renewed this long before its stated expiry.
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(60);

/// Where a token comes from; the key of the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum CredentialSource {
    File(String),
    Metadata(String),
}

struct CachedToken {
    value: String,
    renew_at: Instant,
}

/// Fetches access tokens from Application Default Credentials and keeps the last one of
/// each source until it is about to expire.
#[derive(Default)]
pub(super) struct TokenCache {
    client: std::sync::OnceLock<reqwest::Client>,
    tokens: Mutex<HashMap<CredentialSource, CachedToken>>,
}

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("TokenCache")
    }
}

impl TokenCache {
    /// Returns a valid access token for `environment`'s credentials.
    pub(super) async fn access_token(
        &self,
        environment: &PubSubEnvironment,
    ) -> Result<String, CredentialError> {
        let source = find_source(environment).await;
        if let Some(cached) = self.cached(&source) {
            return Ok(cached);
        }
        let token = self.fetch(&source, environment).await?;
        self.keep(source, &token);
        Ok(token.value)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CredentialSource, CachedToken>> {
        // Every entry is whole when inserted, so a panic elsewhere while the lock was held
        // leaves nothing half-written: keep using the cache rather than failing every run.
        self.tokens
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn cached(&self, source: &CredentialSource) -> Option<String> {
        let tokens = self.lock();
        tokens
            .get(source)
            .filter(|cached| Instant::now() < cached.renew_at)
            .map(|cached| cached.value.clone())
    }

    fn keep(&self, source: CredentialSource, token: &AccessToken) {
        let margin = RENEW_BEFORE_EXPIRY.min(token.lifetime / 2);
        let renew_at = Instant::now() + token.lifetime - margin;
        let mut tokens = self.lock();
        if tokens.len() >= MAX_CACHED_TOKENS && !tokens.contains_key(&source) {
            tokens.clear();
        }
        tokens.insert(
            source,
            CachedToken {
                value: token.value.clone(),
                renew_at,
            },
        );
    }

    async fn fetch(
        &self,
        source: &CredentialSource,
        environment: &PubSubEnvironment,
    ) -> Result<AccessToken, CredentialError> {
        let client = self.client();
        match source {
            CredentialSource::File(path) => {
                let text = tokio::fs::read_to_string(path).await.map_err(|error| {
                    CredentialError::NotFound(format!("cannot read {path}: {error}"))
                })?;
                let credentials = file::parse(&text, path)?;
                token_from_file(client, &credentials, path).await
            }
            CredentialSource::Metadata(host) => match exchange::from_metadata(client, host).await {
                Ok(token) => Ok(token),
                Err(MetadataFailure::Refused(error)) => Err(error),
                Err(MetadataFailure::Unreachable(why)) => {
                    Err(CredentialError::NotFound(nothing_found(environment, &why)))
                }
            },
        }
    }

    fn client(&self) -> &reqwest::Client {
        self.client.get_or_init(|| {
            install_ring_provider();
            reqwest::Client::builder()
                .tls_backend_rustls()
                .build()
                .unwrap_or_default()
        })
    }
}

/// Picks the first source that is there. A `GOOGLE_APPLICATION_CREDENTIALS` that names a
/// missing file is used anyway (and fails), as Google's clients do: falling back would hide
/// the mistake.
async fn find_source(environment: &PubSubEnvironment) -> CredentialSource {
    if let Some(path) = &environment.credentials_file {
        return CredentialSource::File(path.display().to_string());
    }
    if let Some(path) = &environment.well_known_file
        && file_is_there(path).await
    {
        return CredentialSource::File(path.display().to_string());
    }
    CredentialSource::Metadata(environment.metadata_host.clone())
}

async fn file_is_there(path: &Path) -> bool {
    tokio::fs::try_exists(path).await.unwrap_or(false)
}

async fn token_from_file(
    client: &reqwest::Client,
    credentials: &CredentialFile,
    path: &str,
) -> Result<AccessToken, CredentialError> {
    match credentials {
        CredentialFile::ServiceAccount(account) => {
            let now = chrono::Utc::now().timestamp();
            let assertion =
                jwt::signed_assertion(account, now).map_err(|why| CredentialError::Invalid {
                    path: path.to_owned(),
                    why,
                })?;
            let form = [
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ];
            exchange::exchange(client, &account.token_uri, &form).await
        }
        CredentialFile::AuthorizedUser(user) => {
            let form = [
                ("grant_type", "refresh_token"),
                ("client_id", user.client_id.as_str()),
                ("client_secret", user.client_secret.as_str()),
                ("refresh_token", user.refresh_token.as_str()),
            ];
            exchange::exchange(client, &user.token_uri, &form).await
        }
    }
}

fn nothing_found(environment: &PubSubEnvironment, metadata_error: &str) -> String {
    let well_known = match &environment.well_known_file {
        Some(path) => format!("{} does not exist", path.display()),
        None => "no gcloud configuration directory (HOME is not set)".to_owned(),
    };
    format!(
        "GOOGLE_APPLICATION_CREDENTIALS is not set, {well_known}, and the metadata server \
         {} did not answer ({metadata_error}); set GOOGLE_APPLICATION_CREDENTIALS to a \
         service account key file, or PUBSUB_EMULATOR_HOST for an emulator",
        environment.metadata_host
    )
}

/// reqwest's rustls backend needs a process-wide crypto provider: ring, never aws-lc.
fn install_ring_provider() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // Another part of the node may have installed it first; either way ring is used.
        let _installed_before = rustls::crypto::ring::default_provider().install_default();
    });
}
