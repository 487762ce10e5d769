//! Applying commands to the tables inside one write transaction.

mod jobs;
pub(crate) use jobs::MAX_ID;
mod prune;
mod retention;
mod runs;

use std::collections::HashMap;

use redb::{ReadableTable, Table, WriteTransaction};

use crate::StoreError;
use crate::command::{Command, CommandResult, Retention};
use crate::error::engine;
use crate::notices::{self, NoticeSettings};
use crate::records::Record;
use crate::tables::{ACTIVE, EXECUTIONS, JOBS, LEDGER, META, NOTICES};
use dkron_lifecycle::{LaunchIntent, LostRun, SkippedRange, StartReport, StoredJob};

/// The tables a command may touch, opened once per batch.
pub(crate) struct Tables<'txn> {
    pub(crate) jobs: Table<'txn, &'static str, &'static [u8]>,
    pub(crate) executions: Table<'txn, (&'static str, i64, &'static str), &'static [u8]>,
    pub(crate) ledger: Table<'txn, (&'static str, i64), &'static [u8]>,
    pub(crate) active: Table<'txn, (&'static str, &'static str, i64, &'static str), ()>,
    pub(crate) meta: Table<'txn, &'static str, &'static [u8]>,
    pub(crate) notices: Table<'txn, u64, &'static [u8]>,
    /// Which run records leave a notice in the outbox.
    pub(crate) notice_settings: NoticeSettings,
    pub(crate) retention: Retention,
    /// Scheduling is paused cluster-wide.
    pub(crate) paused: bool,
    /// Jobs saved by this batch and not written to `jobs` yet: a job that several commands
    /// of one batch change (a run's start and result, a launch and its release) is decoded
    /// and encoded once per batch, not once per command. `flush_jobs` writes them before
    /// the transaction commits. At most one entry per job the batch touched.
    saved_jobs: HashMap<String, StoredJob>,
}

impl<'txn> Tables<'txn> {
    pub(crate) fn open(txn: &'txn WriteTransaction) -> Result<Self, StoreError> {
        let meta = txn.open_table(META).map_err(engine("opening meta"))?;
        let retention = read_retention(&meta)?;
        let paused = read_paused(&meta)?;
        let notice_settings = notices::read_settings(&meta)?;
        Ok(Tables {
            jobs: txn.open_table(JOBS).map_err(engine("opening jobs"))?,
            executions: txn
                .open_table(EXECUTIONS)
                .map_err(engine("opening executions"))?,
            ledger: txn.open_table(LEDGER).map_err(engine("opening ledger"))?,
            active: txn
                .open_table(ACTIVE)
                .map_err(engine("opening active runs"))?,
            meta,
            notices: txn.open_table(NOTICES).map_err(engine("opening notices"))?,
            notice_settings,
            retention,
            paused,
            saved_jobs: HashMap::new(),
        })
    }

    fn save_retention(&mut self) -> Result<(), StoreError> {
        write_meta_json(&mut self.meta, RETENTION_KEY, &self.retention)
    }

    fn save_paused(&mut self) -> Result<(), StoreError> {
        if self.paused {
            self.meta
                .insert(PAUSED_KEY, [1u8].as_slice())
                .map_err(engine("writing the pause flag"))?;
        } else {
            self.meta
                .remove(PAUSED_KEY)
                .map_err(engine("writing the pause flag"))?;
        }
        Ok(())
    }

    /// Returns a job as this batch left it so far.
    pub(crate) fn load_job(&self, name: &str) -> Result<Option<StoredJob>, StoreError> {
        if let Some(saved) = self.saved_jobs.get(name) {
            return Ok(Some(saved.clone()));
        }
        let value = self.jobs.get(name).map_err(engine("reading a job"))?;
        value
            .map(|bytes| StoredJob::decode(name, bytes.value()))
            .transpose()
    }

    /// Keeps a job's new state; it is written to the table by `flush_jobs`.
    pub(crate) fn save_job(&mut self, stored: StoredJob) -> Result<(), StoreError> {
        self.saved_jobs.insert(stored.job.name.clone(), stored);
        Ok(())
    }

    /// Removes a job from the table and from what this batch saved of it.
    pub(crate) fn remove_job(&mut self, name: &str) -> Result<(), StoreError> {
        self.saved_jobs.remove(name);
        self.jobs.remove(name).map_err(engine("deleting a job"))?;
        Ok(())
    }

