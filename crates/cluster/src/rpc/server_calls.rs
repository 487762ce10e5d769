//! The typed client of the `Server` service: writes forwarded to the leader, and the Raft
//! configuration's administration.

use std::time::Duration;

use dkron_store::Command;

use super::call::{Target, decode, encode};
use super::channels::Channels;
use super::error::RpcError;
use super::proto::Empty;
use super::proto::server_client::ServerClient;
use crate::node::Peer;
use crate::server_service::RemovePeer;

/// Metadata key marking a forwarded write, so a write is forwarded at most once.
pub(crate) const FORWARDED: &str = "x-dkron-forwarded";

/// The answer a server gives to a write: the result and its log index, or why not.
pub(crate) type WriteAnswer = Result<(dkron_store::CommandResult, u64), String>;

/// Calls to the `Server` service of the server at one gRPC address (`host:port`). No call
/// has a deadline of its own; [`ServerCalls::with_deadline`] sets one for all.
#[derive(Clone, Copy)]
pub struct ServerCalls<'a> {
    target: Target<'a>,
}

impl<'a> ServerCalls<'a> {
    /// Returns the calls to the server at `addr`, over the channels of `channels`.
    pub fn new(channels: &'a Channels, addr: &'a str) -> ServerCalls<'a> {
        ServerCalls {
            target: Target::new(channels, addr),
        }
    }

    /// Returns the same calls, each given `deadline` (connecting included).
    pub fn with_deadline(self, deadline: Duration) -> ServerCalls<'a> {
        ServerCalls {
            target: self.target.with_deadline(deadline),
        }
    }

    fn client(&self) -> Result<ServerClient<tonic::transport::Channel>, RpcError> {
        self.target.channel().map(ServerClient::new)
    }

    /// Returns the Raft configuration as the server sees it (empty before it belongs to one).
    pub async fn peers(&self) -> Result<Vec<Peer>, RpcError> {
        let mut client = self.client()?;
        let answer = self.target.within(None, client.peers(Empty {})).await?;
        decode(&answer)
    }

    /// Asks the server, which must lead, to remove the server `peer` (Raft id or node name)
    /// from the Raft configuration. The outer error says the call failed (a follower refuses
    /// it as `FailedPrecondition`); the answer's error is the leader's reason for not
    /// removing it.
    pub async fn remove_peer(&self, peer: &str) -> Result<Result<(), String>, RpcError> {
        let mut client = self.client()?;
        let request = encode(&RemovePeer {
            peer: peer.to_string(),
        })?;
        let answer = self
            .target
            .within(None, client.remove_peer(request))
            .await?;
        let outcome: Result<serde_json::Value, String> = decode(&answer)?;
        Ok(outcome.map(|_null| ()))
    }

    /// Sends a replicated command; `forwarded` marks one a follower passes on, which the
    /// receiver never passes on again.
    pub(crate) async fn write(
        &self,
        command: &Command,
        forwarded: bool,
    ) -> Result<WriteAnswer, RpcError> {
        let mut client = self.client()?;
        let mut request = tonic::Request::new(encode(command)?);
        if forwarded {
            request
                .metadata_mut()
                .insert(FORWARDED, tonic::metadata::MetadataValue::from_static("1"));
        }
        let answer = self.target.within(None, client.write(request)).await?;
        decode(&answer)
    }
}
