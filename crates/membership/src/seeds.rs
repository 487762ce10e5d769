//! Turning `--join` seeds ("host", "host:port", "[v6]:port") into socket addresses.

use std::net::{IpAddr, SocketAddr};

use crate::GossipError;

/// Serf's default gossip port, used when a seed names no port.
pub(crate) const DEFAULT_GOSSIP_PORT: u16 = 8946;

/// Resolves every seed; addresses of the same IP family as `local` come first and the
/// others are dropped when there is at least one of that family (an IPv4 socket cannot
/// send to an IPv6 address).
pub(crate) async fn resolve_seeds(
    seeds: &[String],
    local: SocketAddr,
) -> Result<Vec<SocketAddr>, GossipError> {
    let mut resolved: Vec<SocketAddr> = Vec::new();
    for seed in seeds {
        let (host, port) = split_host_port(seed).map_err(|reason| GossipError::BadSeed {
            seed: seed.clone(),
            reason: reason.to_string(),
        })?;
        let addresses = tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|error| GossipError::BadSeed {
                seed: seed.clone(),
                reason: error.to_string(),
            })?;
        for address in addresses {
            if !resolved.contains(&address) {
                resolved.push(address);
            }
        }
    }
    if resolved
        .iter()
        .any(|address| address.is_ipv4() == local.is_ipv4())
    {
        resolved.retain(|address| address.is_ipv4() == local.is_ipv4());
    }
    Ok(resolved)
}

/// Splits a seed into host and port, with the default port when none is given.
fn split_host_port(seed: &str) -> Result<(String, u16), &'static str> {
    let seed = seed.trim();
    if seed.is_empty() {
        return Err("empty seed");
    }
    if let Ok(address) = seed.parse::<SocketAddr>() {
        return Ok((address.ip().to_string(), address.port()));
    }
    // a bare IP, IPv6 included ("::1"), with or without brackets
    let unbracketed = seed
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(seed);
    if let Ok(ip) = unbracketed.parse::<IpAddr>() {
        return Ok((ip.to_string(), DEFAULT_GOSSIP_PORT));
    }
    match seed.rsplit_once(':') {
        Some((host, port)) => {
            if host.is_empty() || host.contains(':') {
                return Err("expected host:port");
            }
            let port = port
                .parse::<u16>()
                .map_err(|_| "the port is not a number")?;
            Ok((host.to_string(), port))
        }
        None => Ok((seed.to_string(), DEFAULT_GOSSIP_PORT)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(seed: &str) -> Result<(String, u16), &'static str> {
        split_host_port(seed)
    }

    #[test]
    fn seeds_get_the_default_port() {
        assert_eq!(split("node1"), Ok(("node1".into(), 8946)));
        assert_eq!(split("node1:7000"), Ok(("node1".into(), 7000)));
        assert_eq!(split("10.0.0.1"), Ok(("10.0.0.1".into(), 8946)));
        assert_eq!(split("10.0.0.1:1"), Ok(("10.0.0.1".into(), 1)));
        assert_eq!(split("::1"), Ok(("::1".into(), 8946)));
        assert_eq!(split("[::1]"), Ok(("::1".into(), 8946)));
        assert_eq!(split("[::1]:7000"), Ok(("::1".into(), 7000)));
    }

    #[test]
    fn malformed_seeds_are_refused() {
        assert!(split("").is_err());
        assert!(split("node1:http").is_err());
        assert!(split(":7000").is_err());
        assert!(split("node1:99999").is_err());
    }

    #[tokio::test]
    async fn resolving_keeps_the_local_family() {
        let local: SocketAddr = "127.0.0.1:5000".parse().expect("valid address");
        let seeds = ["127.0.0.1:7000".to_string(), "[::1]:7000".to_string()];
        let resolved = resolve_seeds(&seeds, local).await.expect("resolves");
        assert_eq!(
            resolved,
            vec!["127.0.0.1:7000".parse().expect("valid address")]
        );
    }
}
