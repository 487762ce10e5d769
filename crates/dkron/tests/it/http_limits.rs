//! HTTP connection limits under a low open-files limit (issue 14, failure 5; ADR 22): idle
//! connections beyond the limit leave the API answering and scheduled runs succeeding, idle
//! and half-sent requests are closed on their deadlines, and the soft limit is raised.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::Server;

const IDLE: Duration = Duration::from_secs(4);
const HEADER: Duration = Duration::from_secs(1);
/// More idle connections than the whole descriptor table of the server (512).
const FLOOD: usize = 700;

const JOB: &str = r#"{"name":"tick","schedule":"@every 1s","executor":"shell","executor_config":{"command":"echo tick"}}"#;

/// Waits until the server closes `stream` and returns how long that took, or `None` when it
/// is still open after `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_elapsed) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

async fn start_with_a_low_limit(dir: &std::path::Path) -> Server {
    let idle = format!("{}s", IDLE.as_secs());
    let header = format!("{}s", HEADER.as_secs());
    Server::start_launched(
        dir,
        &["prlimit", "--nofile=256:512", "--"],
        &[
            "--http-idle-timeout",
            &idle,
            "--http-header-timeout",
            &header,
        ],
    )
    .await
}

async fn success_count(server: &Server) -> i64 {
    server.get_json("/v1/jobs/tick").await["success_count"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn the_soft_open_files_limit_is_raised_to_the_hard_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_a_low_limit(dir.path()).await;
    let limits = std::fs::read_to_string(format!("/proc/{}/limits", server.pid())).unwrap();
    let open_files = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .unwrap();
    let figures: Vec<&str> = open_files.split_whitespace().collect();
    assert_eq!(figures[3..5], ["512", "512"], "{open_files}");
    let log = server.log();
    assert!(
        log.contains("soft_before=256 soft=512 hard=512"),
        "the log names both figures:\n{log}"
    );
    assert!(log.contains("max_connections=256"), "{log}");
}

#[tokio::test]
async fn idle_and_half_sent_requests_are_closed_on_their_deadlines() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_a_low_limit(dir.path()).await;
    let address = format!("127.0.0.1:{}", server.http_port);

    tracing::info!("phase: a connection that sends nothing is closed after the idle deadline");
    let mut idle = TcpStream::connect(&address).await.unwrap();
    let took = closed_within(&mut idle, IDLE * 3).await.expect("closed");
    assert!(
        took >= IDLE - Duration::from_millis(300),
        "closed too early: {took:?}"
    );

    tracing::info!("phase: after a request, the kept-alive connection is closed when idle");
    let mut kept = TcpStream::connect(&address).await.unwrap();
    kept.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0u8; 15];
    kept.read_exact(&mut answer).await.unwrap();
    assert_eq!(&answer, b"HTTP/1.1 200 OK");
    let took = closed_within(&mut kept, IDLE * 3).await.expect("closed");
    assert!(
        took >= IDLE - Duration::from_millis(500),
        "closed too early: {took:?}"
    );

    tracing::info!("phase: half a header is closed after the header deadline, not the idle one");
    let mut half = TcpStream::connect(&address).await.unwrap();
    half.write_all(b"GET /v1/jobs HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let took = closed_within(&mut half, IDLE).await;
    let took = took.expect("a half-sent request is closed before the idle deadline");
    assert!(
        took >= HEADER - Duration::from_millis(300),
        "closed too early: {took:?}"
    );
}

#[tokio::test]
async fn idle_connections_past_the_file_limit_leave_the_api_and_runs_working() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_a_low_limit(dir.path()).await;
    let (status, body) = server.send("POST", "/v1/jobs", JOB).await;
    assert_eq!(status, 201, "{body}");
    server
        .wait_until("tick ran once", Duration::from_secs(20), || async {
            success_count(&server).await >= 1
        })
        .await;

    tracing::info!("phase: open more idle connections than the server has descriptors");
    let address = format!("127.0.0.1:{}", server.http_port);
    let mut flood = Vec::new();
    for _ in 0..FLOOD {
        let connect = TcpStream::connect(&address);
        if let Ok(Ok(stream)) = tokio::time::timeout(Duration::from_millis(200), connect).await {
            flood.push(stream);
        }
    }
    tracing::info!(opened = flood.len(), "flood open");
    let before = success_count(&server).await;

    tracing::info!("phase: the API still answers, and runs go on");
    let asked = Instant::now();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let answer = client.get(server.url("/v1/jobs/tick")).send().await;
    let waited = asked.elapsed();
    let answer = answer.expect("the API answers while flooded");
    assert_eq!(answer.status(), 200);
    tracing::info!(?waited, "api answered while flooded");
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = success_count(&server).await;
    assert!(after >= before + 5, "runs went on: {before} -> {after}");
    let job = server.get_json("/v1/jobs/tick").await;
    assert_eq!(job["error_count"], 0, "no run failed: {job}");
    let log = server.log();
    assert!(
        !log.contains("Too many open files"),
        "the server ran out of descriptors:\n{log}"
    );

    tracing::info!("phase: the flood's connections are closed by the server");
    let mut closed = 0;
    for stream in flood.iter_mut() {
        if closed_within(stream, IDLE * 4).await.is_some() {
            closed += 1;
        }
    }
    assert_eq!(closed, flood.len(), "every idle connection is closed");
}

#[tokio::test]
async fn a_quiet_live_output_stream_outlives_the_idle_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--http-idle-timeout", "1s"]).await;
    let quiet = r#"{"name":"quiet","schedule":"@manually","executor":"shell","executor_config":{"shell":"true","command":"echo begin; sleep 4; echo end"}}"#;
    let (status, body) = server.send("POST", "/v1/jobs", quiet).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.send("POST", "/v1/jobs/quiet/run", "").await;
    assert_eq!(status, 202, "{body}");
    let id = server.first_busy_execution_id().await;

    tracing::info!("phase: the stream stays open through four quiet seconds");
    let url = server.url(&format!("/v1/jobs/quiet/executions/{id}/stream"));
    let mut response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut seen = String::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains("event: done") {
                break;
            }
        }
    };
    let finished = tokio::time::timeout(Duration::from_secs(30), read).await;
    assert!(finished.is_ok(), "the stream hung: {seen}");
    assert!(seen.contains("begin"), "{seen}");
    assert!(
        seen.contains("end") && seen.contains("event: done"),
        "the stream was cut: {seen}"
    );
}
