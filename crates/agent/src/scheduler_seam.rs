//! The scheduler's backend on this node: decisions become Raft commands, launches go to the
//! worker.

use std::sync::Arc;

use chrono::Utc;
use dkron_membership::MemberView;
use dkron_model::{Job, Schedule, ScheduleError, execution_id};
use dkron_scheduler::{
    AcceptedLaunch, CommitOutcome, Decision, PlannedRun, ScheduledJob, SchedulerBackend,
    SchedulerError,
};
use dkron_store::{Command, CommandResult, RunPlan};
use dkron_worker::{KillOrder, RunOrder};

use crate::node::Node;

/// Implements [`SchedulerBackend`] over the node.
pub struct SchedulerSeam(pub Arc<Node>);

fn backend_error(detail: impl ToString) -> SchedulerError {
    SchedulerError::Backend {
        detail: detail.to_string(),
    }
}

impl SchedulerSeam {
    /// Stops the runs a `concurrency: replace` launch replaces, on their nodes, without
    /// holding up the commit.
    fn stop_replaced(&self, job: &str, replaced: &[dkron_store::RunPlan]) {
        for run in replaced {
            let node = self.0.clone();
            let order = KillOrder {
                job: job.to_string(),
                execution_id: run.execution_id.clone(),
                replaced: true,
                leader_term: self.0.order_term(),
            };
            let node_name = run.node_name.clone();
            tokio::spawn(async move {
                match crate::kill::kill_on(&node, &node_name, &order).await {
                    Ok(true) => {
                        tracing::info!(job = %order.job, execution = %order.execution_id, "replaced run stopped")
                    }
                    Ok(false) => {
                        tracing::debug!(job = %order.job, execution = %order.execution_id, "replaced run had not started or already ended")
                    }
                    Err(error) => {
                        tracing::warn!(job = %order.job, execution = %order.execution_id, error = %error, "cannot stop a replaced run")
                    }
                }
            });
        }
    }

    fn plan_runs(
        &self,
        job: &Job,
        nominal: chrono::DateTime<Utc>,
        members: &[MemberView],
    ) -> Vec<RunPlan> {
        self.0
            .pick_targets(job, members)
            .into_iter()
            .map(|node_name| RunPlan {
                execution_id: execution_id(nominal, &node_name, 1),
                node_name,
            })
            .collect()
    }

    fn to_command(
        &self,
        decision: &Decision,
        job: Option<&Job>,
        members: &[MemberView],
    ) -> Command {
        let decided_at = Utc::now();
        match decision.clone() {
            Decision::Launch {
                job: name,
                nominal,
                trigger,
            } => Command::Launch {
                runs: job
                    .map(|job| self.plan_runs(job, nominal, members))
                    .unwrap_or_default(),
                job: name,
                nominal,
                trigger,
                decided_at,
            },
            Decision::Skip {
                job,
                nominal,
                trigger,
                reason,
            } => Command::Skip {
                job,
                nominal,
                trigger,
                reason,
                decided_at,
            },
            Decision::SkipRange {
                job,
                first,
                last,
                count,
                reason,
            } => Command::SkipRange {
                job,
                first,
                last,
                count,
                reason,
                decided_at,
            },
        }
    }
}

impl SchedulerBackend for SchedulerSeam {
    async fn load_job(&self, name: &str) -> Result<Option<ScheduledJob>, SchedulerError> {
        let stored = self.0.raft.store().job(name).map_err(backend_error)?;
        Ok(stored.map(|stored| ScheduledJob {
            job: stored.job,
            cursor: stored.cursor,
        }))
    }

