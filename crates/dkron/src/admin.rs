//! The cluster administration commands, `dkron leave`, `dkron raft list-peers` and
//! `dkron raft remove-peer`: a gRPC call or two to a running node, and a line or a table of
//! text on stdout, worded as Dkron words them.

use std::path::Path;
use std::time::Duration;

use dkron_cluster::Peer;
use dkron_cluster::rpc::{Channels, NodeCalls, RpcCode, RpcError, ServerCalls};

use crate::cli::{RaftCommand, RemovePeerArgs, RpcTarget};

/// How long one call may take, connecting included, before the command gives up.
pub const CALL_DEADLINE: Duration = Duration::from_secs(10);

/// Why an administration command failed; printed on stderr as the command's only output.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// The address is not a `host:port` a channel can be made for.
    #[error("bad rpc address {address:?}: {message}")]
    BadAddress {
        /// The address as given.
        address: String,
        /// What is wrong with it.
        message: String,
    },
    /// Nothing answered at the address.
    #[error("cannot reach {address}: {message}")]
    Unreachable {
        /// The address dialled.
        address: String,
        /// The transport's reason.
        message: String,
    },
    /// The call did not finish within [`CALL_DEADLINE`].
    #[error("{address} did not answer within {}s", CALL_DEADLINE.as_secs())]
    NoAnswer {
        /// The address called.
        address: String,
    },
    /// Something answered HTTP at the address, but not dkron-rs' gRPC.
    #[error("{address} is not the RPC port of a dkron-rs node: {message}")]
    NotDkron {
        /// The address called.
        address: String,
        /// What came back instead.
        message: String,
    },
    /// The node is an agent, which keeps no Raft configuration.
    #[error(
        "{address} is not a server: only servers (dkron agent --server) keep the Raft configuration"
    )]
    NotAServer {
        /// The address called.
        address: String,
    },
    /// The node answered the call with an error.
    #[error("{address} refused the call: {message} ({code})")]
    Refused {
        /// The address called.
        address: String,
        /// The gRPC status code.
        code: RpcCode,
        /// The node's message.
        message: String,
    },
    /// The answer could not be decoded.
    #[error("unreadable answer from {address}: {message}")]
    BadAnswer {
        /// The address called.
        address: String,
        /// The decoding error.
        message: String,
    },
    /// The peer to remove is not in the Raft configuration (Dkron's wording).
    #[error("id {peer:?} was not found in the Raft configuration")]
    PeerNotFound {
        /// The id or name given with `--peer-id`.
        peer: String,
    },
    /// The TLS flags, the gossip key or the config file cannot be used.
    #[error("{0}")]
    Credential(#[from] crate::credential::CredentialError),
    /// The leader declined to remove the peer.
    #[error("cannot remove peer {peer:?}: {message}")]
    RemoveFailed {
        /// The id or name given with `--peer-id`.
        peer: String,
        /// The leader's reason.
        message: String,
    },
}

/// Which gRPC service a call belongs to: every node serves `Node`, only servers `Server`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Service {
    Node,
    Server,
}

/// Returns the channels to dial `target` with, from its TLS flags, `--encrypt` or the
/// `--config` file.
fn channels(target: &RpcTarget, config_file: Option<&Path>) -> Result<Channels, AdminError> {
    Ok(crate::credential::rpc_channels(
        &target.tls,
        target.encrypt.as_deref(),
        config_file,
    )?)
}

/// `dkron leave`: asks the node at the target to stop gracefully.
pub async fn leave(target: RpcTarget, config_file: Option<&Path>) -> Result<String, AdminError> {
    let channels = channels(&target, config_file)?;
    let address = target.rpc_addr.as_str();
    NodeCalls::new(&channels, address)
        .with_deadline(CALL_DEADLINE)
        .leave()
        .await
        .map_err(|error| admin_error(address, Service::Node, error))?;
    Ok("Left the cluster successfully\n".to_string())
}

/// `dkron raft <subcommand>`.
pub async fn raft(command: RaftCommand, config_file: Option<&Path>) -> Result<String, AdminError> {
    match command {
        RaftCommand::ListPeers(target) => {
            let channels = channels(&target, config_file)?;
            list_peers(&channels, &target.rpc_addr).await
        }
        RaftCommand::RemovePeer(args) => {
            let channels = channels(&args.target, config_file)?;
            remove_peer(&channels, &args).await
        }
    }
}

