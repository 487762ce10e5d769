//! The server side of the `Node` service: what a node does is the agent's [`NodeHandler`];
//! decoding, encoding and statuses are done here.

use std::future::Future;
use std::pin::Pin;

use dkron_model::Execution;
use futures::{Stream, StreamExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tonic::{Request, Response, Status};

use super::json::{from_json, json_status};
use super::proto::node_server::Node;
use super::proto::{Empty, Json, RunEvent};
use super::run_stream::{RunStreamEvent, to_wire};
use super::service_error::ServiceError;

/// What every node (server or agent) does when another node or `dkron leave` calls its
/// `Node` service. The agent implements it; a malformed request never reaches it (the
/// caller gets `InvalidArgument`).
pub trait NodeHandler: Send + Sync + 'static {
    /// A run order, as the dispatcher sends it.
    type RunOrder: DeserializeOwned + Send;
    /// What a finished run reports at the end of its stream.
    type Summary: Serialize + Send + 'static;
    /// What this node knows of one run.
    type RunState: Serialize + Send;
    /// Which run to kill, and why.
    type KillOrder: DeserializeOwned + Send;

    /// Takes a run order and returns the run's events: [`RunStreamEvent::Accepted`] first,
    /// then output, then [`RunStreamEvent::Finished`]; or refuses the order (a deposed
    /// leader's, say), which the caller receives as an error.
    fn run(
        &self,
        order: Self::RunOrder,
    ) -> Result<impl Stream<Item = RunStreamEvent<Self::Summary>> + Send + 'static, ServiceError>;

    /// Returns what this node knows of each run (job name, execution id), in order.
    fn run_status(
        &self,
        runs: Vec<(String, String)>,
    ) -> impl Future<Output = Vec<Self::RunState>> + Send;

    /// Returns the executions running on this node.
    fn running(&self) -> impl Future<Output = Vec<Execution>> + Send;

    /// Returns one running execution with its output so far, if it runs here.
    fn running_one(
        &self,
        job: String,
        execution_id: String,
    ) -> impl Future<Output = Option<Execution>> + Send;

    /// Stops this node gracefully.
    fn leave(&self) -> impl Future<Output = ()> + Send;

    /// Kills one running execution; returns whether it ran here, or refuses the order.
    fn kill(
        &self,
        order: Self::KillOrder,
    ) -> impl Future<Output = Result<bool, ServiceError>> + Send;
}

/// The generated `Node` service over a handler.
pub(crate) struct NodeGrpc<H>(pub(crate) H);

type EventStream = Pin<Box<dyn Stream<Item = Result<RunEvent, Status>> + Send>>;

#[tonic::async_trait]
impl<H: NodeHandler> Node for NodeGrpc<H> {
    type RunStream = EventStream;

    async fn run(&self, request: Request<Json>) -> Result<Response<EventStream>, Status> {
        let order: H::RunOrder = from_json(request.get_ref())?;
        let events = self
            .0
            .run(order)
            .map_err(Status::from)?
            .map(|event| Ok(to_wire(event)));
        Ok(Response::new(Box::pin(events)))
    }

    async fn run_status(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let runs: Vec<(String, String)> = from_json(request.get_ref())?;
        json_status(&self.0.run_status(runs).await)
    }

    async fn running(&self, _request: Request<Empty>) -> Result<Response<Json>, Status> {
        json_status(&self.0.running().await)
    }

    async fn running_one(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let (job, execution_id): (String, String) = from_json(request.get_ref())?;
        json_status(&self.0.running_one(job, execution_id).await)
    }

    async fn leave(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        self.0.leave().await;
        Ok(Response::new(Empty {}))
    }

    async fn kill(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let order: H::KillOrder = from_json(request.get_ref())?;
        json_status(&self.0.kill(order).await?)
    }
}
