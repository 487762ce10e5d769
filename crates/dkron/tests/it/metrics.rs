//! `/metrics` scraped from the real binary: Dkron's counters, run durations, lateness, ledger
//! completeness, Raft and membership.

use std::time::Duration;

use crate::harness::Server;

const TICK: &str = r#"{"name":"tick","schedule":"@every 1s","executor":"shell","executor_config":{"command":"true"}}"#;

/// The value of the first sample whose name and labels start with `prefix`.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn scrape(server: &Server) -> String {
    let (status, text) = server.get("/metrics").await;
    assert_eq!(status, 200, "{text}");
    text
}

#[tokio::test]
async fn a_scrape_reports_runs_the_ledger_and_the_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--enable-prometheus"]).await;
    assert_eq!(server.send("POST", "/v1/jobs", TICK).await.0, 201);
    server
        .wait_until(
            "tick ran a few times and the window holds occurrences",
            Duration::from_secs(30),
            || async {
                let text = scrape(&server).await;
                sample(
                    &text,
                    "dkron_job_executions_succeeded_total{job_name=\"tick\"}",
                )
                .unwrap_or(0.0)
                    >= 3.0
                    && sample(&text, "dkron_ledger_occurrences_expected").unwrap_or(0.0) >= 2.0
            },
        )
        .await;
    let response = reqwest::get(server.url("/metrics")).await.unwrap();
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    for family in [
        "# TYPE dkron_job_executions_succeeded_total counter",
        "# TYPE dkron_job_execution_duration_seconds histogram",
        "# TYPE dkron_scheduler_lateness_seconds histogram",
        "# TYPE dkron_ledger_completeness gauge",
        "# TYPE dkron_scheduler_lag_seconds gauge",
        "# TYPE dkron_scheduler_behind gauge",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    let runs = sample(
        &text,
        "dkron_job_execution_duration_seconds_count{job_name=\"tick\"}",
    )
    .unwrap();
    assert!(runs >= 3.0, "{text}");
    assert!(sample(&text, "dkron_scheduler_lateness_seconds_count").unwrap() >= runs);
    assert_eq!(sample(&text, "dkron_scheduler_behind"), Some(0.0), "{text}");
    assert_eq!(
        sample(&text, "dkron_scheduler_occurrences_overloaded_total"),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &text,
            "dkron_job_executions_failed_total{job_name=\"tick\"}"
        ),
        Some(0.0)
    );
    assert_eq!(
        sample(&text, "dkron_ledger_completeness{job_name=\"tick\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "dkron_ledger_occurrences_recorded"),
        sample(&text, "dkron_ledger_occurrences_expected")
    );
    assert_eq!(sample(&text, "dkron_jobs{status=\"success\"}"), Some(1.0));
    assert_eq!(sample(&text, "dkron_raft_is_leader"), Some(1.0));
    assert_eq!(
        sample(&text, "dkron_members{role=\"server\",status=\"alive\"}"),
        Some(1.0)
    );
    assert_eq!(sample(&text, "dkron_paused"), Some(0.0));
    assert_eq!(sample(&text, "dkron_notifications_pending"), Some(0.0));
    assert_eq!(
        sample(&text, "dkron_notifications_dropped_total"),
        Some(0.0)
    );

    server.send("POST", "/v1/pause", "").await;
    assert_eq!(sample(&scrape(&server).await, "dkron_paused"), Some(1.0));
}

#[tokio::test]
async fn metrics_are_off_unless_enabled_and_say_how_to_turn_them_on() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let (status, text) = server.get("/metrics").await;
    assert_eq!(status, 404);
    assert!(text.contains("--enable-prometheus"), "{text}");
}

/// Collects the StatsD lines that arrive on `socket` until `done` holds for them.
async fn statsd_lines(
    socket: &tokio::net::UdpSocket,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    let mut buffer = [0u8; 2048];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !done(&lines) {
        let received = tokio::time::timeout_at(deadline, socket.recv(&mut buffer)).await;
        let Ok(Ok(size)) = received else {
            panic!("statsd lines incomplete: {lines:?}");
        };
        let text = String::from_utf8_lossy(&buffer[..size]).to_string();
        lines.extend(text.lines().map(str::to_string));
    }
    lines
}

#[tokio::test]
async fn statsd_and_dogstatsd_get_run_counters_timers_and_gauges() {
    let plain = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dog = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let statsd = format!("--statsd-addr={}", plain.local_addr().unwrap());
    let dogstatsd = format!("--dog-statsd-addr={}", dog.local_addr().unwrap());
    let server = Server::start_with(
        dir.path(),
        &[&statsd, &dogstatsd, "--dog-statsd-tags=env:test"],
    )
    .await;
    let job = r#"{"name":"hello","schedule":"@manually","executor":"shell","executor_config":{"command":"true"}}"#;
    assert_eq!(server.send("POST", "/v1/jobs", job).await.0, 201);
    let (status, body) = server
        .send("POST", "/v1/jobs/hello/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "{body}");

    let lines = statsd_lines(&plain, |lines| {
        lines
            .iter()
            .any(|l| l == "dkron.job.executions_succeeded_total.hello:1|c")
            && lines
                .iter()
                .any(|l| l.starts_with("dkron.job.execution_duration.hello:"))
    })
    .await;
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("dkron.agent.running_executions.test-node:")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .all(|l| l.ends_with("|c") || l.ends_with("|g") || l.ends_with("|ms")),
        "{lines:?}"
    );
    let lines = statsd_lines(&dog, |lines| {
        lines
            .iter()
            .any(|l| l == "dkron.job.executions_succeeded_total:1|c|#job_name:hello,env:test")
    })
    .await;
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("dkron.job.start_lateness:")
                && l.ends_with("|ms|#job_name:hello,env:test")),
        "{lines:?}"
    );
}
