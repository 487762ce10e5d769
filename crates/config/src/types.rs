//! Value types of the agent configuration: log settings, gossip profile, misfire policy,
//! addresses and secrets. Each parses from the text a user writes and prints back the same way.

use std::fmt;
use std::net::Ipv6Addr;
use std::str::FromStr;

use base64::Engine as _;
use serde::{Serialize, Serializer};

use crate::error::ValidationError;

/// How much the agent logs (`log-level`).
///
/// Dkron's `fatal` and `panic` are accepted and log errors only; `trace` is an addition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogLevel {
    /// Everything, including per-message details of libraries.
    Trace,
    /// Debugging detail.
    Debug,
    /// Normal operation (the default).
    Info,
    /// Problems that do not stop the agent.
    Warn,
    /// Errors only.
    Error,
    /// Dkron's `fatal`: errors only.
    Fatal,
    /// Dkron's `panic`: errors only.
    Panic,
}

impl LogLevel {
    /// Returns the name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Fatal => "fatal",
            LogLevel::Panic => "panic",
        }
    }
}

impl FromStr for LogLevel {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "trace" => Ok(LogLevel::Trace),
            "debug" => Ok(LogLevel::Debug),
            "info" => Ok(LogLevel::Info),
            "warn" | "warning" => Ok(LogLevel::Warn),
            "error" => Ok(LogLevel::Error),
            "fatal" => Ok(LogLevel::Fatal),
            "panic" => Ok(LogLevel::Panic),
            _ => Err(ValidationError::UnknownLogLevel {
                value: text.to_string(),
            }),
        }
    }
}

/// How log lines are written (`log-format`, a dkron-rs addition).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Text,
    /// One JSON object per line, for log shippers.
    Json,
}

impl LogFormat {
    /// Returns the name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        }
    }
}

impl FromStr for LogFormat {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(ValidationError::UnknownLogFormat {
                value: text.to_string(),
            }),
        }
    }
}

/// Gossip timing preset (`profile`), named as in Dkron.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GossipProfile {
    /// Nodes on one local network (the default).
    Lan,
    /// Nodes across a wide-area network: slower probes, longer suspicion.
    Wan,
    /// Nodes on one machine: the fastest timings.
    Local,
}

impl GossipProfile {
    /// Returns the name used in configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            GossipProfile::Lan => "lan",
            GossipProfile::Wan => "wan",
            GossipProfile::Local => "local",
        }
    }
}

impl FromStr for GossipProfile {
    type Err = ValidationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "lan" => Ok(GossipProfile::Lan),
            "wan" => Ok(GossipProfile::Wan),
            "local" => Ok(GossipProfile::Local),
            _ => Err(ValidationError::UnknownProfile {
                value: text.to_string(),
            }),
        }
    }
}

/// What the scheduler does with occurrences missed while no leader ran (`misfire-policy`):
/// the model's type that the scheduler applies, so the setting and the behaviour cannot drift
/// apart.
pub use dkron_model::MisfirePolicy;

/// Serialises a value through its `Display` form.
pub(crate) fn serialize_display<T: fmt::Display, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Parses a `misfire-policy` value into the scheduler's policy.
pub(crate) fn parse_misfire_policy(text: &str) -> Result<MisfirePolicy, ValidationError> {
    text.trim()
        .parse()
        .map_err(|_| ValidationError::UnknownMisfirePolicy {
            value: text.to_string(),
        })
}

macro_rules! display_and_serialize_as_str {
    ($($name:ty),*) => {$(
        impl fmt::Display for $name {
            fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    )*};
}

display_and_serialize_as_str!(LogLevel, LogFormat, GossipProfile);

/// A network address as `host:port`; an empty host means every local interface.
///
/// Written as `10.0.0.1:8946`, `node1.example:8946`, `:8080` or `[::1]:8946`. Dkron also
/// accepts go-sockaddr templates such as `{{ GetPrivateIP }}`; dkron-rs does not evaluate
/// templates yet and rejects them with a clear error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or IP address (IPv6 without brackets); empty for every interface.
    pub host: String,
    /// TCP or UDP port, 1 to 65535.
    pub port: u16,
}

impl HostPort {
    /// Returns the address with the given host and port.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        HostPort {
            host: host.into(),
            port,
        }
    }

    /// Parses `host:port`, `:port`, `[v6]:port`, or (when `default_port` is given) a bare host.
    ///
    /// `key` names the setting in the error.
    pub fn parse(
        key: &'static str,
        text: &str,
        default_port: Option<u16>,
    ) -> Result<Self, ValidationError> {
        let invalid = |problem: &'static str| ValidationError::InvalidAddress {
            key,
            value: text.to_string(),
            problem,
        };
        let trimmed = text.trim();
        if trimmed.is_empty() {
            return Err(invalid("the address is empty"));
        }
        if trimmed.contains("{{") {
            return Err(invalid(
                "go-sockaddr templates are not supported yet; give an IP address or a host name",
            ));
        }
        if trimmed.contains(char::is_whitespace) {
            return Err(invalid("the address contains whitespace"));
        }
        let (host, port_text) = if let Some(bracketed) = trimmed.strip_prefix('[') {
            let (host, after) = bracketed
                .split_once(']')
                .ok_or_else(|| invalid("missing ']' after an IPv6 address"))?;
            if host.parse::<Ipv6Addr>().is_err() {
                return Err(invalid("not an IPv6 address inside brackets"));
            }
            match after {
                "" => (host, None),
                _ => match after.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None => return Err(invalid("expected ':port' after ']'")),
                },
            }
        } else if trimmed.parse::<Ipv6Addr>().is_ok() {
            (trimmed, None)
        } else {
            match trimmed.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (trimmed, None),
            }
        };
        let port = match port_text {
            Some(port_text) => port_text
                .parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| invalid("the port must be a number from 1 to 65535"))?,
            None => default_port.ok_or_else(|| invalid("missing port, expected host:port"))?,
        };
        Ok(HostPort::new(host, port))
    }

    /// Returns the host to bind to: `0.0.0.0` when the host is empty.
    pub fn bind_host(&self) -> &str {
        if self.host.is_empty() {
            "0.0.0.0"
        } else {
            &self.host
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(formatter, "[{}]:{}", self.host, self.port)
        } else {
            write!(formatter, "{}:{}", self.host, self.port)
        }
    }
}