async fn list_peers(channels: &Channels, address: &str) -> Result<String, AdminError> {
    let peers = fetch_peers(channels, address).await?;
    Ok(peers_table(&peers))
}

/// Checks the peer against the configuration first, so an unknown id gets Dkron's message
/// without a write, then sends the removal to the leader (only the leader may change the
/// configuration; a follower would refuse).
async fn remove_peer(channels: &Channels, args: &RemovePeerArgs) -> Result<String, AdminError> {
    let asked_address = args.target.rpc_addr.as_str();
    let peers = fetch_peers(channels, asked_address).await?;
    if !peers.iter().any(|peer| is_named(peer, &args.peer_id)) {
        return Err(AdminError::PeerNotFound {
            peer: args.peer_id.clone(),
        });
    }
    let leader_address = peers
        .iter()
        .find(|peer| peer.leader)
        .map_or(asked_address, |leader| leader.address.as_str());
    let outcome = ServerCalls::new(channels, leader_address)
        .with_deadline(CALL_DEADLINE)
        .remove_peer(&args.peer_id)
        .await
        .map_err(|error| admin_error(leader_address, Service::Server, error))?;
    outcome.map_err(|message| AdminError::RemoveFailed {
        peer: args.peer_id.clone(),
        message,
    })?;
    Ok("Peer removed\n".to_string())
}

async fn fetch_peers(channels: &Channels, address: &str) -> Result<Vec<Peer>, AdminError> {
    ServerCalls::new(channels, address)
        .with_deadline(CALL_DEADLINE)
        .peers()
        .await
        .map_err(|error| admin_error(address, Service::Server, error))
}

/// Whether `--peer-id` names this peer: by node name, as Dkron's ids are, or by Raft id.
fn is_named(peer: &Peer, peer_id: &str) -> bool {
    peer.name == peer_id || peer.id.to_string() == peer_id
}

/// Returns the command's error for a failed call to `address` (a call of `service`, each
/// within [`CALL_DEADLINE`]).
fn admin_error(address: &str, service: Service, error: RpcError) -> AdminError {
    let address = address.to_string();
    match error {
        RpcError::BadAddress { address, message } => AdminError::BadAddress { address, message },
        RpcError::Timeout { .. } => AdminError::NoAnswer { address },
        RpcError::Unreachable { detail, .. } => AdminError::Unreachable {
            address,
            message: detail,
        },
        RpcError::Unimplemented {
            detail,
            answered_by_grpc: false,
            ..
        } => AdminError::NotDkron {
            address,
            message: detail,
        },
        RpcError::Unimplemented { .. } if service == Service::Server => {
            AdminError::NotAServer { address }
        }
        RpcError::Unimplemented { detail, .. } => AdminError::Refused {
            address,
            code: RpcCode::Unimplemented,
            message: detail,
        },
        RpcError::Remote { code, detail, .. } => AdminError::Refused {
            address,
            code,
            message: detail,
        },
        RpcError::Malformed { message } => AdminError::BadAnswer { address, message },
    }
}

