//! Creating the benchmark's jobs through the REST API.

use std::time::Duration;

use anyhow::bail;
use futures::StreamExt;
use serde_json::Value;

use crate::measure::Api;

/// What the jobs look like.
pub struct JobShape {
    /// `@every <n>s`.
    pub every_secs: u64,
    /// Executor name (`shell`, `http`).
    pub executor: &'static str,
    /// Its `executor_config`.
    pub executor_config: Value,
    /// Job tags (which nodes run it), `null` for every node.
    pub tags: Value,
}

impl JobShape {
    /// Jobs running a shell command.
    pub fn shell(every_secs: u64, command: &str, tags: Value) -> JobShape {
        JobShape {
            every_secs,
            executor: "shell",
            executor_config: serde_json::json!({ "command": command }),
            tags,
        }
    }

    /// Jobs calling a URL with GET (no process is spawned).
    #[allow(
        dead_code,
        reason = "dkron-bench uses it; cluster-bench shares this module"
    )]
    pub fn http(every_secs: u64, url: &str) -> JobShape {
        JobShape {
            every_secs,
            executor: "http",
            executor_config: serde_json::json!({ "method": "GET", "url": url, "expectCode": "200" }),
            tags: Value::Null,
        }
    }
}

/// Creates `count` jobs named `bench-<i>`, at most `per_second` per second (0 = no limit),
/// and prints how long it took.
pub async fn create_jobs(
    api: &Api<'_>,
    count: usize,
    shape: &JobShape,
    concurrency: usize,
    per_second: usize,
) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    create_paced(api, count, shape, concurrency, per_second).await?;
    println!(
        "created {count} jobs in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn create_paced(
    api: &Api<'_>,
    count: usize,
    shape: &JobShape,
    concurrency: usize,
    per_second: usize,
) -> anyhow::Result<()> {
    if per_second == 0 {
        return create_range(api, 0..count, shape, concurrency).await;
    }
    let mut next = 0;
    while next < count {
        let second = tokio::time::Instant::now();
        let end = (next + per_second).min(count);
        create_range(api, next..end, shape, concurrency).await?;
        next = end;
        tokio::time::sleep_until(second + Duration::from_secs(1)).await;
    }
    Ok(())
}

async fn create_range(
    api: &Api<'_>,
    range: std::ops::Range<usize>,
    shape: &JobShape,
    concurrency: usize,
) -> anyhow::Result<()> {
    let results: Vec<anyhow::Result<()>> = futures::stream::iter(range)
        .map(|index| async move {
            let body = serde_json::json!({
                "name": format!("bench-{index}"),
                "schedule": format!("@every {}s", shape.every_secs),
                "executor": shape.executor,
                "executor_config": shape.executor_config,
                "tags": shape.tags,
            });
            let response = api
                .client
                .post(format!("{}/v1/jobs", api.base))
                .json(&body)
                .send()
                .await?;
            if response.status().as_u16() != 201 {
                bail!(
                    "creating job {index}: {} {}",
                    response.status(),
                    response.text().await?
                );
            }
            Ok(())
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.into_iter().collect()
}
