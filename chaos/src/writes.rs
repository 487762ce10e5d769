//! Job writes during the run: creates, updates and deletes of extra jobs on random servers,
//! each answer remembered, so that the end can tell whether an acknowledged write was lost.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::watch;

use crate::acks::{Wanted, WriteLog};
use crate::api::Api;
use crate::rng::Rng;

const WRITE_PREFIX: &str = "chaos-write-";
const WRITE_JOBS: u64 = 10;

fn write_job(name: &str, version: &str) -> Value {
    json!({
        "name": name,
        "displayname": version,
        "schedule": "@manually",
        "executor": "shell",
        "executor_config": { "command": "true" },
    })
}

/// Writes until `stop` turns true; returns every write and its answer.
pub async fn write_until(api: Api, seed: u64, mut stop: watch::Receiver<bool>) -> WriteLog {
    let mut rng = Rng::new(seed ^ 0x7772_6974);
    let mut log = WriteLog::default();
    let mut number = 0u64;
    while !*stop.borrow() {
        number += 1;
        let name = format!("{WRITE_PREFIX}{}", rng.between(0, WRITE_JOBS - 1));
        let base = api.servers[rng.index(api.servers.len())].clone();
        if rng.chance(25) {
            let answer = api.delete_job(&base, &name).await;
            let acknowledged = matches!(answer, Ok(status) if (200..300).contains(&status));
            log.record(&name, Wanted::Absent, acknowledged);
        } else {
            let version = format!("v{number}");
            let answer = api.put_job(&base, &write_job(&name, &version)).await;
            let acknowledged = matches!(answer, Ok(status) if (200..300).contains(&status));
            log.record(&name, Wanted::Present(version), acknowledged);
        }
        let pause = Duration::from_millis(rng.between(300, 1200));
        let _stopped = tokio::time::timeout(pause, stop.changed()).await;
    }
    log
}

/// Each written job's version mark as the cluster has it now (absent jobs are left out).
pub async fn versions(
    api: &Api,
    base: &str,
    log: &WriteLog,
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut found = BTreeMap::new();
    for name in log.jobs() {
        if let Some(job) = api.job(base, name).await? {
            let version = job
                .get("displayname")
                .and_then(Value::as_str)
                .unwrap_or_default();
            found.insert(name.to_string(), version.to_string());
        }
    }
    Ok(found)
}