impl Serialize for HostPort {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Text that must not appear in logs, such as the SMTP password.
///
/// `Debug` and `Serialize` print `<redacted>`; [`Secret::expose`] gives the real value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

/// What `Debug` and `Serialize` print instead of a secret.
const REDACTED: &str = "<redacted>";

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// Returns the secret value itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(REDACTED)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

/// Symmetric key for gossip encryption (`encrypt`): 16, 24 or 32 bytes, written in base64.
///
/// `dkron keygen` prints a suitable key. `Debug` and `Serialize` never show the key.
#[derive(Clone, PartialEq, Eq)]
pub struct GossipKey(Vec<u8>);

impl GossipKey {
    /// Key lengths accepted, in bytes (AES-128, AES-192, AES-256).
    pub const ACCEPTED_LENGTHS: [usize; 3] = [16, 24, 32];

    /// Decodes a standard base64 key and checks its length.
    pub fn from_base64(text: &str) -> Result<Self, ValidationError> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| ValidationError::InvalidEncryptionKey {
                problem: "not valid base64".to_string(),
            })?;
        Self::from_bytes(bytes)
    }

    /// Checks the length of raw key bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, ValidationError> {
        if !Self::ACCEPTED_LENGTHS.contains(&bytes.len()) {
            return Err(ValidationError::InvalidEncryptionKey {
                problem: format!("the key is {} bytes, expected 16, 24 or 32", bytes.len()),
            });
        }
        Ok(GossipKey(bytes))
    }

    /// Returns the raw key bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Returns the key in standard base64, as written in configuration.
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }
}

impl fmt::Debug for GossipKey {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "GossipKey({REDACTED}, {} bytes)", self.0.len())
    }
}

impl Serialize for GossipKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses() {
        let parse = |text| HostPort::parse("bind-addr", text, Some(8946));
        assert_eq!(
            parse("10.0.0.1:7946").unwrap(),
            HostPort::new("10.0.0.1", 7946)
        );
        assert_eq!(parse("10.0.0.1").unwrap(), HostPort::new("10.0.0.1", 8946));
        assert_eq!(parse(":8080").unwrap(), HostPort::new("", 8080));
        assert_eq!(
            parse("node1.example:1").unwrap(),
            HostPort::new("node1.example", 1)
        );
        assert_eq!(parse("[::1]:8946").unwrap(), HostPort::new("::1", 8946));
        assert_eq!(parse("[fe80::1]").unwrap(), HostPort::new("fe80::1", 8946));
        assert_eq!(parse("fe80::1").unwrap(), HostPort::new("fe80::1", 8946));
        for bad in [
            "",
            "host:",
            "host:0",
            "host:70000",
            "host:port",
            "[::1",
            "{{ GetPrivateIP }}:8946",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
        assert!(HostPort::parse("http-addr", "localhost", None).is_err());
    }

    #[test]
    fn prints_addresses_back() {
        for text in [":8080", "10.0.0.1:8946", "[::1]:8946"] {
            assert_eq!(HostPort::parse("k", text, None).unwrap().to_string(), text);
        }
        assert_eq!(HostPort::new("", 8080).bind_host(), "0.0.0.0");
    }

    #[test]
    fn parses_names_case_insensitively_where_dkron_does() {
        assert_eq!("WARNING".parse::<LogLevel>().unwrap(), LogLevel::Warn);
        assert_eq!("Json".parse::<LogFormat>().unwrap(), LogFormat::Json);
        assert!("verbose".parse::<LogLevel>().is_err());
        assert!("LAN".parse::<GossipProfile>().is_err());
        assert_eq!(
            "run_all".parse::<MisfirePolicy>().unwrap(),
            MisfirePolicy::RunAll
        );
        assert!("run-all".parse::<MisfirePolicy>().is_err());
    }

    #[test]
    fn checks_gossip_key_length_and_hides_it() {
        let key = GossipKey::from_base64("AAECAwQFBgcICQoLDA0ODw==").unwrap();
        assert_eq!(key.as_bytes().len(), 16);
        assert_eq!(key.to_base64(), "AAECAwQFBgcICQoLDA0ODw==");
        assert!(!format!("{key:?}").contains("AAEC"));
        assert!(GossipKey::from_base64("AAECAwQFBgcICQoLDA0O").is_err());
        assert!(GossipKey::from_base64("not base64!").is_err());
        assert_eq!(format!("{:?}", Secret::new("hunter2")), "<redacted>");
    }
}
