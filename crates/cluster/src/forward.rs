//! Writes sent to the leader from another node: followers forward, agents submit.

use dkron_store::{Command, CommandResult};
use tonic::Code;

use crate::error::ClusterError;
use crate::rpc::proto::server_client::ServerClient;
use crate::rpc::{Channels, from_json, to_json};

/// Metadata key marking a forwarded write, so a write is forwarded at most once.
pub(crate) const FORWARDED: &str = "x-dkron-forwarded";

/// The answer a server gives to a forwarded write: the result and its log index.
pub(crate) type WriteAnswer = Result<(CommandResult, u64), String>;

/// Sends `command` to the server at `addr` (`host:port`) and returns the leader's answer
/// with the log index of the write.
///
/// A server that does not lead passes the write on to its leader once.
pub async fn write(
    channels: &Channels,
    addr: &str,
    command: &Command,
) -> Result<(CommandResult, u64), ClusterError> {
    submit(channels, addr, command, false).await
}

pub(crate) async fn submit(
    channels: &Channels,
    addr: &str,
    command: &Command,
    forwarded: bool,
) -> Result<(CommandResult, u64), ClusterError> {
    let channel = channels.get(addr).map_err(ClusterError::Forward)?;
    let mut request = tonic::Request::new(to_json(command).map_err(status_error)?);
    if forwarded {
        request
            .metadata_mut()
            .insert(FORWARDED, tonic::metadata::MetadataValue::from_static("1"));
    }
    let response = ServerClient::new(channel)
        .write(request)
        .await
        .map_err(|status| {
            if status.code() == Code::Unavailable {
                channels.forget(addr);
            }
            ClusterError::Forward(format!("server {addr}: {}", status.message()))
        })?;
    let answer: WriteAnswer = from_json(response.get_ref()).map_err(status_error)?;
    answer.map_err(ClusterError::Forward)
}

fn status_error(status: tonic::Status) -> ClusterError {
    ClusterError::Forward(status.message().to_string())
}
