//! The one line a go-plugin binary prints on its standard output once it listens:
//! `CORE-PROTOCOL|APP-PROTOCOL|NETWORK|ADDRESS|PROTOCOL|CERT`, read as go-plugin's own client
//! reads it.
//!
//! The line has the same six fields from go-plugin 1.0 (Debian's) to 1.7 (Dkron's). Two things
//! differ between them, and both are accepted:
//!
//! - 1.7 adds a seventh field, `true`, saying the plugin can multiplex its gRPC broker, but
//!   only when the host asked for it with `PLUGIN_MULTIPLEX_GRPC` — which Dkron never sets,
//!   and neither do we. A seventh field is read and ignored.
//! - 1.0 always ends the line with the separator of an empty sixth field; a plugin built
//!   against an older go-plugin may stop after the fourth or fifth field, in which case the
//!   protocol is net/rpc, as go-plugin assumes.
//!
//! A sixth field longer than 50 characters is a server certificate (go-plugin's AutoMTLS or a
//! plugin with its own TLS). Dkron never turns AutoMTLS on, so such a plugin is refused.

use std::fmt;
use std::path::PathBuf;

/// The core protocol version of go-plugin (every released version speaks 1).
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// Dkron's application protocol version (`plugin.Handshake.ProtocolVersion`).
pub const APP_PROTOCOL_VERSION: u32 = 1;

/// Where the plugin listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PluginAddress {
    /// A Unix socket (go-plugin's choice on Linux).
    Unix(PathBuf),
    /// A TCP address, `host:port`.
    Tcp(String),
}

impl fmt::Display for PluginAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginAddress::Unix(path) => write!(formatter, "unix:{}", path.display()),
            PluginAddress::Tcp(address) => write!(formatter, "tcp:{address}"),
        }
    }
}

/// The wire protocol a plugin speaks after the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WireProtocol {
    /// gRPC over HTTP/2 (executors).
    Grpc,
    /// Go's net/rpc with gob over yamux (processors).
    Netrpc,
}

impl fmt::Display for WireProtocol {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(match self {
            WireProtocol::Grpc => "grpc",
            WireProtocol::Netrpc => "netrpc",
        })
    }
}

/// A handshake line, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handshake {
    /// Where to connect.
    pub address: PluginAddress,
    /// What to speak there.
    pub protocol: WireProtocol,
}

/// Why a handshake line was refused; the text names the field and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// Not a go-plugin line at all (fewer than four fields).
    #[error(
        "unrecognised handshake line {0:?}: expected CORE|APP|NETWORK|ADDRESS|PROTOCOL from a go-plugin binary"
    )]
    Unrecognised(String),
    /// The first field is not go-plugin's core protocol 1.
    #[error(
        "core protocol {0:?} is not go-plugin's {CORE_PROTOCOL_VERSION}: rebuild the plugin against go-plugin"
    )]
    CoreProtocol(String),
    /// The second field is not Dkron's plugin protocol 1.
    #[error(
        "plugin protocol version {0:?} is not Dkron's {APP_PROTOCOL_VERSION}: the plugin was built for another program or another Dkron"
    )]
    AppProtocol(String),
    /// A network other than `unix` or `tcp`.
    #[error("unknown network {0:?}: expected unix or tcp")]
    Network(String),
    /// An empty address.
    #[error("the handshake names no address")]
    EmptyAddress,
    /// A protocol other than `grpc` or `netrpc`.
    #[error("unknown protocol {0:?}: expected grpc or netrpc")]
    Protocol(String),
    /// The plugin serves TLS with its own certificate.
    #[error(
        "the plugin serves TLS with its own certificate (go-plugin AutoMTLS or a TLSProvider), which Dkron never enables: build it without"
    )]
    Tls,
}

