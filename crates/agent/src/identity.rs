//! Who this node is: its Raft id, its tags, the server's local time zone.

use std::collections::BTreeMap;
use std::path::Path;

use chrono_tz::Tz;

use crate::members::RAFT_ID_TAG;

/// Returns the node's Raft id: read from `<data-dir>/node-id`, or derived from the node name
/// and written there on first start, so renaming a node never changes its id.
pub fn node_id(data_dir: &Path, node_name: &str) -> std::io::Result<u64> {
    let path = data_dir.join("node-id");
    match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().parse().map_err(|_| {
            std::io::Error::other(format!("{} does not hold a node id", path.display()))
        }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(data_dir)?;
            let id = fnv1a(node_name.as_bytes()).max(1);
            std::fs::write(&path, id.to_string())?;
            Ok(id)
        }
        Err(error) => Err(error),
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Returns the server's local time zone: `TZ`, then `/etc/timezone`, then the
/// `/etc/localtime` link, then UTC. Jobs with an empty `timezone` run in it, as in Dkron.
pub fn local_zone(tz_env: Option<&str>) -> Tz {
    let from_env = tz_env.map(|name| name.trim_start_matches(':').to_string());
    let from_file = || {
        std::fs::read_to_string("/etc/timezone")
            .ok()
            .map(|text| text.trim().to_string())
    };
    let from_link = || {
        std::fs::read_link("/etc/localtime")
            .ok()
            .and_then(|target| {
                let text = target.to_string_lossy().into_owned();
                text.split_once("zoneinfo/")
                    .map(|(_, name)| name.to_string())
            })
    };
    [from_env, from_file(), from_link()]
        .into_iter()
        .flatten()
        .find_map(|name| name.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC)
}

/// What only a server advertises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerTags {
    /// `bootstrap-expect`.
    pub bootstrap_expect: u32,
    /// The server's Raft id (tag `raft_id`, ours: Dkron names servers by node name).
    pub raft_id: u64,
}

/// Returns the node's tags: the user's plus the ones Dkron sets automatically (§12.3);
/// `server` is `None` for an agent.
pub fn node_tags(
    user_tags: &BTreeMap<String, String>,
    datacenter: &str,
    region: &str,
    rpc_addr: &str,
    rpc_port: u16,
    server: Option<ServerTags>,
) -> BTreeMap<String, String> {
    let mut tags = user_tags.clone();
    tags.insert("role".into(), "dkron".into());
    tags.insert("dc".into(), datacenter.into());
    tags.insert("region".into(), region.into());
    tags.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    tags.insert("rpc_addr".into(), rpc_addr.into());
    tags.insert("port".into(), rpc_port.to_string());
    if let Some(server) = server {
        tags.insert("server".into(), "true".into());
        tags.insert("expect".into(), server.bootstrap_expect.to_string());
        tags.insert(RAFT_ID_TAG.into(), server.raft_id.to_string());
    }
    tags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_id_is_stable_and_persisted() {
        let dir = tempfile::tempdir().unwrap();
        let first = node_id(dir.path(), "node1").unwrap();
        assert_eq!(node_id(dir.path(), "renamed").unwrap(), first);
        std::fs::write(dir.path().join("node-id"), "garbage").unwrap();
        assert!(node_id(dir.path(), "node1").is_err());
    }

    #[test]
    fn only_servers_carry_server_tags_and_reserved_tags_win() {
        let user = BTreeMap::from([
            ("role".to_string(), "worker".to_string()),
            ("pool".to_string(), "a".to_string()),
        ]);
        let server = Some(ServerTags {
            bootstrap_expect: 3,
            raft_id: 42,
        });
        let tags = node_tags(&user, "dc1", "global", "10.0.0.1:6868", 6868, server);
        assert_eq!(tags["role"], "dkron");
        assert_eq!(tags["pool"], "a");
        assert_eq!(tags["server"], "true");
        assert_eq!(tags["expect"], "3");
        assert_eq!(tags[RAFT_ID_TAG], "42");
        let agent = node_tags(&user, "dc1", "global", "10.0.0.2:6868", 6868, None);
        for key in ["server", "expect", RAFT_ID_TAG] {
            assert!(!agent.contains_key(key), "{agent:?}");
        }
        assert_eq!(agent["rpc_addr"], "10.0.0.2:6868");
    }

    #[test]
    fn local_zone_prefers_tz_variable() {
        assert_eq!(local_zone(Some("Europe/Berlin")), Tz::Europe__Berlin);
        assert_eq!(local_zone(Some(":Asia/Tokyo")), Tz::Asia__Tokyo);
    }
}
