//! Occurrence commands, applied as load → decide → write: this file reads what the
//! lifecycle rules need from the tables, lets `dkron_lifecycle` decide, and writes what it
//! decided. No rule of what happens to a run lives here.

use chrono::{DateTime, Utc};
use dkron_lifecycle::{
    Finish, FinishFacts, LaunchIntent, LaunchOutcome, LostRun, Refusal, RunPlan, RunReport,
    SkippedRange, StartFacts, StartReport, StoredExecution, StoredJob,
};
use dkron_model::{LedgerEntry, SkipReason, Trigger, gotime};
use redb::ReadableTable;

use super::batch::Tables;
use super::notices;
use super::retention::{prune_executions, prune_ledger};
use crate::StoreError;
use crate::command::{ApplyError, Command, CommandResult, Followups};
use crate::error::engine;
use crate::notices::NoticeKind;
use crate::records::{Record, decode_ledger, encode_ledger, nanos};
use crate::tables::MAX_ID;

pub(super) fn refused(refusal: Refusal) -> Result<CommandResult, StoreError> {
    let error = match refusal {
        Refusal::JobNotFound(job) => ApplyError::JobNotFound(job),
        other => ApplyError::Rejected(other.to_string()),
    };
    Ok(CommandResult::Failed(error))
}

fn job_not_found(job: &str) -> Result<CommandResult, StoreError> {
    refused(Refusal::JobNotFound(job.to_string()))
}

fn ledger_key(job: &str, nominal: DateTime<Utc>) -> String {
    format!("{job}@{}", gotime::format(&nominal))
}

impl Tables<'_> {
    pub(super) fn load_ledger(
        &self,
        job: &str,
        nominal: DateTime<Utc>,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let value = self
            .ledger
            .get((job, nanos(nominal)))
            .map_err(engine("reading the ledger"))?;
        value
            .map(|bytes| decode_ledger(&ledger_key(job, nominal), bytes.value()))
            .transpose()
    }

    pub(super) fn save_ledger(&mut self, entry: &LedgerEntry) -> Result<(), StoreError> {
        self.ledger
            .insert(
                (entry.job_name.as_str(), nanos(entry.nominal_time)),
                encode_ledger(entry).as_slice(),
            )
            .map_err(engine("writing the ledger"))?;
        Ok(())
    }

    pub(super) fn load_execution(
        &self,
        job: &str,
        nominal: DateTime<Utc>,
        id: &str,
    ) -> Result<Option<StoredExecution>, StoreError> {
        let value = self
            .executions
            .get((job, nanos(nominal), id))
            .map_err(engine("reading an execution"))?;
        value
            .map(|bytes| StoredExecution::decode(id, bytes.value()))
            .transpose()
    }

    /// The stored executions of one occurrence, in id order.
    fn load_group(&self, job: &str, group: i64) -> Result<Vec<StoredExecution>, StoreError> {
        let range = self
            .executions
            .range((job, group, "")..=(job, group, MAX_ID))
            .map_err(engine("reading a group"))?;
        let mut executions = Vec::new();
        for item in range {
            let (key, value) = item.map_err(engine("reading a group"))?;
            executions.push(StoredExecution::decode(key.value().2, value.value())?);
        }
        Ok(executions)
    }

    fn save_execution(&mut self, job: &str, stored: &StoredExecution) -> Result<(), StoreError> {
        let key = (job, nanos(stored.nominal), stored.execution.id.as_str());
        self.executions
            .insert(key, stored.encode().as_slice())
            .map_err(engine("writing an execution"))?;
        Ok(())
    }

    pub(super) fn is_active(
        &self,
        node_name: &str,
        job: &str,
        nominal: DateTime<Utc>,
        execution_id: &str,
    ) -> Result<bool, StoreError> {
        let key = (node_name, job, nanos(nominal), execution_id);
        let found = self
            .active
            .get(key)
            .map_err(engine("reading an active run"))?;
        Ok(found.is_some())
    }

    /// Marks runs of an occurrence as active (launched and not finished).
    fn activate(
        &mut self,
        job: &str,
        nominal: DateTime<Utc>,
        runs: &[RunPlan],
    ) -> Result<(), StoreError> {
        for run in runs {
            let key = (
                run.node_name.as_str(),
                job,
                nanos(nominal),
                run.execution_id.as_str(),
            );
            self.active
                .insert(key, ())
                .map_err(engine("writing an active run"))?;
        }
        Ok(())
    }

    /// The active runs of one job. The table is keyed by node first; it only holds runs in
    /// flight, so a full pass is cheap.
    fn active_runs_of(&self, job: &str) -> Result<Vec<RunPlan>, StoreError> {
        let mut runs = Vec::new();
        for item in self.active.iter().map_err(engine("reading active runs"))? {
            let (key, _) = item.map_err(engine("reading active runs"))?;
            let (node_name, run_job, _, execution_id) = key.value();
            if run_job == job {
                runs.push(RunPlan {
                    execution_id: execution_id.to_string(),
                    node_name: node_name.to_string(),
                });
            }
        }
        Ok(runs)
    }

    /// Writes a new ledger entry of `stored` and keeps its ledger within retention.
    fn record_occurrence(
        &mut self,
        stored: &mut StoredJob,
        entry: &LedgerEntry,
    ) -> Result<(), StoreError> {
        self.save_ledger(entry)?;
        prune_ledger(self, stored)
    }
}

