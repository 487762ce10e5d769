//! The typed client of the `Leader` service: what only the leader can do, asked by another
//! server.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use super::call::{Target, decode, encode};
use super::channels::Channels;
use super::error::RpcError;
use super::proto::Empty;
use super::proto::leader_client::LeaderClient;

/// Longest a follower waits for the leader to take a manual run (the leader's scheduler
/// queues it behind a commit that may be retried, e.g. while the disk is failing).
const RUN_JOB_LIMIT: Duration = Duration::from_secs(30);
/// Longest a follower waits for the leader to say how its scheduler keeps up.
const SCHEDULER_HEALTH_LIMIT: Duration = Duration::from_secs(2);

/// A manual run asked of the leader.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct RunJobRequest {
    /// Job name.
    pub job: String,
}

/// The leader's answer to a manual run: the occurrence's nominal time, or why not.
pub type RunJobAnswer = Result<DateTime<Utc>, String>;

/// Calls to the `Leader` service of the server at one gRPC address (`host:port`).
#[derive(Clone, Copy)]
pub struct LeaderCalls<'a> {
    target: Target<'a>,
}

impl<'a> LeaderCalls<'a> {
    /// Returns the calls to the leader at `addr`, over the channels of `channels`.
    pub fn new(channels: &'a Channels, addr: &'a str) -> LeaderCalls<'a> {
        LeaderCalls {
            target: Target::new(channels, addr),
        }
    }

    fn client(&self) -> Result<LeaderClient<tonic::transport::Channel>, RpcError> {
        self.target.channel().map(LeaderClient::new)
    }

    /// Starts a manual run of `job` on the leader's scheduler. The outer error says the call
    /// failed (`Unreachable` too when the server does not lead, or its scheduler is still
    /// starting); the answer's error says the scheduler refused the run.
    pub async fn run_job(&self, job: &str) -> Result<RunJobAnswer, RpcError> {
        let mut client = self.client()?;
        let request = encode(&RunJobRequest {
            job: job.to_string(),
        })?;
        let answer = self
            .target
            .within(Some(RUN_JOB_LIMIT), client.run_job(request))
            .await?;
        decode(&answer)
    }

    /// Returns how the leader's scheduler keeps up (`H`, the API's health report), or `None`
    /// while it does not run.
    pub async fn scheduler_health<H: DeserializeOwned>(&self) -> Result<Option<H>, RpcError> {
        let mut client = self.client()?;
        let call = client.scheduler_health(Empty {});
        let answer = self
            .target
            .within(Some(SCHEDULER_HEALTH_LIMIT), call)
            .await?;
        decode(&answer)
    }
}
