//! Where the `gcppubsub` executor finds its server and credentials: the variables Google's own
//! client libraries read, taken from the process environment at run time.

use std::path::PathBuf;

/// Google's public Pub/Sub endpoint.
pub(super) const DEFAULT_ENDPOINT: &str = "https://pubsub.googleapis.com";
/// The GCE metadata server's host name.
const DEFAULT_METADATA_HOST: &str = "metadata.google.internal";

/// The settings a run reads from the environment (or that an embedder or a test fixes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PubSubEnvironment {
    /// `PUBSUB_EMULATOR_HOST` (`host:port`): plain-text HTTP/2 to it and no credentials.
    pub emulator_host: Option<String>,
    /// `PUBSUB_ENDPOINT`: another endpoint than `https://pubsub.googleapis.com` (a private
    /// or regional endpoint); `https://` dials TLS, `http://` plain text. Credentials are
    /// still sent.
    pub endpoint: Option<String>,
    /// `GOOGLE_APPLICATION_CREDENTIALS`: a credentials JSON file.
    pub credentials_file: Option<PathBuf>,
    /// gcloud's `application_default_credentials.json` (under `CLOUDSDK_CONFIG`, else
    /// `~/.config/gcloud`).
    pub well_known_file: Option<PathBuf>,
    /// `GCE_METADATA_HOST`, else `metadata.google.internal`.
    pub metadata_host: String,
}

impl PubSubEnvironment {
    /// Reads the settings from this process's environment.
    pub fn from_process() -> Self {
        let read = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let gcloud_dir = read("CLOUDSDK_CONFIG")
            .map(PathBuf::from)
            .or_else(|| read("HOME").map(|home| PathBuf::from(home).join(".config/gcloud")));
        PubSubEnvironment {
            emulator_host: read("PUBSUB_EMULATOR_HOST"),
            endpoint: read("PUBSUB_ENDPOINT"),
            credentials_file: read("GOOGLE_APPLICATION_CREDENTIALS").map(PathBuf::from),
            well_known_file: gcloud_dir.map(|dir| dir.join("application_default_credentials.json")),
            metadata_host: read("GCE_METADATA_HOST")
                .unwrap_or_else(|| DEFAULT_METADATA_HOST.to_owned()),
        }
    }

    /// Returns settings with only an emulator (no credentials are ever looked for).
    pub fn emulator(host_and_port: impl Into<String>) -> Self {
        PubSubEnvironment {
            emulator_host: Some(host_and_port.into()),
            metadata_host: DEFAULT_METADATA_HOST.to_owned(),
            ..PubSubEnvironment::default()
        }
    }
}
