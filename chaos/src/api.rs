//! The cluster's REST API, as any client sees it: the suite never looks inside.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::check::{LedgerEntry, LedgerRun};

/// Time limit of the status questions asked while faults are in force.
const QUICK: Duration = Duration::from_secs(3);

/// A client for the servers' HTTP addresses.
#[derive(Debug, Clone)]
pub struct Api {
    client: reqwest::Client,
    pub servers: Vec<String>,
}

impl Api {
    pub fn new(servers: Vec<String>, timeout: Duration) -> anyhow::Result<Api> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(2))
            .no_proxy()
            .build()?;
        Ok(Api { client, servers })
    }

    async fn get_json(&self, url: &str) -> anyhow::Result<Value> {
        self.get_json_within(url, Duration::from_secs(30)).await
    }

    /// A GET with its own time limit (a paused server accepts connections and never answers).
    async fn get_json_within(&self, url: &str, limit: Duration) -> anyhow::Result<Value> {
        let response = self.client.get(url).timeout(limit).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("GET {url}: {status}");
        }
        Ok(response.json().await?)
    }

    /// The leader's name as most answering servers see it.
    pub async fn leader(&self) -> Option<String> {
        let mut votes: BTreeMap<String, usize> = BTreeMap::new();
        for base in &self.servers {
            if let Ok(leader) = self
                .get_json_within(&format!("{base}/v1/leader"), QUICK)
                .await
                && let Some(name) = leader.get("Name").and_then(Value::as_str)
            {
                *votes.entry(name.to_string()).or_default() += 1;
            }
        }
        let (name, count) = votes.into_iter().max_by_key(|(_, count)| *count)?;
        (count * 2 > self.servers.len()).then_some(name)
    }

    /// `/health` as `<status> <body>`, or the error, and the leader the server names.
    pub async fn health_and_leader(&self, base: &str) -> (String, String) {
        let health = match self
            .client
            .get(format!("{base}/health"))
            .timeout(QUICK)
            .send()
            .await
        {
            Ok(response) => {
                let status = response.status().as_u16();
                format!(
                    "{status} {}",
                    response.text().await.unwrap_or_default().trim()
                )
            }
            Err(error) => format!("no answer: {error}"),
        };
        let leader = match self
            .get_json_within(&format!("{base}/v1/leader"), QUICK)
            .await
        {
            Ok(leader) => text(&leader, "Name"),
            Err(error) => format!("({error})"),
        };
        (health, leader)
    }

    /// How many members a server sees alive.
    pub async fn alive_members(&self, base: &str) -> usize {
        let Ok(Value::Array(members)) = self
            .get_json_within(&format!("{base}/v1/members"), QUICK)
            .await
        else {
            return 0;
        };
        members
            .iter()
            .filter(|member| member.get("statusText").and_then(Value::as_str) == Some("alive"))
            .count()
    }

    /// Creates or replaces a job; the answer's status (or the error when none came).
    pub async fn put_job(&self, base: &str, job: &Value) -> anyhow::Result<u16> {
        let response = self
            .client
            .post(format!("{base}/v1/jobs"))
            .json(job)
            .send()
            .await?;
        Ok(response.status().as_u16())
    }

    pub async fn delete_job(&self, base: &str, name: &str) -> anyhow::Result<u16> {
        let response = self
            .client
            .delete(format!("{base}/v1/jobs/{name}"))
            .send()
            .await?;
        Ok(response.status().as_u16())
    }

    /// The job as stored, or `None` when the server answers 404.
    pub async fn job(&self, base: &str, name: &str) -> anyhow::Result<Option<Value>> {
        let response = self
            .client
            .get(format!("{base}/v1/jobs/{name}"))
            .send()
            .await?;
        match response.status().as_u16() {
            404 => Ok(None),
            200 => Ok(Some(response.json().await?)),
            status => bail!("GET job {name}: {status}"),
        }
    }

    /// Number of runs going on anywhere in the cluster.
    pub async fn busy(&self, base: &str) -> anyhow::Result<usize> {
        match self.get_json(&format!("{base}/v1/busy")).await? {
            Value::Array(runs) => Ok(runs.len()),
            other => bail!("unexpected /v1/busy answer {other}"),
        }
    }

    /// The job's stored executions: id → the last line of its output.
    pub async fn last_output_lines(
        &self,
        base: &str,
        job: &str,
    ) -> anyhow::Result<BTreeMap<String, String>> {
        let url = format!("{base}/v1/jobs/{job}/executions?output_size_limit=400");
        let Value::Array(executions) = self.get_json(&url).await? else {
            bail!("the executions of {job} are not a list");
        };
        Ok(executions
            .iter()
            .map(|execution| {
                let output = text(execution, "output");
                let last = output
                    .lines()
                    .rev()
                    .find(|line| !line.trim().is_empty())
                    .unwrap_or("");
                (text(execution, "id"), last.trim().to_string())
            })
            .collect())
    }

    /// A job's whole ledger.
    pub async fn ledger(&self, base: &str, job: &str) -> anyhow::Result<Vec<LedgerEntry>> {
        let url = format!("{base}/v1/jobs/{job}/ledger?limit=10000");
        let Value::Array(entries) = self.get_json(&url).await? else {
            bail!("the ledger of {job} is not a list");
        };
        entries.iter().map(ledger_entry).collect()
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub fn parse_time(text: &str) -> anyhow::Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("bad time {text:?}"))?
        .with_timezone(&Utc))
}

fn ledger_entry(value: &Value) -> anyhow::Result<LedgerEntry> {
    let runs = value
        .get("runs")
        .and_then(Value::as_array)
        .map(|runs| {
            runs.iter()
                .map(|run| LedgerRun {
                    execution_id: text(run, "execution_id"),
                    node: text(run, "node_name"),
                    success: run.get("success").and_then(Value::as_bool).unwrap_or(false),
                    exit_code: run.get("exit_code").and_then(Value::as_i64).unwrap_or(0),
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(LedgerEntry {
        job: text(value, "job_name"),
        nominal: parse_time(&text(value, "nominal_time"))?,
        state: text(value, "state"),
        reason: text(value, "reason"),
        runs,
    })
}
