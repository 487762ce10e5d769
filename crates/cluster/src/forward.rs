//! Writes sent to the leader from another node: followers forward, agents submit.

use dkron_store::{Command, CommandResult};

use crate::error::ClusterError;
use crate::rpc::{Channels, RpcError, ServerCalls};

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
    let answer = ServerCalls::new(channels, addr)
        .write(command, forwarded)
        .await
        .map_err(|error| {
            if matches!(error, RpcError::Unreachable { .. }) {
                channels.forget(addr);
            }
            ClusterError::Forward(error.about_peer(format_args!("server {addr}")))
        })?;
    answer.map_err(ClusterError::Forward)
}
