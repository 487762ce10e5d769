//! Versioned records as stored in redb (STYLE rule 13): each value carries its version and
//! decodes through older versions.

use chrono::{DateTime, Utc};
use dkron_model::{Execution, Job, LedgerEntry, Trigger};
use serde::{Deserialize, Serialize};

use crate::StoreError;

/// A job with the scheduler's replicated bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredJob {
    /// The job as the API shows it (without the computed `next`).
    pub job: Job,
    /// Last nominal time the scheduler decided about (the schedule cursor).
    pub cursor: Option<DateTime<Utc>>,
    /// Since when the current schedule applies: set when the job is created, rescheduled or
    /// enabled again (the ledger completeness figure expects occurrences from here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule_since: Option<DateTime<Utc>>,
    /// Runs launched and not finished yet (drives `concurrency: forbid`).
    pub active_runs: u32,
    /// Stored executions of the job (drives retention).
    pub execution_count: u32,
    /// Stored ledger entries of the job (drives retention).
    pub ledger_count: u32,
    /// Parents that succeeded since this job last ran because of its parents (a job with
    /// several parents runs once all of them are here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parents_done: Vec<String>,
    /// Nominal times of runs its parents triggered that the leader has not launched yet.
    /// Replicated, so a new leader launches what the old one did not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_triggers: Vec<DateTime<Utc>>,
    /// Runs decided but not started yet: next attempts of failed runs, and a queued
    /// occurrence let out (the leader sends each to its node, which starts it at
    /// `not_before`). Replicated for the same reason.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_runs: Vec<PendingRun>,
    /// An occurrence of a `concurrency: queue` job that came due while a run was active: it
    /// is in the ledger as launched and starts when the active runs end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued: Option<QueuedLaunch>,
}

/// An occurrence waiting for the job's active runs to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuedLaunch {
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// Where it runs, chosen when it was decided.
    pub runs: Vec<crate::RunPlan>,
}

/// A run decided by the state machine that its node has not started yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRun {
    /// Nominal time of the occurrence (the execution group).
    pub nominal: DateTime<Utc>,
    /// Execution id (`<nanos>-<node>`, with `-<attempt>` from the second attempt).
    pub execution_id: String,
    /// The node that runs it (for a retry, the one that ran the failed attempt, as in Dkron).
    pub node_name: String,
    /// Attempt number, from 1.
    pub attempt: u32,
    /// Not started before this time (a retry's backoff).
    pub not_before: DateTime<Utc>,
}

/// An execution with what the Dkron JSON does not carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredExecution {
    /// The execution as the API shows it.
    pub execution: Execution,
    /// Nominal time of the occurrence.
    pub nominal: DateTime<Utc>,
    /// What caused the occurrence.
    pub trigger: Trigger,
    /// Process exit code, when there was one.
    pub exit_code: Option<i32>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum JobVersions {
    #[serde(rename = "1")]
    V1(StoredJob),
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum ExecutionVersions {
    #[serde(rename = "1")]
    V1(StoredExecution),
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum LedgerVersions {
    #[serde(rename = "1")]
    V1(LedgerEntry),
}

/// How a version-1 record starts: serde writes an internally tagged enum's tag first.
const V1_PREFIX: &[u8] = br#"{"v":"1","#;

/// A record with its version tag, written exactly as the `*Versions` enums write it, but
/// without cloning the record into the enum first.
#[derive(Serialize)]
struct TaggedV1<'a, T> {
    v: &'static str,
    #[serde(flatten)]
    record: &'a T,
}

fn encode_v1<T: Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(&TaggedV1 { v: "1", record })
        .expect("records are plain data and always serialise")
}

/// Decodes a record. Version 1, as this crate writes it, is read straight into its type
/// (the tag is an unknown field there, which serde skips): the enum path buffers the whole
/// record first and costs twice as much, on every run. Anything else takes the enum path.
fn decode_versioned<T, V>(bytes: &[u8], from_enum: impl FnOnce(V) -> T) -> serde_json::Result<T>
where
    T: serde::de::DeserializeOwned,
    V: serde::de::DeserializeOwned,
{
    if bytes.starts_with(V1_PREFIX) {
        serde_json::from_slice(bytes)
    } else {
        serde_json::from_slice(bytes).map(from_enum)
    }
}