/// Returns Dkron's `raft list-peers` table: columns `Node ID Address State Voter`, aligned,
/// two spaces apart, one line per peer in the order the server reports them.
fn peers_table(peers: &[Peer]) -> String {
    let header = ["Node", "ID", "Address", "State", "Voter"].map(str::to_string);
    let mut rows = vec![header];
    for peer in peers {
        let node = if peer.name.is_empty() {
            "(unknown)".to_string()
        } else {
            peer.name.clone()
        };
        let state = if peer.leader { "leader" } else { "follower" };
        rows.push([
            node,
            peer.id.to_string(),
            peer.address.clone(),
            state.to_string(),
            peer.voter.to_string(),
        ]);
    }
    let mut widths = [0; 5];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    for row in &rows {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(&format!("{cell:<width$}  "));
        }
        table.push_str(line.trim_end());
        table.push('\n');
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(id: u64, name: &str, leader: bool, voter: bool) -> Peer {
        Peer {
            id,
            name: name.to_string(),
            address: format!("10.0.0.{id}:6868"),
            leader,
            voter,
        }
    }

    #[test]
    fn the_table_has_dkrons_columns_aligned() {
        let table = peers_table(&[
            peer(1, "server-one", true, true),
            peer(12, "s2", false, true),
            peer(3, "", false, false),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert_eq!(
            lines[0].split_whitespace().collect::<Vec<_>>(),
            ["Node", "ID", "Address", "State", "Voter"]
        );
        assert_eq!(
            lines[1].split_whitespace().collect::<Vec<_>>(),
            ["server-one", "1", "10.0.0.1:6868", "leader", "true"]
        );
        assert_eq!(
            lines[3].split_whitespace().collect::<Vec<_>>(),
            ["(unknown)", "3", "10.0.0.3:6868", "follower", "false"]
        );
        let state_column = lines[0].find("State").unwrap();
        assert!(lines.iter().skip(1).all(|line| {
            let state = &line[state_column..];
            state.starts_with("leader") || state.starts_with("follower")
        }));
        assert!(table.lines().all(|line| line == line.trim_end()));
    }

    #[test]
    fn an_empty_configuration_is_just_the_header() {
        assert_eq!(peers_table(&[]), "Node  ID  Address  State  Voter\n");
    }

    #[test]
    fn peers_are_named_by_node_name_or_raft_id() {
        let server = peer(7, "s7", false, true);
        assert!(is_named(&server, "s7"));
        assert!(is_named(&server, "7"));
        assert!(!is_named(&server, "s8"));
        assert!(!is_named(&server, "07"));
    }

    /// An `Unimplemented` answer as a gRPC server sends it (how a gRPC status becomes an
    /// `RpcError` is tested in dkron-cluster's `rpc/status.rs`).
    fn grpc_unimplemented() -> RpcError {
        RpcError::Unimplemented {
            message: String::new(),
            detail: String::new(),
            answered_by_grpc: true,
        }
    }

    #[test]
    fn failed_calls_become_clear_errors() {
        let unreachable = admin_error(
            "127.0.0.1:1",
            Service::Server,
            RpcError::Unreachable {
                message: "tcp connect error".into(),
                detail: "tcp connect error".into(),
                handshake_refused: false,
                not_connected: true,
            },
        );
        assert_eq!(
            unreachable.to_string(),
            "cannot reach 127.0.0.1:1: tcp connect error"
        );

        let agent = admin_error("a:6868", Service::Server, grpc_unimplemented());
        assert!(
            agent.to_string().starts_with("a:6868 is not a server"),
            "{agent}"
        );
        let old_node = admin_error("a:6868", Service::Node, grpc_unimplemented());
        assert!(matches!(old_node, AdminError::Refused { .. }), "{old_node}");

        let web_server = RpcError::Unimplemented {
            message: "grpc-status header missing, mapped from HTTP status code 404".into(),
            detail: "grpc-status header missing, mapped from HTTP status code 404".into(),
            answered_by_grpc: false,
        };
        for service in [Service::Server, Service::Node] {
            let error = admin_error("w:80", service, web_server.clone());
            assert!(
                error
                    .to_string()
                    .starts_with("w:80 is not the RPC port of a dkron-rs node: "),
                "{error}"
            );
        }

        let follower = admin_error(
            "b:6868",
            Service::Server,
            RpcError::Remote {
                code: RpcCode::FailedPrecondition,
                message: "not the leader; the leader is c:6868".into(),
                detail: "not the leader; the leader is c:6868".into(),
            },
        );
        assert_eq!(
            follower.to_string(),
            "b:6868 refused the call: not the leader; the leader is c:6868 \
             (The system is not in a state required for the operation's execution)"
        );

        let slow = admin_error(
            "s:6868",
            Service::Node,
            RpcError::Timeout {
                limit: CALL_DEADLINE,
            },
        );
        assert_eq!(slow.to_string(), "s:6868 did not answer within 10s");
    }

    #[test]
    fn an_unknown_peer_has_dkrons_message() {
        let error = AdminError::PeerNotFound {
            peer: "nosuch".to_string(),
        };
        assert_eq!(
            error.to_string(),
            r#"id "nosuch" was not found in the Raft configuration"#
        );
    }
}