/// Applies an occurrence command. `apply` sends only those here; any other command is
/// answered as rejected, changing nothing.
pub(super) fn apply(
    tables: &mut Tables<'_>,
    command: Command,
) -> Result<CommandResult, StoreError> {
    match command {
        Command::Launch {
            job,
            nominal,
            trigger,
            runs,
            decided_at,
        } => {
            let intent = LaunchIntent {
                nominal,
                trigger,
                runs,
                decided_at,
            };
            launch(tables, &job, intent)
        }
        Command::Skip {
            job,
            nominal,
            trigger,
            reason,
            decided_at,
        } => skip(tables, &job, nominal, trigger, reason, decided_at),
        Command::SkipRange {
            job,
            first,
            last,
            count,
            reason,
            decided_at,
        } => {
            let range = SkippedRange { first, last, count };
            skip_range(tables, &job, range, reason, decided_at)
        }
        Command::RunStarted {
            job,
            nominal,
            execution_id,
            node_name,
            attempt,
            started_at,
        } => {
            let run = RunPlan {
                execution_id,
                node_name,
            };
            started(tables, &job, nominal, &run, attempt, started_at)
        }
        Command::RunFinished { report } => finish(tables, report, None),
        Command::LoseRuns {
            node_name,
            reason,
            at,
            started_before,
        } => lose(tables, &node_name, &reason, at, started_before),
        Command::LoseRun {
            job,
            nominal,
            execution_id,
            node_name,
            reason,
            at,
        } => {
            let run = LostRun {
                job,
                nominal,
                execution_id,
                node_name,
                at,
            };
            lose_one(tables, run, &reason)
        }
        other => not_an_occurrence_command(&other),
    }
}

fn not_an_occurrence_command(command: &Command) -> Result<CommandResult, StoreError> {
    let text = format!("{command} is not an occurrence command");
    Ok(CommandResult::Failed(ApplyError::Rejected(text)))
}

/// Commits a launch intent, or records why the occurrence is skipped.
fn launch(
    tables: &mut Tables<'_>,
    job: &str,
    intent: LaunchIntent,
) -> Result<CommandResult, StoreError> {
    let Some(mut stored) = tables.load_job(job)? else {
        return job_not_found(job);
    };
    let recorded = tables.load_ledger(job, intent.nominal)?.is_some();
    let nominal = intent.nominal;
    let decision = dkron_lifecycle::launch(&mut stored, recorded, tables.paused, intent);
    let launch = match decision {
        Ok(launch) => launch,
        Err(refusal) => {
            // A parent trigger is settled even when refused.
            tables.save_job(stored)?;
            return refused(refusal);
        }
    };
    let result = match launch.outcome {
        LaunchOutcome::Skipped(reason) => CommandResult::Skipped(reason),
        LaunchOutcome::Queued => CommandResult::Queued,
        LaunchOutcome::Started {
            runs,
            replaces_active,
        } => {
            let replaced = if replaces_active {
                tables.active_runs_of(job)?
            } else {
                Vec::new()
            };
            tables.activate(job, nominal, &runs)?;
            if replaced.is_empty() {
                CommandResult::Launched(runs)
            } else {
                CommandResult::LaunchedReplacing { runs, replaced }
            }
        }
    };
    tables.record_occurrence(&mut stored, &launch.entry)?;
    tables.save_job(stored)?;
    Ok(result)
}

