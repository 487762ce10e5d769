//! The state machine's database: one redb file holding jobs, executions, ledger and meta.

use std::path::Path;

use chrono::{DateTime, Utc};
use dkron_model::LedgerEntry;
use redb::{Durability, ReadableTable, ReadableTableMetadata};

use crate::StoreError;
use crate::apply::{self, Tables};
use crate::command::{Command, CommandResult, Retention};
use crate::db_handle::DbHandle;
use crate::error::engine;
use crate::records::{Record, decode_ledger, nanos};
use crate::tables::MAX_ID;
use crate::tables::{ACTIVE, AUDIT, EXECUTIONS, JOBS, LEDGER, META, NOTICES};
use dkron_lifecycle::{StoredExecution, StoredJob};

/// An active run: launched and not finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveRun {
    /// Node running it.
    pub node_name: String,
    /// Job name.
    pub job: String,
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// Execution id.
    pub execution_id: String,
}

/// The replicated state, on disk.
pub struct StateStore {
    pub(crate) db: DbHandle,
}

impl StateStore {
    /// Opens (or creates) the database at `path` with a bounded page cache, so memory does
    /// not grow with history.
    pub fn open(path: &Path, cache_bytes: usize) -> Result<StateStore, StoreError> {
        let db = DbHandle::open(path, cache_bytes).map_err(engine("opening the state database"))?;
        let txn = db.begin_write().map_err(engine("initialising tables"))?;
        txn.open_table(JOBS)
            .map_err(engine("initialising tables"))?;
        txn.open_table(EXECUTIONS)
            .map_err(engine("initialising tables"))?;
        txn.open_table(LEDGER)
            .map_err(engine("initialising tables"))?;
        txn.open_table(ACTIVE)
            .map_err(engine("initialising tables"))?;
        txn.open_table(META)
            .map_err(engine("initialising tables"))?;
        txn.open_table(NOTICES)
            .map_err(engine("initialising tables"))?;
        txn.open_table(AUDIT)
            .map_err(engine("initialising tables"))?;
        txn.open_table(crate::tables::ACL_POLICIES)
            .map_err(engine("initialising tables"))?;
        txn.open_table(crate::tables::ACL_TOKENS)
            .map_err(engine("initialising tables"))?;
        txn.commit().map_err(engine("initialising tables"))?;
        Ok(StateStore { db })
    }

    /// Applies commands in one durable transaction together with opaque consensus metadata
    /// (`meta` key/value pairs), so the data and "applied up to" never disagree after a crash.
    pub fn apply(
        &self,
        commands: Vec<Command>,
        meta: &[(&str, Vec<u8>)],
    ) -> Result<Vec<CommandResult>, StoreError> {
        let mut txn = self.db.begin_write().map_err(engine("starting an apply"))?;
        txn.set_durability(Durability::Immediate)
            .map_err(engine("starting an apply"))?;
        let mut results = Vec::with_capacity(commands.len());
        {
            let mut tables = Tables::open(&txn)?;
            for command in commands {
                results.push(apply::apply(&mut tables, command)?);
            }
            tables.flush_jobs()?;
            for (key, value) in meta {
                tables
                    .meta
                    .insert(*key, value.as_slice())
                    .map_err(engine("writing meta"))?;
            }
        }
        txn.commit().map_err(engine("committing an apply"))?;
        Ok(results)
    }

    /// Closes the database after a write failed with an I/O error (a full disk): redb refuses
    /// everything on it until it is reopened, which the next read or write does. The failed
    /// transaction left nothing behind.
    pub fn close_after_failure(&self) {
        self.db.close_failed();
    }

