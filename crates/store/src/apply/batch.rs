//! The tables a command may touch, opened once per batch, with the jobs the batch changed
//! kept decoded until it ends.

use std::collections::HashMap;

use dkron_lifecycle::StoredJob;
use redb::{ReadableTable, Table, WriteTransaction};

use crate::StoreError;
use crate::command::Retention;
use crate::error::engine;
use crate::meta::{PAUSED_KEY, RETENTION_KEY, read_paused, read_retention, write_meta_json};
use crate::notices::{self, NoticeSettings};
use crate::records::Record;
use crate::tables::{ACTIVE, EXECUTIONS, JOBS, LEDGER, META, NOTICES};

/// The tables a command may touch, opened once per batch.
pub(crate) struct Tables<'txn> {
    /// The transaction, for the tables only some commands touch (the audit log, the ACL
    /// tables): those commands open them, not `open`, so a batch of run records opens no
    /// more tables than it needs.
    pub(crate) txn: &'txn WriteTransaction,
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
            txn,
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

    pub(crate) fn save_retention(&mut self) -> Result<(), StoreError> {
        write_meta_json(&mut self.meta, RETENTION_KEY, &self.retention)
    }

    pub(crate) fn save_paused(&mut self) -> Result<(), StoreError> {
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
