//! Typed errors of this crate. Their messages end up in an execution's output, so several
//! keep Dkron's wording on purpose.

use dkron_model::{DurationError, MemLimitError};

/// Why the registry could not pick an executor for a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// The job names no executor at all.
    #[error("No executor defined, nothing to do")]
    NoExecutor,
    /// The job names an executor this node does not have.
    #[error("Specified executor \"{name}\" is not present (known executors: {})", known.join(", "))]
    UnknownExecutor {
        /// The requested name.
        name: String,
        /// Every name the registry knows, sorted.
        known: Vec<String>,
    },
}

/// Why a `shell` executor config was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellConfigError {
    /// `command` is empty or only whitespace.
    #[error("shell: Command missing")]
    CommandMissing,
    /// `timeout` is not a Go duration.
    #[error("shell: invalid timeout: {0}")]
    Timeout(#[source] DurationError),
    /// `mem_limit` is not a valid memory size.
    #[error("shell: invalid mem_limit: {0}")]
    MemLimit(#[source] MemLimitError),
    /// `payload` is not standard base64.
    #[error("shell: payload is not valid base64: {reason}")]
    Payload {
        /// What the decoder reported.
        reason: String,
    },
    /// `command` has an unterminated quote or a trailing backslash.
    #[error("shell: cannot split command {command:?}: unbalanced quotes or trailing backslash")]
    Unsplittable {
        /// The rejected command line.
        command: String,
    },
    /// `command` uses shell syntax while `shell` is false.
    #[error(
        "shell: command contains an unquoted '{operator}', which only a shell understands; \
         set \"shell\": \"true\" in executor_config to run it with /bin/sh"
    )]
    NeedsShell {
        /// The first unquoted operator character found.
        operator: char,
    },
    /// `su` is malformed (empty user or group part).
    #[error("shell: invalid su value {value:?}: expected user or user:group")]
    SwitchUser {
        /// The rejected value.
        value: String,
    },
    /// The `su` user is neither a number nor a name in /etc/passwd.
    #[error("shell: su: unknown user {user:?}")]
    UnknownUser {
        /// The user name.
        user: String,
    },
    /// The `su` group is neither a number nor a name in /etc/group.
    #[error("shell: su: unknown group {group:?}")]
    UnknownGroup {
        /// The group name.
        group: String,
    },
}

/// Why an `http` executor config was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpConfigError {
    /// `method` is missing or empty.
    #[error("method is empty")]
    MethodMissing,
    /// `url` is missing or empty.
    #[error("url is empty")]
    UrlMissing,
    /// `method` is not a valid HTTP method token.
    #[error("invalid method {method:?}")]
    Method {
        /// The rejected method.
        method: String,
    },
    /// `url` does not parse as an absolute URL.
    #[error("invalid url {url:?}: {reason}")]
    Url {
        /// The rejected URL.
        url: String,
        /// What the parser reported.
        reason: String,
    },
    /// `expectBody` is not a valid regular expression.
    #[error("invalid expectBody regular expression: {reason}")]
    ExpectBody {
        /// What the regex compiler reported.
        reason: String,
    },
}

/// Why a processor could not be set up for a run (the run goes on without it).
#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// `files`: the log directory could not be created.
    #[error("cannot create {dir}: {source}")]
    CreateDir {
        /// The directory.
        dir: String,
        /// What the file system said.
        source: std::io::Error,
    },
    /// `files`: the execution's log file could not be opened.
    #[error("cannot open {path}: {source}")]
    OpenFile {
        /// The file.
        path: String,
        /// What the file system said.
        source: std::io::Error,
    },
    /// `syslog`: no socket could be opened.
    #[error("cannot open a syslog socket: {0}")]
    SyslogSocket(#[source] std::io::Error),
    /// `syslog`: the UDP peer could not be set.
    #[error("syslog address {peer}: {source}")]
    SyslogPeer {
        /// The `udp:` address.
        peer: String,
        /// What the socket said.
        source: std::io::Error,
    },
    /// `syslog`: the address is neither `unix:` nor `udp:`.
    #[error("syslog address {address:?}: use unix:<path> or udp:<host:port>")]
    SyslogAddress {
        /// The rejected address.
        address: String,
    },
}

/// Why the `fluent` processor could not send a record.
#[derive(Debug, thiserror::Error)]
pub enum FluentError {
    /// `host:port` is not a socket address.
    #[error("fluent address {address}: {source}")]
    Address {
        /// The configured address.
        address: String,
        /// Why it does not parse.
        source: std::net::AddrParseError,
    },
    /// Connecting or writing failed.
    #[error("fluent {address}: {source}")]
    Send {
        /// The configured address.
        address: String,
        /// What the connection said.
        source: std::io::Error,
    },
}

/// Why the `http` executor has no client for a request's TLS settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpClientError {
    /// The blocking task building the client did not finish.
    #[error("http: building client failed: {0}")]
    BuildTask(String),
    /// reqwest refused the settings; the text joins the error's sources.
    #[error("http: cannot build client: {0}")]
    Build(String),
}