fn corrupt(kind: &'static str, key: &str, error: serde_json::Error) -> StoreError {
    StoreError::Corrupt {
        kind,
        key: key.to_string(),
        message: error.to_string(),
    }
}

impl StoredJob {
    pub(crate) fn encode(&self) -> Vec<u8> {
        encode_v1(self)
    }

    pub(crate) fn decode(key: &str, bytes: &[u8]) -> Result<StoredJob, StoreError> {
        decode_versioned(bytes, |JobVersions::V1(job)| job).map_err(|e| corrupt("job", key, e))
    }
}

impl StoredExecution {
    pub(crate) fn encode(&self) -> Vec<u8> {
        encode_v1(self)
    }

    pub(crate) fn decode(key: &str, bytes: &[u8]) -> Result<StoredExecution, StoreError> {
        decode_versioned(bytes, |ExecutionVersions::V1(execution)| execution)
            .map_err(|e| corrupt("execution", key, e))
    }
}

pub(crate) fn encode_ledger(entry: &LedgerEntry) -> Vec<u8> {
    encode_v1(entry)
}

pub(crate) fn decode_ledger(key: &str, bytes: &[u8]) -> Result<LedgerEntry, StoreError> {
    decode_versioned(bytes, |LedgerVersions::V1(entry)| entry)
        .map_err(|e| corrupt("ledger", key, e))
}

/// Nanoseconds since the epoch, the key form of a nominal time.
pub(crate) fn nanos(time: DateTime<Utc>) -> i64 {
    time.timestamp_nanos_opt().unwrap_or(i64::MIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frozen version-1 job record: decoding it must keep working when fields are added.
    const JOB_V1: &str = r#"{"v":"1","job":{"name":"a","schedule":"@every 1s","next":"0001-01-01T00:00:00Z"},"cursor":"2026-01-01T00:00:00Z","active_runs":1,"execution_count":2,"ledger_count":3}"#;

    #[test]
    fn decodes_frozen_v1_job() {
        let stored = StoredJob::decode("a", JOB_V1.as_bytes()).unwrap();
        assert_eq!(stored.job.name, "a");
        assert_eq!(stored.active_runs, 1);
        let again = StoredJob::decode("a", &stored.encode()).unwrap();
        assert_eq!(again, stored);
    }

    #[test]
    fn the_fast_encoding_is_byte_for_byte_the_tagged_one() {
        let stored = StoredJob::decode("a", JOB_V1.as_bytes()).unwrap();
        let tagged = serde_json::to_vec(&JobVersions::V1(stored.clone())).unwrap();
        assert_eq!(stored.encode(), tagged);
        let execution = StoredExecution {
            execution: Execution::default(),
            nominal: DateTime::UNIX_EPOCH,
            trigger: Trigger::Manual,
            exit_code: Some(3),
        };
        let tagged = serde_json::to_vec(&ExecutionVersions::V1(execution.clone())).unwrap();
        assert_eq!(execution.encode(), tagged);
    }

    #[test]
    fn records_not_in_the_fast_form_take_the_tagged_path() {
        let reordered = r#"{ "job":{"name":"a","schedule":"@every 1s"},"v":"1","cursor":null,"active_runs":0,"execution_count":0,"ledger_count":0}"#;
        let stored = StoredJob::decode("a", reordered.as_bytes()).unwrap();
        assert_eq!(stored.job.name, "a");
        let unknown_version = r#"{"v":"9","job":{"name":"a","schedule":"@every 1s"}}"#;
        assert!(StoredJob::decode("a", unknown_version.as_bytes()).is_err());
    }

    #[test]
    fn corrupt_values_are_reported_not_panicked() {
        assert!(StoredJob::decode("a", b"{oops").is_err());
    }
}
