//! What every typed client does around a call: pick the channel, frame the payload, keep the
//! deadline, and turn every failure into an [`RpcError`].

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::Status;
use tonic::transport::Channel;

use super::channels::Channels;
use super::error::RpcError;
use super::json::{from_json, to_json};
use super::proto::Json;
use super::status::rpc_error;

/// One peer to call: its address in the shared pool, and a deadline that replaces each
/// call's own when the caller has a budget of its own (a command-line tool, say).
#[derive(Clone, Copy)]
pub(crate) struct Target<'a> {
    channels: &'a Channels,
    addr: &'a str,
    deadline: Option<Duration>,
}

impl<'a> Target<'a> {
    pub(crate) fn new(channels: &'a Channels, addr: &'a str) -> Target<'a> {
        Target {
            channels,
            addr,
            deadline: None,
        }
    }

    pub(crate) fn with_deadline(self, deadline: Duration) -> Target<'a> {
        Target {
            deadline: Some(deadline),
            ..self
        }
    }

    /// Returns the channel to the peer (nothing is dialled yet).
    pub(crate) fn channel(&self) -> Result<Channel, RpcError> {
        self.channels
            .get(self.addr)
            .map_err(|bad| RpcError::BadAddress {
                address: self.addr.to_string(),
                message: bad.to_string(),
            })
    }

    /// Awaits `call` within the caller's deadline, or else the call's own `limit` (`None`:
    /// as long as it takes), and returns its answer.
    pub(crate) async fn within<T>(
        &self,
        limit: Option<Duration>,
        call: impl Future<Output = Result<tonic::Response<T>, Status>>,
    ) -> Result<T, RpcError> {
        let answer = match self.deadline.or(limit) {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .map_err(|_elapsed| RpcError::Timeout { limit })?,
            None => call.await,
        };
        answer
            .map(tonic::Response::into_inner)
            .map_err(|status| rpc_error(&status))
    }
}

/// Encodes a request body.
pub(crate) fn encode<T: Serialize>(value: &T) -> Result<Json, RpcError> {
    to_json(value).map_err(|error| RpcError::Malformed {
        message: error.message,
    })
}

/// Decodes an answer.
pub(crate) fn decode<T: DeserializeOwned>(answer: &Json) -> Result<T, RpcError> {
    from_json(answer).map_err(|error| RpcError::Malformed {
        message: error.message,
    })
}
