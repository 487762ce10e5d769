//! An execution (one run of a job on one node) as Dkron's REST API shows it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::gotime;

/// One run of a job on one node, in Dkron's JSON shape (`dkron-behaviour.md` §3.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Execution {
    /// `<nanoseconds>-<node>`: unique per job, also the path parameter of the execution route.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Name of the job this execution belongs to.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub job_name: String,
    /// When the process (or request) started; zero time until then.
    #[serde(with = "gotime::required")]
    pub started_at: DateTime<Utc>,
    /// When it finished; zero time while running.
    #[serde(with = "gotime::required")]
    pub finished_at: DateTime<Utc>,
    /// True when the executor reported success.
    pub success: bool,
    /// Combined output, capped to the configured size (tail kept).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// Node that ran it.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub node_name: String,
    /// Execution group: shared by all runs of one occurrence (nominal time in nanoseconds).
    #[serde(skip_serializing_if = "is_zero_i64")]
    pub group: i64,
    /// 1 for the first attempt, incremented per retry.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub attempt: u32,
    /// Only set in list responses: whether `output` was cut by `output_size_limit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_truncated: Option<bool>,
    /// True when the run was stopped before it ended by itself: a timeout, a memory limit or
    /// a kill request (the output's first line says which). Not in Dkron; sent only when true.
    #[serde(default, skip_serializing_if = "is_false")]
    pub killed: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

fn is_zero_i64(value: &i64) -> bool {
    *value == 0
}

fn is_zero_u32(value: &u32) -> bool {
    *value == 0
}

impl Default for Execution {
    fn default() -> Self {
        Execution {
            id: String::new(),
            job_name: String::new(),
            started_at: gotime::zero_time(),
            finished_at: gotime::zero_time(),
            success: false,
            output: String::new(),
            node_name: String::new(),
            group: 0,
            attempt: 0,
            output_truncated: None,
            killed: false,
        }
    }
}

impl Execution {
    /// Returns true while the execution has started and not finished.
    pub fn is_running(&self) -> bool {
        gotime::is_zero(&self.finished_at)
    }
}

/// Builds the execution id Dkron clients expect: `<nanoseconds>-<node>`, with the attempt
/// appended from the second attempt on so retries of one occurrence stay distinct.
///
/// The nanoseconds are the occurrence's nominal time, so the id is derived from the
/// occurrence and never depends on when the process happened to start.
pub fn execution_id(nominal: DateTime<Utc>, node_name: &str, attempt: u32) -> String {
    let nanos = nominal.timestamp_nanos_opt().unwrap_or(0);
    if attempt <= 1 {
        format!("{nanos}-{node_name}")
    } else {
        format!("{nanos}-{node_name}-{attempt}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_execution_matches_dkron_shape() {
        let execution = Execution {
            id: "1766225730401122334-node1".into(),
            job_name: "job2".into(),
            started_at: gotime::parse("2025-12-20T10:15:30.401122334Z").unwrap(),
            output: "last chunk\n".into(),
            node_name: "node1".into(),
            group: 1766225730399871002,
            attempt: 1,
            ..Execution::default()
        };
        assert_eq!(
            serde_json::to_string(&execution).unwrap(),
            r#"{"id":"1766225730401122334-node1","job_name":"job2","started_at":"2025-12-20T10:15:30.401122334Z","finished_at":"0001-01-01T00:00:00Z","success":false,"output":"last chunk\n","node_name":"node1","group":1766225730399871002,"attempt":1}"#
        );
        assert!(execution.is_running());
    }

    #[test]
    fn ids_derive_from_the_occurrence() {
        let nominal = gotime::parse("2025-12-20T10:15:30Z").unwrap();
        assert_eq!(execution_id(nominal, "n1", 1), "1766225730000000000-n1");
        assert_eq!(execution_id(nominal, "n1", 2), "1766225730000000000-n1-2");
    }
}