/// Reads one handshake line (surrounding white space is ignored, as go-plugin does).
pub fn parse_handshake(line: &str) -> Result<Handshake, HandshakeError> {
    let line = line.trim();
    let parts: Vec<&str> = line.split('|').collect();
    if parts.len() < 4 {
        return Err(HandshakeError::Unrecognised(shorten(line)));
    }
    if parts[0].parse::<u32>().ok() != Some(CORE_PROTOCOL_VERSION) {
        return Err(HandshakeError::CoreProtocol(shorten(parts[0])));
    }
    if parts[1].parse::<u32>().ok() != Some(APP_PROTOCOL_VERSION) {
        return Err(HandshakeError::AppProtocol(shorten(parts[1])));
    }
    if parts[3].is_empty() {
        return Err(HandshakeError::EmptyAddress);
    }
    let address = match parts[2] {
        "unix" => PluginAddress::Unix(PathBuf::from(parts[3])),
        "tcp" => PluginAddress::Tcp(parts[3].to_string()),
        other => return Err(HandshakeError::Network(shorten(other))),
    };
    let protocol = match parts.get(4).copied() {
        None | Some("netrpc") => WireProtocol::Netrpc,
        Some("grpc") => WireProtocol::Grpc,
        Some(other) => return Err(HandshakeError::Protocol(shorten(other))),
    };
    if parts.get(5).is_some_and(|cert| cert.len() > 50) {
        return Err(HandshakeError::Tls);
    }
    Ok(Handshake { address, protocol })
}

/// Keeps an echoed field short, so a plugin printing a megabyte does not flood the log.
fn shorten(text: &str) -> String {
    const MOST: usize = 200;
    match text.char_indices().nth(MOST) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unix(path: &str, protocol: WireProtocol) -> Handshake {
        Handshake {
            address: PluginAddress::Unix(PathBuf::from(path)),
            protocol,
        }
    }

    #[test]
    fn go_plugin_1_0_lines_are_read() {
        // What Debian's go-plugin 1.0.1 prints: six fields, the last empty.
        assert_eq!(
            parse_handshake("1|1|unix|/tmp/plugin106638039|netrpc|\n"),
            Ok(unix("/tmp/plugin106638039", WireProtocol::Netrpc))
        );
        assert_eq!(
            parse_handshake("1|1|tcp|127.0.0.1:10000|grpc|"),
            Ok(Handshake {
                address: PluginAddress::Tcp("127.0.0.1:10000".into()),
                protocol: WireProtocol::Grpc,
            })
        );
    }

    #[test]
    fn go_plugin_1_7_lines_are_read() {
        // 1.7 prints the same six fields; with broker multiplexing asked for, a seventh.
        assert_eq!(
            parse_handshake("1|1|unix|/tmp/plugin4242|grpc|"),
            Ok(unix("/tmp/plugin4242", WireProtocol::Grpc))
        );
        assert_eq!(
            parse_handshake("1|1|unix|/tmp/plugin4242|grpc||true"),
            Ok(unix("/tmp/plugin4242", WireProtocol::Grpc))
        );
    }

    #[test]
    fn older_shorter_lines_default_to_netrpc() {
        assert_eq!(
            parse_handshake("1|1|unix|/tmp/p"),
            Ok(unix("/tmp/p", WireProtocol::Netrpc))
        );
    }

    #[test]
    fn bad_lines_are_refused_naming_the_field() {
        let cases = [
            ("hello world", "unrecognised handshake line \"hello world\""),
            ("", "unrecognised handshake line \"\""),
            ("2|1|unix|/tmp/p|grpc|", "core protocol \"2\""),
            ("1|5|unix|/tmp/p|grpc|", "plugin protocol version \"5\""),
            ("1|1|udp|x|grpc|", "unknown network \"udp\""),
            ("1|1|unix||grpc|", "names no address"),
            ("1|1|unix|/tmp/p|json|", "unknown protocol \"json\""),
        ];
        for (line, expected) in cases {
            let error = parse_handshake(line).expect_err(line).to_string();
            assert!(error.contains(expected), "{line}: {error}");
        }
        let cert = "A".repeat(60);
        assert_eq!(
            parse_handshake(&format!("1|1|unix|/tmp/p|grpc|{cert}")),
            Err(HandshakeError::Tls)
        );
    }

    #[test]
    fn echoed_fields_are_kept_short() {
        let long = "x".repeat(10_000);
        let error = parse_handshake(&long).expect_err("garbage").to_string();
        assert!(error.len() < 400, "{}", error.len());
    }

    proptest::proptest! {
        #[test]
        fn any_line_is_read_or_refused_without_panicking(line in ".{0,300}") {
            let _outcome = parse_handshake(&line);
        }
    }
}
