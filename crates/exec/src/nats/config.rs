//! The `nats` executor's keys, parsed and checked from Dkron's string map without the
//! network: both the submission check and every run go through [`NatsConfig::from_map`].

use std::collections::BTreeMap;

use async_nats::ServerAddr;

use super::error::NatsConfigError;

/// Credentials sent in the CONNECT message, the way nats.go picks them: the `userName` and
/// `password` keys, or else the user info of a server URL (a user alone is a token).
#[derive(Clone, PartialEq, Eq)]
pub(super) enum Credentials {
    /// Nothing to send.
    None,
    /// A user name and its password.
    UserPassword { user: String, password: String },
    /// An authorization token (`nats://s3cret@host`).
    Token(String),
}

impl std::fmt::Debug for Credentials {
    // Written by hand so that a debug print of a config can never show a secret.
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::None => formatter.write_str("None"),
            Credentials::UserPassword { user, .. } => {
                write!(
                    formatter,
                    "UserPassword {{ user: {user:?}, password: <redacted> }}"
                )
            }
            Credentials::Token(_) => formatter.write_str("Token(<redacted>)"),
        }
    }
}

/// A validated `nats` executor config.
#[derive(Debug, Clone)]
pub(super) struct NatsConfig {
    /// `url`: the servers to try, in the order given, without user info.
    pub(super) servers: Vec<ServerAddr>,
    /// `subject`: where the message goes.
    pub(super) subject: String,
    /// `message`: the payload (may be empty).
    pub(super) message: String,
    /// `userName` / `password`, or the user info of a server URL.
    pub(super) credentials: Credentials,
    /// `debug`: any non-empty value logs the config (secrets hidden) and the message sent.
    pub(super) debug: bool,
}

impl NatsConfig {
    /// Parses Dkron's `nats` keys; unknown keys are ignored as Dkron does.
    pub(super) fn from_map(config: &BTreeMap<String, String>) -> Result<Self, NatsConfigError> {
        let value = |key: &str| config.get(key).map(String::as_str).unwrap_or("");
        let servers = parse_server_list(value("url"))?;
        let subject = value("subject");
        if subject.is_empty() {
            return Err(NatsConfigError::SubjectEmpty);
        }
        if subject.chars().any(char::is_whitespace) {
            return Err(NatsConfigError::SubjectWhitespace {
                subject: subject.to_string(),
            });
        }
        let credentials = credentials_from(value("userName"), value("password"), &servers);
        Ok(NatsConfig {
            servers: servers.into_iter().map(without_user_info).collect(),
            subject: subject.to_string(),
            message: value("message").to_string(),
            credentials,
            debug: !value("debug").is_empty(),
        })
    }
}

/// Splits the comma-separated server list as nats.go does: entries are trimmed, a trailing
/// `/` dropped, and an entry without a scheme is a `nats://` one (`host:port`).
fn parse_server_list(list: &str) -> Result<Vec<ServerAddr>, NatsConfigError> {
    let mut servers = Vec::new();
    for entry in list.split(',') {
        let entry = entry.trim();
        // One trailing `/` goes (`nats://h:4222/`), but not the one of a bare `nats://`.
        let entry = match entry.strip_suffix('/') {
            Some(rest) if !rest.ends_with(":/") => rest,
            _ => entry,
        };
        // An empty entry (a trailing comma, `a,,b`) is skipped rather than refused: it holds
        // no address to try, and refusing it would break lists Dkron accepted.
        if entry.is_empty() {
            continue;
        }
        servers.push(parse_server(entry)?);
    }
    if servers.is_empty() {
        return Err(NatsConfigError::UrlEmpty);
    }
    Ok(servers)
}

fn parse_server(entry: &str) -> Result<ServerAddr, NatsConfigError> {
    let refuse = |reason: String| NatsConfigError::BadServer {
        entry: dkron_model::secrets::redact_urls_in(entry),
        reason,
    };
    let server: ServerAddr = entry.parse().map_err(|error: std::io::Error| {
        // The client's text names the `url` crate's reason, never the entry itself.
        refuse(error.to_string())
    })?;
    if server.is_websocket() {
        return Err(refuse(
            "websocket servers (ws://, wss://) are not supported; use nats:// or tls://"
                .to_string(),
        ));
    }
    if server.host().is_empty() {
        return Err(refuse("the address has no host".to_string()));
    }
    Ok(server)
}

/// Picks the credentials as nats.go does for Dkron's `nats.UserInfo(userName, password)`:
/// user info written in a server URL wins over the keys (a user without a password is a
/// token). Every server of the list gets the same credentials: the first URL's user info.
fn credentials_from(user: &str, password: &str, servers: &[ServerAddr]) -> Credentials {
    let url_user_info = servers
        .iter()
        .find_map(|server| server.username().map(|name| (name, server.password())));
    match url_user_info {
        Some((name, Some(secret))) => Credentials::UserPassword {
            user: percent_decoded(name),
            password: percent_decoded(secret),
        },
        Some((token, None)) => Credentials::Token(percent_decoded(token)),
        None if user.is_empty() && password.is_empty() => Credentials::None,
        None => Credentials::UserPassword {
            user: user.to_string(),
            password: password.to_string(),
        },
    }
}

/// Returns the address without its user info: the credentials travel separately, and the
/// client logs server addresses at debug level (a password in one would end up in the log).
fn without_user_info(server: ServerAddr) -> ServerAddr {
    let mut url = server.clone().into_inner();
    if url.set_username("").is_err() || url.set_password(None).is_err() {
        return server;
    }
    ServerAddr::from_url(url).unwrap_or(server)
}

/// Decodes `%XX` escapes of URL user info (a password holding `@` or `:` must be written
/// escaped); anything that is not a valid escape is kept as written.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes
            .get(index + 1..index + 3)
            .filter(|hex| bytes[index] == b'%' && hex.iter().all(u8::is_ascii_hexdigit));
        let value = escape
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match value {
            Some(byte) => {
                decoded.push(byte);
                index += 3;
            }
            None => {
                decoded.push(bytes[index]);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
#[path = "config_test.rs"]
mod tests;
