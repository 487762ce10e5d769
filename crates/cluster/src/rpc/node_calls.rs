//! The typed client of the `Node` service, which every node (server or agent) serves.

use std::time::Duration;

use dkron_model::Execution;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::call::{Target, decode, encode};
use super::channels::Channels;
use super::error::RpcError;
use super::proto::Empty;
use super::proto::node_client::NodeClient;
use super::run_stream::RunEventStream;

/// Longest wait for a node to say what it knows of some runs (a leader reconciling).
const RUN_STATUS_LIMIT: Duration = Duration::from_secs(3);
/// Longest wait for a node's running executions, all or one.
const RUNNING_LIMIT: Duration = Duration::from_secs(5);
/// Longest wait for a node to answer a kill.
const KILL_LIMIT: Duration = Duration::from_secs(5);

/// Calls to the `Node` service of the node at one gRPC address (`host:port`).
///
/// Each call has the deadline its callers have always given it (none for `run` and
/// `leave`) unless [`NodeCalls::with_deadline`] sets one for all.
#[derive(Clone, Copy)]
pub struct NodeCalls<'a> {
    target: Target<'a>,
}

impl<'a> NodeCalls<'a> {
    /// Returns the calls to the node at `addr`, over the channels of `channels`.
    pub fn new(channels: &'a Channels, addr: &'a str) -> NodeCalls<'a> {
        NodeCalls {
            target: Target::new(channels, addr),
        }
    }

    /// Returns the same calls, each given `deadline` (connecting included) instead of its own.
    pub fn with_deadline(self, deadline: Duration) -> NodeCalls<'a> {
        NodeCalls {
            target: self.target.with_deadline(deadline),
        }
    }

    fn client(&self) -> Result<NodeClient<tonic::transport::Channel>, RpcError> {
        self.target.channel().map(NodeClient::new)
    }

    /// Sends a run order and returns the run's events as the node streams them: whether it
    /// accepted the order, then live output, then the summary `F` when the run ends.
    pub async fn run<O: Serialize, F: DeserializeOwned>(
        &self,
        order: &O,
    ) -> Result<RunEventStream<F>, RpcError> {
        let mut client = self.client()?;
        let request = encode(order)?;
        let events = self.target.within(None, client.run(request)).await?;
        Ok(RunEventStream::new(events))
    }

    /// Returns what the node knows of each run (job name, execution id), in order.
    pub async fn run_status<S: DeserializeOwned>(
        &self,
        runs: &[(String, String)],
    ) -> Result<Vec<S>, RpcError> {
        let mut client = self.client()?;
        let request = encode(&runs)?;
        let answer = self
            .target
            .within(Some(RUN_STATUS_LIMIT), client.run_status(request))
            .await?;
        decode(&answer)
    }

    /// Returns the executions running on the node.
    pub async fn running(&self) -> Result<Vec<Execution>, RpcError> {
        let mut client = self.client()?;
        let answer = self
            .target
            .within(Some(RUNNING_LIMIT), client.running(Empty {}))
            .await?;
        decode(&answer)
    }

    /// Returns one running execution with its output so far, or `None` if it does not run
    /// there. A node from before `RunningOne` is asked for all its runs instead.
    pub async fn running_one(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<Execution>, RpcError> {
        let mut client = self.client()?;
        let request = encode(&(job, execution_id))?;
        let call = client.running_one(request);
        match self.target.within(Some(RUNNING_LIMIT), call).await {
            Ok(answer) => decode(&answer),
            Err(RpcError::Unimplemented { .. }) => {
                let running = self.running().await?;
                Ok(running
                    .into_iter()
                    .find(|execution| execution.id == execution_id && execution.job_name == job))
            }
            Err(error) => Err(error),
        }
    }

    /// Asks the node to stop gracefully.
    pub async fn leave(&self) -> Result<(), RpcError> {
        let mut client = self.client()?;
        self.target.within(None, client.leave(Empty {})).await?;
        Ok(())
    }

    /// Asks the node to kill one run; returns whether it was running there.
    pub async fn kill<K: Serialize>(&self, order: &K) -> Result<bool, RpcError> {
        let mut client = self.client()?;
        let request = encode(order)?;
        let answer = self
            .target
            .within(Some(KILL_LIMIT), client.kill(request))
            .await?;
        decode(&answer)
    }
}
