//! Versioned records as stored in redb (STYLE rule 13): each value carries its version and
//! decodes through older versions.

use chrono::{DateTime, Utc};
use dkron_acl::{Policy, Token};
use dkron_lifecycle::{StoredExecution, StoredJob};
use dkron_model::LedgerEntry;
use serde::{Deserialize, Serialize};

use crate::StoreError;

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
enum TokenVersions {
    #[serde(rename = "1")]
    V1(Token),
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "v")]
enum PolicyVersions {
    #[serde(rename = "1")]
    V1(Policy),
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

/// A record kept in a redb table, with its version tag (the record types belong to the
/// lifecycle rules; how they are written belongs here).
pub(crate) trait Record: Sized {
    /// Returns the record's bytes, version tag first.
    fn encode(&self) -> Vec<u8>;
    /// Reads a record of any known version; `key` names it in the error.
    fn decode(key: &str, bytes: &[u8]) -> Result<Self, StoreError>;
}

impl Record for StoredJob {
    fn encode(&self) -> Vec<u8> {
        encode_v1(self)
    }

    fn decode(key: &str, bytes: &[u8]) -> Result<StoredJob, StoreError> {
        #[cfg(test)]
        whole_job_decodes::count();
        decode_versioned(bytes, |JobVersions::V1(job)| job).map_err(|e| corrupt("job", key, e))
    }
}

impl Record for StoredExecution {
    fn encode(&self) -> Vec<u8> {
        encode_v1(self)
    }

    fn decode(key: &str, bytes: &[u8]) -> Result<StoredExecution, StoreError> {
        decode_versioned(bytes, |ExecutionVersions::V1(execution)| execution)
            .map_err(|e| corrupt("execution", key, e))
    }
}

impl Record for Token {
    fn encode(&self) -> Vec<u8> {
        encode_v1(self)
    }

    fn decode(key: &str, bytes: &[u8]) -> Result<Token, StoreError> {
        decode_versioned(bytes, |TokenVersions::V1(token)| token)
            .map_err(|e| corrupt("acl token", key, e))
    }
}

impl Record for Policy {
    fn encode(&self) -> Vec<u8> {
        encode_v1(self)
    }

    fn decode(key: &str, bytes: &[u8]) -> Result<Policy, StoreError> {
        decode_versioned(bytes, |PolicyVersions::V1(policy)| policy)
            .map_err(|e| corrupt("acl policy", key, e))
    }
}

pub(crate) fn encode_ledger(entry: &LedgerEntry) -> Vec<u8> {
    encode_v1(entry)
}

pub(crate) fn decode_ledger(key: &str, bytes: &[u8]) -> Result<LedgerEntry, StoreError> {
    decode_versioned(bytes, |LedgerVersions::V1(entry)| entry)
        .map_err(|e| corrupt("ledger", key, e))
}

/// How many whole jobs this thread decoded (tests only: the list reads promise to decode
/// only the jobs they return).
#[cfg(test)]
pub(crate) mod whole_job_decodes {
    use std::cell::Cell;

    thread_local! {
        static DECODES: Cell<u64> = const { Cell::new(0) };
    }

    pub(crate) fn count() {
        DECODES.with(|decodes| decodes.set(decodes.get() + 1));
    }

    /// Returns the count so far on this thread.
    pub(crate) fn so_far() -> u64 {
        DECODES.with(Cell::get)
    }
}

/// Nanoseconds since the epoch, the key form of a nominal time (and the execution group).
pub(crate) fn nanos(time: DateTime<Utc>) -> i64 {
    dkron_lifecycle::group_of(time)
}

#[cfg(test)]
mod tests {
    use dkron_model::{Execution, Trigger};

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

    /// Frozen version-1 ACL records: decoding them must keep working when fields are added.
    const TOKEN_V1: &str = r#"{"v":"1","accessor_id":"a-1","name":"alice","kind":"client","policies":["readonly"],"create_time":"2026-12-06T12:00:00Z","secret_hash":"ab12"}"#;
    const POLICY_V1: &str = r#"{"v":"1","name":"readonly","rules":"{\"path\":{}}"}"#;

    #[test]
    fn decodes_frozen_v1_acl_records() {
        let token = Token::decode("ab12", TOKEN_V1.as_bytes()).unwrap();
        assert_eq!(token.name, "alice");
        assert_eq!(token.kind, dkron_acl::TokenKind::Client);
        assert_eq!(token.expiration_time, None);
        assert_eq!(token.encode(), TOKEN_V1.as_bytes());
        let policy = Policy::decode("readonly", POLICY_V1.as_bytes()).unwrap();
        assert_eq!(policy.rules, r#"{"path":{}}"#);
        assert_eq!(policy.encode(), POLICY_V1.as_bytes());
    }

    #[test]
    fn corrupt_values_are_reported_not_panicked() {
        assert!(StoredJob::decode("a", b"{oops").is_err());
    }
}
