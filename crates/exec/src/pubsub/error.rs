//! The errors of the `gcppubsub` executor. None of them ever holds a secret: credential files
//! are named by path, token endpoints by URL, and their contents never appear.

/// A `gcppubsub` key is missing or wrong. The first three use Dkron's exact wording.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PubSubConfigError {
    /// `project` is missing or empty.
    #[error("missing project")]
    MissingProject,
    /// `topic` is missing or empty.
    #[error("missing topic")]
    MissingTopic,
    /// Neither `data` nor `attributes` gives the message anything.
    #[error("at least one of these fields should be set 'attributes, data'")]
    NothingToPublish,
    /// `project` cannot be part of a resource name.
    #[error("{0}")]
    BadProject(String),
    /// `topic` is not a topic id Pub/Sub accepts.
    #[error("{0}")]
    BadTopic(String),
    /// `data` is not standard base64.
    #[error("not valid base64 (standard alphabet, with padding): {0}")]
    DataNotBase64(String),
    /// `attributes` is not a JSON object of strings.
    #[error("{0}")]
    BadAttributes(String),
}

impl PubSubConfigError {
    /// Returns the key at fault.
    pub fn key(&self) -> &'static str {
        match self {
            PubSubConfigError::MissingProject | PubSubConfigError::BadProject(_) => "project",
            PubSubConfigError::MissingTopic | PubSubConfigError::BadTopic(_) => "topic",
            PubSubConfigError::NothingToPublish | PubSubConfigError::DataNotBase64(_) => "data",
            PubSubConfigError::BadAttributes(_) => "attributes",
        }
    }

    /// Returns the error line of a run refused for this config: Dkron's text where Dkron has
    /// one, otherwise the message prefixed by its key.
    pub fn run_error_line(&self) -> String {
        match self {
            PubSubConfigError::MissingProject
            | PubSubConfigError::MissingTopic
            | PubSubConfigError::NothingToPublish => self.to_string(),
            other => format!("gcppubsub: {}: {other}", other.key()),
        }
    }
}

/// No access token could be had from Application Default Credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// No source of credentials is there (or the one named cannot be read).
    #[error("no Application Default Credentials found: {0}")]
    NotFound(String),
    /// A credentials file is there but unusable.
    #[error("invalid credentials in {path}: {why}")]
    Invalid {
        /// The file, as found.
        path: String,
        /// What is wrong with it (never its content).
        why: String,
    },
    /// The token endpoint refused or could not be reached.
    #[error("token exchange at {uri} failed: {why}")]
    Exchange {
        /// The token endpoint.
        uri: String,
        /// The HTTP status and OAuth error code, or the transport error.
        why: String,
    },
}

/// A publish that did not give a message id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublishError {
    /// The endpoint is not a URI tonic can dial.
    #[error("gcppubsub: bad endpoint {endpoint:?}: {why}")]
    BadEndpoint {
        /// The endpoint as configured.
        endpoint: String,
        /// Why it cannot be used.
        why: String,
    },
    /// The server answered with a gRPC status, worded as Go's gRPC client (and so Dkron) does.
    #[error("rpc error: code = {code} desc = {message}")]
    Status {
        /// The status code's name (`NotFound`, `Unavailable`, ...).
        code: String,
        /// The status message.
        message: String,
    },
    /// The server answered without a message id.
    #[error("gcppubsub: the server returned no message id")]
    NoMessageId,
    /// Credentials were needed and could not be had.
    #[error(transparent)]
    Credentials(#[from] CredentialError),
}
