//! Builders the lifecycle tests share, and a small in-memory book that applies the rules
//! as the store does (load → decide → write), without a database.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};
use dkron_model::{Job, LedgerEntry, Trigger, execution_id};

use crate::{
    FinishFacts, LaunchIntent, LaunchOutcome, LostRun, Refusal, RunPlan, RunReport, StartFacts,
    StartReport, StoredExecution, StoredJob,
};

/// A time `seconds` after a fixed start.
pub(crate) fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_767_225_600, 0).expect("a valid time") + TimeDelta::seconds(seconds)
}

/// A job named `name` with `concurrency` and `retries`, no backoff.
pub(crate) fn job(name: &str, concurrency: &str, retries: u32) -> Job {
    Job {
        name: name.to_string(),
        schedule: "@every 1s".to_string(),
        concurrency: concurrency.to_string(),
        retries,
        ..Job::default()
    }
}

/// A job with no history.
pub(crate) fn stored(job: Job) -> StoredJob {
    StoredJob::new(job, None, None)
}

/// The first-attempt run of the occurrence at `nominal` on `node`.
pub(crate) fn plan(nominal: DateTime<Utc>, node: &str) -> RunPlan {
    RunPlan {
        execution_id: execution_id(nominal, node, 1),
        node_name: node.to_string(),
    }
}

/// A scheduled launch intent of the occurrence at `nominal` on `nodes`.
pub(crate) fn intent(nominal: DateTime<Utc>, trigger: Trigger, nodes: &[&str]) -> LaunchIntent {
    LaunchIntent {
        nominal,
        trigger,
        runs: nodes.iter().map(|node| plan(nominal, node)).collect(),
        decided_at: nominal,
    }
}

/// A node's final report of `run` (of the occurrence at `nominal`).
pub(crate) fn report(
    job: &str,
    nominal: DateTime<Utc>,
    run: &RunPlan,
    attempt: u32,
    success: bool,
) -> RunReport {
    RunReport {
        job: job.to_string(),
        nominal,
        execution_id: run.execution_id.clone(),
        node_name: run.node_name.clone(),
        attempt,
        started_at: nominal,
        finished_at: nominal + TimeDelta::milliseconds(10),
        success,
        output: if success { "ok" } else { "boom" }.to_string(),
        exit_code: Some(if success { 0 } else { 1 }),
        killed: false,
        no_retry: false,
    }
}

/// An active run as the book keeps it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ActiveRun {
    pub(crate) nominal: DateTime<Utc>,
    pub(crate) execution_id: String,
    pub(crate) node_name: String,
}

/// One job's replicated state in memory: what the store keeps in its tables.
#[derive(Debug, Clone)]
pub(crate) struct Book {
    pub(crate) job: StoredJob,
    pub(crate) ledger: BTreeMap<DateTime<Utc>, LedgerEntry>,
    pub(crate) executions: BTreeMap<(DateTime<Utc>, String), StoredExecution>,
    pub(crate) active: BTreeSet<ActiveRun>,
    pub(crate) notices: usize,
    pub(crate) deleted: bool,
}

impl Book {
    pub(crate) fn new(job: Job) -> Book {
        Book {
            job: stored(job),
            ledger: BTreeMap::new(),
            executions: BTreeMap::new(),
            active: BTreeSet::new(),
            notices: 0,
            deleted: false,
        }
    }

    fn activate(&mut self, nominal: DateTime<Utc>, runs: &[RunPlan]) {
        for run in runs {
            self.active.insert(ActiveRun {
                nominal,
                execution_id: run.execution_id.clone(),
                node_name: run.node_name.clone(),
            });
        }
    }

    /// Applies a launch intent; returns its outcome.
    pub(crate) fn launch(&mut self, intent: LaunchIntent) -> Result<LaunchOutcome, Refusal> {
        let nominal = intent.nominal;
        let recorded = self.ledger.contains_key(&nominal);
        let launch = crate::launch(&mut self.job, recorded, false, intent)?;
        if let LaunchOutcome::Started { runs, .. } = &launch.outcome {
            self.activate(nominal, &runs.clone());
        }
        self.ledger.insert(nominal, launch.entry);
        Ok(launch.outcome)
    }

    /// Applies a start report of an active run.
    pub(crate) fn start(&mut self, run: &ActiveRun, attempt: u32) -> Result<(), Refusal> {
        let facts = StartFacts {
            active: self.active.contains(run),
            trigger: self.ledger.get(&run.nominal).map(|entry| entry.trigger),
            recorded: self
                .executions
                .contains_key(&(run.nominal, run.execution_id.clone())),
        };
        let report = StartReport {
            nominal: run.nominal,
            execution_id: &run.execution_id,
            node_name: &run.node_name,
            attempt,
            started_at: run.nominal,
        };
        let started = crate::start(&mut self.job, facts, report)?;
        self.notices += usize::from(started.notice);
        let key = (run.nominal, run.execution_id.clone());
        self.executions.insert(key, started.record);
        Ok(())
    }

    /// Applies a final report (or a loss, with `lost_reason`).
    pub(crate) fn finish(
        &mut self,
        report: RunReport,
        lost_reason: Option<&str>,
    ) -> Result<crate::Finish, Refusal> {
        let key = ActiveRun {
            nominal: report.nominal,
            execution_id: report.execution_id.clone(),
            node_name: report.node_name.clone(),
        };
        if !self.active.remove(&key) {
            return Err(Refusal::AlreadyFinished(report.execution_id));
        }
        let nominal = report.nominal;
        let group: Vec<StoredExecution> = self
            .executions
            .range((nominal, String::new())..)
            .take_while(|((group, _), _)| *group == nominal)
            .map(|(_, execution)| execution.clone())
            .collect();
        let facts = FinishFacts {
            group: &group,
            lost_reason,
        };
        let finish = crate::finish(&mut self.job, self.ledger.get_mut(&nominal), report, facts);
        let id = finish.record.execution.id.clone();
        self.executions.insert((nominal, id), finish.record.clone());
        if let Some(retry) = &finish.retry {
            self.activate(nominal, std::slice::from_ref(&retry.run));
        }
        if let Some(released) = &finish.released {
            self.activate(released.nominal, &released.runs.clone());
        }
        self.notices += usize::from(finish.notice);
        self.deleted |= finish.delete_job;
        Ok(finish)
    }

    /// Ends an active run as lost.
    pub(crate) fn lose(&mut self, run: &ActiveRun, at: DateTime<Utc>) -> crate::Finish {
        let lost = LostRun {
            job: self.job.job.name.clone(),
            nominal: run.nominal,
            execution_id: run.execution_id.clone(),
            node_name: run.node_name.clone(),
            at,
        };
        let report = crate::lost_report(lost, "node died", self.ledger.get(&run.nominal));
        self.finish(report, Some("node died"))
            .expect("the run is active")
    }

    /// The attempt the ledger names for an active run.
    pub(crate) fn attempt_of(&self, run: &ActiveRun) -> u32 {
        crate::ledger::attempt_of(self.ledger.get(&run.nominal), &run.execution_id)
    }

    /// The report a node sends for an active run.
    pub(crate) fn report_for(&self, run: &ActiveRun, success: bool) -> RunReport {
        let plan = RunPlan {
            execution_id: run.execution_id.clone(),
            node_name: run.node_name.clone(),
        };
        report(
            &self.job.job.name,
            run.nominal,
            &plan,
            self.attempt_of(run),
            success,
        )
    }
}
