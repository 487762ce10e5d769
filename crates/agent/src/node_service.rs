//! The gRPC services this node offers: `Node` on every node (runs, their states, leave) and
//! `Leader` on servers (manual runs taken by a follower).

use std::pin::Pin;
use std::sync::Arc;

use chrono::Utc;
use dkron_cluster::rpc::proto::leader_server::Leader;
use dkron_cluster::rpc::proto::node_server::Node as NodeRpc;
use dkron_cluster::rpc::proto::run_event::Event;
use dkron_cluster::rpc::proto::{Empty, Json, RunEvent as WireEvent};
use dkron_cluster::rpc::{from_json, json_status};
use dkron_worker::{Accepted, KillOrder, RunEvent, RunOrder, RunState, Worker};
use futures::Stream;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use crate::node::Node;

/// Serves `Node` for a server or an agent.
pub struct NodeService {
    /// Runs executions here.
    pub worker: Arc<Worker>,
    /// Fired by `Leave`.
    pub shutdown: CancellationToken,
}

type EventStream = Pin<Box<dyn Stream<Item = Result<WireEvent, Status>> + Send>>;

fn wire(event: Event) -> Result<WireEvent, Status> {
    Ok(WireEvent { event: Some(event) })
}

#[tonic::async_trait]
impl NodeRpc for NodeService {
    type RunStream = EventStream;

    async fn run(&self, request: Request<Json>) -> Result<Response<EventStream>, Status> {
        let order: RunOrder = from_json(request.get_ref())?;
        let (sender, events) = tokio::sync::mpsc::unbounded_channel();
        let accepted = self.worker.start(order, Some(sender));
        let first = wire(Event::Accepted(accepted == Accepted::Duplicate));
        let rest = futures::stream::unfold(events, |mut events| async move {
            let event = match events.recv().await? {
                RunEvent::Output(chunk) => Event::Output(chunk.to_vec()),
                RunEvent::Finished { success } => {
                    Event::Finished(serde_json::to_vec(&success).unwrap_or_default())
                }
            };
            Some((wire(event), events))
        });
        let stream = futures::StreamExt::chain(futures::stream::iter([first]), rest);
        Ok(Response::new(Box::pin(stream)))
    }

    async fn run_status(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let runs: Vec<(String, String)> = from_json(request.get_ref())?;
        let states: Vec<RunState> = self.worker.states(&runs);
        json_status(&states)
    }

    async fn running(&self, _request: Request<Empty>) -> Result<Response<Json>, Status> {
        json_status(&self.worker.running())
    }

    async fn running_one(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let (job, execution_id): (String, String) = from_json(request.get_ref())?;
        json_status(&self.worker.running_execution(&job, &execution_id))
    }

    async fn leave(&self, _request: Request<Empty>) -> Result<Response<Empty>, Status> {
        tracing::info!("leave requested over gRPC; stopping this node");
        self.shutdown.cancel();
        Ok(Response::new(Empty {}))
    }

    async fn kill(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let order: KillOrder = from_json(request.get_ref())?;
        json_status(&self.worker.kill(&order))
    }
}

/// Serves `Leader` on a server.
pub struct LeaderService(pub Arc<Node>);

/// A manual run asked of the leader.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct RunJobRequest {
    /// Job name.
    pub job: String,
}

/// The leader's answer: the occurrence's nominal time, or why not.
pub type RunJobAnswer = Result<chrono::DateTime<Utc>, String>;

#[tonic::async_trait]
impl Leader for LeaderService {
    async fn run_job(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let asked: RunJobRequest = from_json(request.get_ref())?;
        let answer: RunJobAnswer = match self.0.scheduler() {
            // Not (or not yet) leading: a condition the caller may retry, not a refusal.
            None => {
                return Err(Status::unavailable(
                    "this server is not the leader, or its scheduler is still starting",
                ));
            }
            Some(scheduler) => scheduler
                .run_now(&asked.job, Utc::now())
                .await
                .map(|launch| launch.nominal)
                .map_err(|error| error.to_string()),
        };
        json_status(&answer)
    }

    async fn scheduler_health(&self, _request: Request<Empty>) -> Result<Response<Json>, Status> {
        json_status(&self.0.scheduler_health())
    }
}
