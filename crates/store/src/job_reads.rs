//! Job reads of the list routes that stay bounded whatever the number and size of jobs: a
//! compact listing of every job (no executor configuration, processors or tags are decoded),
//! the few whole jobs of one page, and a walk that hands whole jobs over one at a time.

use std::ops::ControlFlow;

use chrono::{DateTime, Utc};
use dkron_lifecycle::StoredJob;
use dkron_model::{Job, StringMap, gotime};
use redb::{ReadableTable, ReadableTableMetadata};
use serde::Deserialize;

use crate::StoreError;
use crate::error::engine;
use crate::records::Record;
use crate::state_store::StateStore;
use crate::tables::JOBS;

/// A job as the job list filters and sorts it: the fields the list reads, and the schedule
/// cursor (the next fire time is computed from it). Every other field of `job` is left at
/// its default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobListing {
    /// The job with only the listed fields set.
    pub job: Job,
    /// Last nominal time the scheduler decided about.
    pub cursor: Option<DateTime<Utc>>,
}

/// The part of a stored job record a listing reads; serde passes over the rest without
/// building it (the executor configuration of a big job is most of its bytes).
#[derive(Deserialize)]
struct ListingRecord {
    #[serde(default)]
    job: ListedFields,
    #[serde(default)]
    cursor: Option<DateTime<Utc>>,
}

/// The listed fields, under the names and encodings `Job` writes them with.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ListedFields {
    name: String,
    displayname: String,
    timezone: String,
    schedule: String,
    success_count: i64,
    error_count: i64,
    #[serde(with = "gotime::nullable")]
    last_success: Option<DateTime<Utc>>,
    #[serde(with = "gotime::nullable")]
    last_error: Option<DateTime<Utc>>,
    disabled: bool,
    metadata: Option<StringMap>,
    parent_job: String,
    parent_jobs: Vec<String>,
    status: String,
    #[serde(with = "gotime::nullable")]
    starts_at: Option<DateTime<Utc>>,
    #[serde(with = "gotime::nullable")]
    expires_at: Option<DateTime<Utc>>,
    misfire_policy: String,
    catch_up_window: String,
}

impl ListingRecord {
    fn decode(key: &str, bytes: &[u8]) -> Result<JobListing, StoreError> {
        let record: ListingRecord =
            serde_json::from_slice(bytes).map_err(|error| StoreError::Corrupt {
                kind: "job",
                key: key.to_string(),
                message: error.to_string(),
            })?;
        let fields = record.job;
        let job = Job {
            name: fields.name,
            displayname: fields.displayname,
            timezone: fields.timezone,
            schedule: fields.schedule,
            success_count: fields.success_count,
            error_count: fields.error_count,
            last_success: fields.last_success,
            last_error: fields.last_error,
            disabled: fields.disabled,
            metadata: fields.metadata,
            parent_job: fields.parent_job,
            parent_jobs: fields.parent_jobs,
            status: fields.status,
            starts_at: fields.starts_at,
            expires_at: fields.expires_at,
            misfire_policy: fields.misfire_policy,
            catch_up_window: fields.catch_up_window,
            ..Job::default()
        };
        Ok(JobListing {
            job,
            cursor: record.cursor,
        })
    }
}

impl StateStore {
    /// Calls `visit` with the listing of every job in name order, one at a time: memory
    /// stays at one listing, and no job is decoded whole.
    pub fn for_each_job_listing(
        &self,
        mut visit: impl FnMut(JobListing),
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing jobs"))?;
        let table = txn.open_table(JOBS).map_err(engine("listing jobs"))?;
        for item in table.iter().map_err(engine("listing jobs"))? {
            let (key, value) = item.map_err(engine("listing jobs"))?;
            visit(ListingRecord::decode(key.value(), value.value())?);
        }
        Ok(())
    }

    /// Returns the named jobs that exist, in the order given, read in one transaction (a job
    /// deleted since its name was listed is left out).
    pub fn jobs_named(&self, names: &[String]) -> Result<Vec<StoredJob>, StoreError> {
        let mut jobs = Vec::with_capacity(names.len());
        self.visit_named_jobs(names, |job| {
            jobs.push(job);
            ControlFlow::Continue(())
        })?;
        Ok(jobs)
    }

    /// Calls `visit` with each named job that exists, in the order given, from one read
    /// transaction, until it breaks.
    pub fn visit_named_jobs(
        &self,
        names: &[String],
        mut visit: impl FnMut(StoredJob) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(engine("reading jobs"))?;
        let table = txn.open_table(JOBS).map_err(engine("reading jobs"))?;
        for name in names {
            let Some(value) = table.get(name.as_str()).map_err(engine("reading jobs"))? else {
                continue;
            };
            if visit(StoredJob::decode(name, value.value())?).is_break() {
                break;
            }
        }
        Ok(())
    }

    /// Calls `on_total` with the number of jobs, then `visit` with each job in name order
    /// (reverse order with `descending`) from the `skip`-th, at most `limit` of them (all with
    /// `None`), one decoded at a time, until it breaks; all from one read transaction, so the
    /// count and the jobs agree. The jobs before `skip` are passed over by key.
    pub fn visit_jobs_by_name(
        &self,
        skip: usize,
        limit: Option<usize>,
        descending: bool,
        on_total: impl FnOnce(usize),
        mut visit: impl FnMut(StoredJob) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        let txn = self.db.begin_read().map_err(engine("listing jobs"))?;
        let table = txn.open_table(JOBS).map_err(engine("listing jobs"))?;
        on_total(table.len().map_err(engine("counting jobs"))? as usize);
        let iter = table.iter().map_err(engine("listing jobs"))?;
        let rows: Box<dyn Iterator<Item = _>> = if descending {
            Box::new(iter.rev())
        } else {
            Box::new(iter)
        };
        for item in rows.skip(skip).take(limit.unwrap_or(usize::MAX)) {
            let (key, value) = item.map_err(engine("listing jobs"))?;
            if visit(StoredJob::decode(key.value(), value.value())?).is_break() {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "job_reads_test.rs"]
mod tests;