    /// Returns an opaque consensus value written by `apply`.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        let value = table.get(key).map_err(engine("reading meta"))?;
        Ok(value.map(|bytes| bytes.value().to_vec()))
    }

    /// Returns whether scheduling is paused cluster-wide.
    pub fn paused(&self) -> Result<bool, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        crate::meta::read_paused(&table)
    }

    /// Returns the replicated history limits.
    pub fn retention(&self) -> Result<Retention, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading meta"))?;
        let table = txn.open_table(META).map_err(engine("reading meta"))?;
        crate::meta::read_retention(&table)
    }

    /// Returns every job with its bookkeeping, in name order.
    pub fn jobs(&self) -> Result<Vec<StoredJob>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing jobs"))?;
        let table = txn.open_table(JOBS).map_err(engine("listing jobs"))?;
        let mut jobs = Vec::with_capacity(table.len().unwrap_or(0) as usize);
        for item in table.iter().map_err(engine("listing jobs"))? {
            let (key, value) = item.map_err(engine("listing jobs"))?;
            jobs.push(StoredJob::decode(key.value(), value.value())?);
        }
        Ok(jobs)
    }

    /// Returns `limit` jobs (all with `None`) in name order from the `start`-th, or in reverse
    /// name order with `descending`, and how many jobs there are. Only the jobs returned are
    /// decoded: the ones before `start` are passed over by key.
    pub fn jobs_page(
        &self,
        start: usize,
        limit: Option<usize>,
        descending: bool,
    ) -> Result<(Vec<StoredJob>, usize), StoreError> {
        let mut total = 0;
        let mut jobs = Vec::new();
        self.visit_jobs_by_name(
            start,
            limit,
            descending,
            |count| total = count,
            |job| {
                jobs.push(job);
                std::ops::ControlFlow::Continue(())
            },
        )?;
        Ok((jobs, total))
    }

    /// Calls `visit` with every job in name order, one decoded at a time (memory stays at one
    /// job, whatever their number).
    pub fn for_each_job(&self, mut visit: impl FnMut(StoredJob)) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing jobs"))?;
        let table = txn.open_table(JOBS).map_err(engine("listing jobs"))?;
        for item in table.iter().map_err(engine("listing jobs"))? {
            let (key, value) = item.map_err(engine("listing jobs"))?;
            visit(StoredJob::decode(key.value(), value.value())?);
        }
        Ok(())
    }

    /// Returns every job's name, in order, without decoding the jobs.
    pub fn job_names(&self) -> Result<Vec<String>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing jobs"))?;
        let table = txn.open_table(JOBS).map_err(engine("listing jobs"))?;
        let mut names = Vec::with_capacity(table.len().unwrap_or(0) as usize);
        for item in table.iter().map_err(engine("listing jobs"))? {
            let (key, _) = item.map_err(engine("listing jobs"))?;
            names.push(key.value().to_string());
        }
        Ok(names)
    }

    /// Returns up to `limit` jobs in name order, after the job named `after` (from the first
    /// with `None`).
    pub fn jobs_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<StoredJob>, StoreError> {
        use std::ops::Bound;
        let txn = self.db.begin_read().map_err(engine("listing jobs"))?;
        let table = txn.open_table(JOBS).map_err(engine("listing jobs"))?;
        let start = after.map_or(Bound::Unbounded, Bound::Excluded);
        let mut jobs = Vec::with_capacity(limit.min(4_096));
        let range = table
            .range::<&str>((start, Bound::Unbounded))
            .map_err(engine("listing jobs"))?;
        for item in range.take(limit) {
            let (key, value) = item.map_err(engine("listing jobs"))?;
            jobs.push(StoredJob::decode(key.value(), value.value())?);
        }
        Ok(jobs)
    }

    /// Returns one job with its bookkeeping.
    pub fn job(&self, name: &str) -> Result<Option<StoredJob>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading a job"))?;
        let table = txn.open_table(JOBS).map_err(engine("reading a job"))?;
        let value = table.get(name).map_err(engine("reading a job"))?;
        value
            .map(|bytes| StoredJob::decode(name, bytes.value()))
            .transpose()
    }

    /// Returns a job's executions, oldest occurrence first; `None` when the job is unknown.
    pub fn executions(&self, job: &str) -> Result<Option<Vec<StoredExecution>>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing executions"))?;
        let jobs = txn.open_table(JOBS).map_err(engine("listing executions"))?;
        if jobs
            .get(job)
            .map_err(engine("listing executions"))?
            .is_none()
        {
            return Ok(None);
        }
        let table = txn
            .open_table(EXECUTIONS)
            .map_err(engine("listing executions"))?;
        let mut executions = Vec::new();
        let range = table
            .range((job, i64::MIN, "")..=(job, i64::MAX, MAX_ID))
            .map_err(engine("listing executions"))?;
        for item in range {
            let (key, value) = item.map_err(engine("listing executions"))?;
            executions.push(StoredExecution::decode(key.value().2, value.value())?);
        }
        Ok(Some(executions))
    }

    /// Returns the executions of one occurrence (its group: the nominal time in nanoseconds).
    pub fn group_executions(
        &self,
        job: &str,
        group: i64,
    ) -> Result<Vec<StoredExecution>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing a group"))?;
        let table = txn
            .open_table(EXECUTIONS)
            .map_err(engine("listing a group"))?;
        let range = table
            .range((job, group, "")..=(job, group, MAX_ID))
            .map_err(engine("listing a group"))?;
        let mut executions = Vec::new();
        for item in range {
            let (key, value) = item.map_err(engine("listing a group"))?;
            executions.push(StoredExecution::decode(key.value().2, value.value())?);
        }
        Ok(executions)
    }

    /// Returns one execution by id (the id's leading number is the occurrence's group).
    pub fn execution(
        &self,
        job: &str,
        execution_id: &str,
    ) -> Result<Option<StoredExecution>, StoreError> {
        let Some(group) = execution_id
            .split('-')
            .next()
            .and_then(|text| text.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        let txn = self
            .db
            .begin_read()
            .map_err(engine("reading an execution"))?;
        let table = txn
            .open_table(EXECUTIONS)
            .map_err(engine("reading an execution"))?;
        let value = table
            .get((job, group, execution_id))
            .map_err(engine("reading an execution"))?;
        value
            .map(|bytes| StoredExecution::decode(execution_id, bytes.value()))
            .transpose()
    }

    /// Returns a job's newest ledger entries, newest first.
    pub fn ledger(&self, job: &str, limit: usize) -> Result<Vec<LedgerEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading the ledger"))?;
        let table = txn
            .open_table(LEDGER)
            .map_err(engine("reading the ledger"))?;
        let mut entries = Vec::new();
        let range = table
            .range((job, i64::MIN)..=(job, i64::MAX))
            .map_err(engine("reading the ledger"))?;
        for item in range.rev().take(limit) {
            let (_, value) = item.map_err(engine("reading the ledger"))?;
            entries.push(decode_ledger(job, value.value())?);
        }
        Ok(entries)
    }

    /// Returns the ledger entries of a job with a nominal time in `(after, until]`, oldest
    /// first, at most `limit`.
    pub fn ledger_between(
        &self,
        job: &str,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<LedgerEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading the ledger"))?;
        let table = txn
            .open_table(LEDGER)
            .map_err(engine("reading the ledger"))?;
        let first = nanos(after).saturating_add(1);
        let range = table
            .range((job, first)..=(job, nanos(until)))
            .map_err(engine("reading the ledger"))?;
        let mut entries = Vec::new();
        for item in range.take(limit) {
            let (_, value) = item.map_err(engine("reading the ledger"))?;
            entries.push(decode_ledger(job, value.value())?);
        }
        Ok(entries)
    }

    /// Returns one ledger entry.
    pub fn ledger_entry(
        &self,
        job: &str,
        nominal: DateTime<Utc>,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading the ledger"))?;
        let table = txn
            .open_table(LEDGER)
            .map_err(engine("reading the ledger"))?;
        let value = table
            .get((job, nanos(nominal)))
            .map_err(engine("reading the ledger"))?;
        value
            .map(|bytes| decode_ledger(job, bytes.value()))
            .transpose()
    }

    /// Returns every active run, or only those of one node.
    pub fn active_runs(&self, node_name: Option<&str>) -> Result<Vec<ActiveRun>, StoreError> {
        let txn = self
            .db
            .begin_read()
            .map_err(engine("reading active runs"))?;
        let table = txn
            .open_table(ACTIVE)
            .map_err(engine("reading active runs"))?;
        let mut runs = Vec::new();
        for item in table.iter().map_err(engine("reading active runs"))? {
            let (key, _) = item.map_err(engine("reading active runs"))?;
            let (node, job, nominal, id) = key.value();
            if node_name.is_some_and(|wanted| wanted != node) {
                continue;
            }
            runs.push(ActiveRun {
                node_name: node.to_string(),
                job: job.to_string(),
                nominal: DateTime::from_timestamp_nanos(nominal),
                execution_id: id.to_string(),
            });
        }
        Ok(runs)
    }
}
