//! The gRPC services this node offers: `Node` on every node (runs, their states, leave) and
//! `Leader` on servers (manual runs taken by a follower).

use std::sync::Arc;

use chrono::Utc;
use dkron_cluster::rpc::{LeaderHandler, NodeHandler, RunJobAnswer, RunStreamEvent, ServiceError};
use dkron_model::Execution;
use dkron_worker::{Accepted, KillOrder, RunEvent, RunOrder, RunState, Worker};
use futures::Stream;
use tokio_util::sync::CancellationToken;

use crate::node::Node;

/// Serves `Node` for a server or an agent.
pub struct NodeService {
    /// Runs executions here.
    pub worker: Arc<Worker>,
    /// Fired by `Leave`.
    pub shutdown: CancellationToken,
}

impl NodeHandler for NodeService {
    type RunOrder = RunOrder;
    type Summary = bool;
    type RunState = RunState;
    type KillOrder = KillOrder;

    fn run(
        &self,
        order: RunOrder,
    ) -> Result<impl Stream<Item = RunStreamEvent<bool>> + Send + 'static, ServiceError> {
        if self.shutdown.is_cancelled() {
            // A stopping node would have to kill the run moments later.
            return Err(ServiceError::unavailable(
                "this node is stopping; it takes no new runs",
            ));
        }
        let (sender, events) = tokio::sync::mpsc::unbounded_channel();
        let first = match self.worker.start(order, Some(sender)) {
            Accepted::StaleLeader(stale) => {
                return Err(ServiceError::failed_precondition(stale.to_string()));
            }
            accepted => RunStreamEvent::Accepted {
                already_known: accepted == Accepted::Duplicate,
            },
        };
        let rest = futures::stream::unfold(events, |mut events| async move {
            let event = match events.recv().await? {
                RunEvent::Output(chunk) => RunStreamEvent::Output(chunk.to_vec()),
                RunEvent::Finished { success } => RunStreamEvent::Finished(success),
            };
            Some((event, events))
        });
        Ok(futures::StreamExt::chain(
            futures::stream::iter([first]),
            rest,
        ))
    }

    async fn run_status(&self, runs: Vec<(String, String)>) -> Vec<RunState> {
        self.worker.states(&runs)
    }

    async fn running(&self) -> Vec<Execution> {
        self.worker.running()
    }

    async fn running_one(&self, job: String, execution_id: String) -> Option<Execution> {
        self.worker.running_execution(&job, &execution_id)
    }

    async fn leave(&self) {
        tracing::info!("leave requested over gRPC; stopping this node");
        self.shutdown.cancel();
    }

    async fn kill(&self, order: KillOrder) -> Result<bool, ServiceError> {
        self.worker
            .kill(&order)
            .map_err(|stale| ServiceError::failed_precondition(stale.to_string()))
    }
}

/// Serves `Leader` on a server.
pub struct LeaderService(pub Arc<Node>);

impl LeaderHandler for LeaderService {
    type Health = dkron_api::SchedulerHealth;

    async fn run_job(&self, job: String) -> Result<RunJobAnswer, ServiceError> {
        match self.0.scheduler() {
            // Not (or not yet) leading: a condition the caller may retry, not a refusal.
            None => Err(ServiceError::unavailable(
                "this server is not the leader, or its scheduler is still starting",
            )),
            Some(scheduler) => Ok(scheduler
                .run_now(&job, Utc::now())
                .await
                .map(|launch| launch.nominal)
                .map_err(|error| error.to_string())),
        }
    }

    async fn scheduler_health(&self) -> Option<dkron_api::SchedulerHealth> {
        self.0.scheduler_health()
    }
}