    /// Writes the jobs this batch saved. Called before the transaction commits, and before
    /// anything reads the jobs table directly instead of through `load_job`.
    pub(crate) fn flush_jobs(&mut self) -> Result<(), StoreError> {
        for (name, stored) in self.saved_jobs.drain() {
            self.jobs
                .insert(name.as_str(), stored.encode().as_slice())
                .map_err(engine("writing a job"))?;
        }
        Ok(())
    }
}

/// Applies one command; rule violations come back as `CommandResult::Failed`, storage
/// failures as `Err` (which aborts the whole transaction).
pub(crate) fn apply(
    tables: &mut Tables<'_>,
    command: Command,
) -> Result<CommandResult, StoreError> {
    match command {
        Command::PutJob { job, now } => jobs::put(tables, *job, now),
        Command::DeleteJob { name } => jobs::delete(tables, &name),
        Command::ToggleJob { name, now } => jobs::toggle(tables, &name, now),
        Command::DeleteExecutions { job } => jobs::delete_executions(tables, &job),
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
            runs::launch(tables, &job, intent)
        }
        Command::Skip {
            job,
            nominal,
            trigger,
            reason,
            decided_at,
        } => runs::skip(tables, &job, nominal, trigger, reason, decided_at),
        Command::SkipRange {
            job,
            first,
            last,
            count,
            reason,
            decided_at,
        } => {
            let range = SkippedRange { first, last, count };
            runs::skip_range(tables, &job, range, reason, decided_at)
        }
        Command::RunStarted {
            job,
            nominal,
            execution_id,
            node_name,
            attempt,
            started_at,
        } => {
            let report = StartReport {
                nominal,
                execution_id: &execution_id,
                node_name: &node_name,
                attempt,
                started_at,
            };
            runs::started(tables, &job, report)
        }
        Command::RunFinished { report } => runs::finished(tables, report),
        Command::LoseRuns {
            node_name,
            reason,
            at,
            started_before,
        } => runs::lose(tables, &node_name, &reason, at, started_before),
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
            runs::lose_one(tables, run, &reason)
        }
        Command::PruneAged { now, limit, from } => prune::aged(tables, now, limit, from.as_deref()),
        Command::SetPaused { paused } => {
            tables.paused = paused;
            tables.save_paused()?;
            Ok(CommandResult::Done)
        }
        Command::SetNotices(settings) => {
            notices::set_settings(tables, settings)?;
            Ok(CommandResult::Done)
        }
        Command::AckNotices { seqs } => {
            notices::remove(tables, &seqs)?;
            Ok(CommandResult::Done)
        }
        Command::SetRetention(retention) => {
            tables.retention = retention;
            tables.save_retention()?;
            Ok(CommandResult::Done)
        }
        Command::Batch(commands) => {
            let mut results = Vec::with_capacity(commands.len());
            for command in commands {
                results.push(apply(tables, command)?);
            }
            Ok(CommandResult::Batch(results))
        }
    }
}

/// Meta key of the replicated history limits.
pub(crate) const RETENTION_KEY: &str = "retention";

/// Meta key present while scheduling is paused cluster-wide.
pub(crate) const PAUSED_KEY: &str = "paused";

/// Reads whether scheduling is paused cluster-wide.
pub(crate) fn read_paused(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<bool, StoreError> {
    Ok(meta
        .get(PAUSED_KEY)
        .map_err(engine("reading the pause flag"))?
        .is_some())
}

/// Reads the replicated history limits, or the defaults before any were set.
pub(crate) fn read_retention(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
) -> Result<Retention, StoreError> {
    read_meta_json(meta, RETENTION_KEY)
}

/// Reads a setting kept as JSON under `key` in meta, or its default before it was set.
pub(crate) fn read_meta_json<T: serde::de::DeserializeOwned + Default>(
    meta: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &'static str,
) -> Result<T, StoreError> {
    let Some(bytes) = meta.get(key).map_err(engine("reading meta"))? else {
        return Ok(T::default());
    };
    serde_json::from_slice(bytes.value()).map_err(|error| StoreError::Corrupt {
        kind: "meta",
        key: key.to_string(),
        message: error.to_string(),
    })
}

/// Keeps a setting as JSON under `key` in meta.
pub(crate) fn write_meta_json<T: serde::Serialize>(
    meta: &mut Table<'_, &'static str, &'static [u8]>,
    key: &'static str,
    value: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value).expect("settings are plain data and always serialise");
    meta.insert(key, bytes.as_slice())
        .map_err(engine("writing meta"))?;
    Ok(())
}