/// Records one occurrence as skipped.
fn skip(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
    trigger: Trigger,
    reason: SkipReason,
    decided_at: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    record_skip(tables, job, nominal, reason, |stored, recorded, reason| {
        dkron_lifecycle::skip(stored, recorded, nominal, trigger, reason, decided_at)
    })
}

/// Records a run of missed occurrences as one ledger entry keyed by the first.
fn skip_range(
    tables: &mut Tables<'_>,
    job: &str,
    range: SkippedRange,
    reason: SkipReason,
    decided_at: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    record_skip(
        tables,
        job,
        range.first,
        reason,
        |stored, recorded, reason| {
            dkron_lifecycle::skip_range(stored, recorded, range, reason, decided_at)
        },
    )
}

/// Loads what a skip needs (the job, whether the occurrence keyed at `nominal` is
/// recorded), lets `decide` make the ledger entry, and writes it.
fn record_skip(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
    reason: SkipReason,
    decide: impl FnOnce(&mut StoredJob, bool, &SkipReason) -> Result<LedgerEntry, Refusal>,
) -> Result<CommandResult, StoreError> {
    let Some(mut stored) = tables.load_job(job)? else {
        return job_not_found(job);
    };
    let recorded = tables.load_ledger(job, nominal)?.is_some();
    let entry = match decide(&mut stored, recorded, &reason) {
        Ok(entry) => entry,
        Err(refusal) => return refused(refusal),
    };
    tables.record_occurrence(&mut stored, &entry)?;
    tables.save_job(stored)?;
    Ok(CommandResult::Skipped(reason))
}

/// Records that a run started: the execution appears as running.
fn started(
    tables: &mut Tables<'_>,
    job: &str,
    nominal: DateTime<Utc>,
    run: &RunPlan,
    attempt: u32,
    started_at: DateTime<Utc>,
) -> Result<CommandResult, StoreError> {
    let report = StartReport {
        nominal,
        execution_id: &run.execution_id,
        node_name: &run.node_name,
        attempt,
        started_at,
    };
    let Some(mut stored) = tables.load_job(job)? else {
        return job_not_found(job);
    };
    let facts = StartFacts {
        active: tables.is_active(report.node_name, job, report.nominal, report.execution_id)?,
        trigger: tables
            .load_ledger(job, report.nominal)?
            .map(|entry| entry.trigger),
        recorded: tables
            .load_execution(job, report.nominal, report.execution_id)?
            .is_some(),
    };
    let started = match dkron_lifecycle::start(&mut stored, facts, report) {
        Ok(started) => started,
        Err(refusal) => return refused(refusal),
    };
    tables.save_execution(job, &started.record)?;
    if started.notice {
        notices::record(
            tables,
            NoticeKind::Started,
            &started.record.execution,
            &stored.job,
        )?;
    }
    tables.save_job(stored)?;
    Ok(CommandResult::Done)
}

/// Records the result of a run (or its loss, with `lost_reason`); a report for a run that
/// is no longer active changes nothing.
fn finish(
    tables: &mut Tables<'_>,
    report: RunReport,
    lost_reason: Option<&str>,
) -> Result<CommandResult, StoreError> {
    let (job, nominal) = (report.job.as_str(), report.nominal);
    // Taking the run out of the active runs is what makes a second final report a no-op.
    let was_active = tables
        .active
        .remove((
            report.node_name.as_str(),
            job,
            nanos(nominal),
            report.execution_id.as_str(),
        ))
        .map_err(engine("removing an active run"))?
        .is_some();
    if !was_active {
        return refused(Refusal::AlreadyFinished(report.execution_id));
    }
    let Some(mut stored) = tables.load_job(job)? else {
        return job_not_found(job);
    };
    let group = tables.load_group(job, nanos(nominal))?;
    let mut ledger = tables.load_ledger(job, nominal)?;
    let facts = FinishFacts {
        group: &group,
        lost_reason,
    };
    let decided = dkron_lifecycle::finish(&mut stored, ledger.as_mut(), report, facts);
    write_finish(tables, stored, ledger.as_ref(), decided)
}

