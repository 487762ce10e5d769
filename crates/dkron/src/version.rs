//! `dkron version`.

/// Version of the protocol dkron-rs nodes speak to each other (gossip and RPC).
///
/// It is dkron-rs' own numbering, not Dkron's serf protocol (5): dkron-rs nodes form clusters
/// with each other only, never with Go Dkron nodes. Raise it when nodes of the new version
/// can no longer talk to nodes of the old one, and keep [`AGENT_PROTOCOL_MIN`] at the oldest
/// version still understood.
pub const AGENT_PROTOCOL: u32 = 1;

/// Oldest agent protocol version this build still understands.
pub const AGENT_PROTOCOL_MIN: u32 = 1;

/// Returns the lines `dkron version` prints, in Dkron's `Name: value` layout.
pub fn version_text() -> String {
    format!(
        "Name: dkron-rs\nVersion: {}\nAgent Protocol: {AGENT_PROTOCOL} (Understands back to: {AGENT_PROTOCOL_MIN})\n",
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_name_version_and_protocol() {
        let text = version_text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Name: dkron-rs");
        assert_eq!(lines[1], format!("Version: {}", env!("CARGO_PKG_VERSION")));
        assert_eq!(lines[2], "Agent Protocol: 1 (Understands back to: 1)");
    }
}