    async fn load_jobs(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ScheduledJob>, SchedulerError> {
        let node = self.0.clone();
        let after = after.map(str::to_string);
        let jobs = tokio::task::spawn_blocking(move || {
            node.raft.store().jobs_after(after.as_deref(), limit)
        })
        .await
        .map_err(backend_error)?
        .map_err(backend_error)?;
        Ok(jobs
            .into_iter()
            .map(|stored| ScheduledJob {
                job: stored.job,
                cursor: stored.cursor,
            })
            .collect())
    }

    async fn commit(&self, decisions: Vec<Decision>) -> Result<Vec<CommitOutcome>, SchedulerError> {
        if !self.0.raft.is_leader() {
            return Err(SchedulerError::NotLeader {
                detail: "leadership lost".into(),
            });
        }
        let began = std::time::Instant::now();
        let store = self.0.raft.store();
        let members = self.0.gossip.members();
        let mut commands = Vec::with_capacity(decisions.len());
        for decision in &decisions {
            let job = store
                .job(decision.job())
                .map_err(backend_error)?
                .map(|stored| stored.job);
            commands.push(self.to_command(decision, job.as_ref(), &members));
        }
        let prepared_us = began.elapsed().as_micros() as u64;
        let result = self
            .0
            .recorder
            .record(Command::Batch(commands))
            .await
            .map_err(|error| {
                // A full data volume passes once space is freed: the scheduler keeps its
                // batch and retries, where a lost leadership stops it.
                let detail = error.to_string();
                if dkron_cluster::is_disk_full(&detail) {
                    backend_error(detail)
                } else {
                    SchedulerError::NotLeader { detail }
                }
            })?;
        tracing::debug!(
            decisions = decisions.len(),
            prepared_us,
            total_us = began.elapsed().as_micros() as u64,
            "decisions committed"
        );
        let CommandResult::Batch(results) = result else {
            return Err(backend_error(format!(
                "unexpected commit result {result:?}"
            )));
        };
        for (decision, result) in decisions.iter().zip(&results) {
            if let CommandResult::LaunchedReplacing { replaced, .. } = result {
                self.stop_replaced(decision.job(), replaced);
            }
        }
        Ok(decisions
            .into_iter()
            .zip(results)
            .map(|(decision, result)| outcome(decision, result))
            .collect())
    }

    fn dispatch(&self, launch: AcceptedLaunch) {
        let job = match self.0.raft.store().job(&launch.job) {
            Ok(Some(stored)) => stored.job,
            Ok(None) => {
                tracing::warn!(job = %launch.job, "launched job was deleted before it started");
                return;
            }
            Err(error) => {
                tracing::error!(job = %launch.job, error = %error, "cannot read launched job");
                return;
            }
        };
        // One read of the term per launch, not per run.
        let term = self.0.order_term();
        for run in &launch.runs {
            crate::dispatch::send(
                &self.0,
                RunOrder::first(job.clone(), launch.nominal, run.execution_id.clone())
                    .in_term(term),
                &run.node_name,
            );
        }
    }

    fn parse_schedule(&self, job: &Job) -> Result<Schedule, ScheduleError> {
        self.0.schedule(job)
    }
}

fn outcome(decision: Decision, result: CommandResult) -> CommitOutcome {
    let result = match result {
        CommandResult::LaunchedReplacing { runs, .. } => CommandResult::Launched(runs),
        CommandResult::Queued => return CommitOutcome::Queued,
        other => other,
    };
    match (decision, result) {
        (
            Decision::Launch {
                job,
                nominal,
                trigger,
            },
            CommandResult::Launched(runs),
        ) => CommitOutcome::Launched(AcceptedLaunch {
            job,
            nominal,
            trigger,
            runs: runs
                .into_iter()
                .map(|run| PlannedRun {
                    execution_id: run.execution_id,
                    node_name: run.node_name,
                })
                .collect(),
        }),
        (Decision::Launch { .. }, CommandResult::Skipped(reason)) => CommitOutcome::Skipped(reason),
        (_, CommandResult::Skipped(_)) => CommitOutcome::Recorded,
        (_, CommandResult::Failed(error)) => CommitOutcome::Rejected(error.to_string()),
        (_, other) => CommitOutcome::Rejected(format!("unexpected result {other:?}")),
    }
}