/// Writes what `dkron_lifecycle::finish` decided, and answers what the leader has left to do.
fn write_finish(
    tables: &mut Tables<'_>,
    mut stored: StoredJob,
    ledger: Option<&LedgerEntry>,
    decided: Finish,
) -> Result<CommandResult, StoreError> {
    let job = stored.job.name.clone();
    let record = &decided.record;
    tables.save_execution(&job, record)?;
    if let Some(retry) = &decided.retry {
        tables.activate(&job, record.nominal, std::slice::from_ref(&retry.run))?;
    }
    if decided.notice {
        notices::record(tables, NoticeKind::Finished, &record.execution, &stored.job)?;
    }
    if let Some(entry) = ledger {
        tables.save_ledger(entry)?;
    }
    let mut followups = Followups {
        job: job.clone(),
        runs_pending: decided.retry.is_some() || decided.released.is_some(),
        ..Followups::default()
    };
    if decided.triggers_children {
        let children = stored.job.dependent_jobs.clone().unwrap_or_default();
        let at = record.execution.finished_at;
        followups.children = trigger_children(tables, &job, &children, at)?;
    }
    if let Some(released) = &decided.released {
        tables.activate(&job, released.nominal, &released.runs)?;
    }
    prune_executions(tables, &mut stored)?;
    tables.save_job(stored)?;
    if decided.delete_job {
        let deleted = super::jobs::delete(tables, &job)?;
        followups.deleted = matches!(deleted, CommandResult::Job(_));
    }
    if followups.children.is_empty() && !followups.runs_pending && !followups.deleted {
        Ok(CommandResult::Done)
    } else {
        Ok(CommandResult::Finished(followups))
    }
}

/// Tells each child that `parent` succeeded; returns those that now have a pending run.
fn trigger_children(
    tables: &mut Tables<'_>,
    parent: &str,
    children: &[String],
    at: DateTime<Utc>,
) -> Result<Vec<String>, StoreError> {
    let mut triggered = Vec::new();
    for child in children {
        let Some(mut stored) = tables.load_job(child)? else {
            continue;
        };
        if dkron_lifecycle::parent_succeeded(&mut stored, parent, at) {
            triggered.push(child.clone());
        }
        tables.save_job(stored)?;
    }
    Ok(triggered)
}

/// Ends the active runs of a node as lost; with `started_before`, only the runs its previous
/// process started (see `Command::LoseRuns`).
fn lose(
    tables: &mut Tables<'_>,
    node_name: &str,
    reason: &str,
    at: DateTime<Utc>,
    started_before: Option<DateTime<Utc>>,
) -> Result<CommandResult, StoreError> {
    let mut keys = Vec::new();
    for item in tables
        .active
        .range((node_name, "", i64::MIN, "")..=(node_name, MAX_ID, i64::MAX, MAX_ID))
        .map_err(engine("reading active runs"))?
    {
        let (key, _) = item.map_err(engine("reading active runs"))?;
        let (_, job, nominal, id) = key.value();
        keys.push((job.to_string(), nominal, id.to_string()));
    }
    let mut lost = 0;
    for (job, nominal, execution_id) in keys {
        let nominal = DateTime::from_timestamp_nanos(nominal);
        let recorded_start = match started_before {
            None => None,
            Some(_) => tables
                .load_execution(&job, nominal, &execution_id)?
                .map(|record| record.execution.started_at),
        };
        if !dkron_lifecycle::is_lost(started_before, recorded_start) {
            continue;
        }
        let run = LostRun {
            job,
            nominal,
            execution_id,
            node_name: node_name.to_string(),
            at,
        };
        let result = lose_one(tables, run, reason)?;
        if matches!(result, CommandResult::Done | CommandResult::Finished(_)) {
            lost += 1;
        }
    }
    Ok(CommandResult::Lost(lost))
}

/// Ends one active run as lost; a run that already has a result changes nothing.
fn lose_one(
    tables: &mut Tables<'_>,
    run: LostRun,
    reason: &str,
) -> Result<CommandResult, StoreError> {
    let ledger = tables.load_ledger(&run.job, run.nominal)?;
    let report = dkron_lifecycle::lost_report(run, reason, ledger.as_ref());
    finish(tables, report, Some(reason))
}
