//! The server side of the `Leader` service: what the leader does is the agent's
//! [`LeaderHandler`]; decoding, encoding and statuses are done here.

use std::future::Future;

use serde::Serialize;
use tonic::{Request, Response, Status};

use super::json::{from_json, json_status};
use super::leader_calls::{RunJobAnswer, RunJobRequest};
use super::proto::leader_server::Leader;
use super::proto::{Empty, Json};
use super::service_error::ServiceError;

/// What a server does when another server calls its `Leader` service. The agent implements
/// it; a malformed request never reaches it (the caller gets `InvalidArgument`).
pub trait LeaderHandler: Send + Sync + 'static {
    /// How the scheduler keeps up (the API's health report).
    type Health: Serialize + Send;

    /// Starts a manual run of `job` now. A server that does not lead (or whose scheduler is
    /// still starting) returns [`ServiceError::unavailable`], which the caller may retry;
    /// the answer's error is the scheduler's refusal.
    fn run_job(
        &self,
        job: String,
    ) -> impl Future<Output = Result<RunJobAnswer, ServiceError>> + Send;

    /// Returns how the scheduler keeps up, or `None` while it does not run here.
    fn scheduler_health(&self) -> impl Future<Output = Option<Self::Health>> + Send;
}

/// The generated `Leader` service over a handler.
pub(crate) struct LeaderGrpc<H>(pub(crate) H);

#[tonic::async_trait]
impl<H: LeaderHandler> Leader for LeaderGrpc<H> {
    async fn run_job(&self, request: Request<Json>) -> Result<Response<Json>, Status> {
        let asked: RunJobRequest = from_json(request.get_ref())?;
        let answer = self.0.run_job(asked.job).await?;
        json_status(&answer)
    }

    async fn scheduler_health(&self, _request: Request<Empty>) -> Result<Response<Json>, Status> {
        json_status(&self.0.scheduler_health().await)
    }
}
