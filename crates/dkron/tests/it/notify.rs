//! Webhooks against the real binary, received by a small HTTP listener of the test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::harness::Server;

/// One request the listener received.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    pub head: String,
    pub body: String,
}

/// Accepts HTTP requests on 127.0.0.1 and keeps them; answers 200 to each.
async fn listen() -> (String, Arc<Mutex<Vec<Received>>>) {
    listen_scripted(0, 0).await
}

/// Like `listen`, but leaves the first `held` requests unanswered, their connections open,
/// as a webhook endpoint that hangs would, and answers the `failing` after them with 503.
pub async fn listen_scripted(held: usize, failing: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let (_never_released, release) = tokio::sync::watch::channel(false);
    listen_held_until(held, failing, release).await
}

/// Like `listen_scripted`, but the held requests are answered 200 once `release` says true.
pub async fn listen_held_until(
    held: usize,
    failing: usize,
    release: tokio::sync::watch::Receiver<bool>,
) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let keep = received.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let keep = keep.clone();
            let mut release = release.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buffer = [0u8; 4096];
                loop {
                    let Ok(read) = socket.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    data.extend_from_slice(&buffer[..read]);
                    let text = String::from_utf8_lossy(&data).to_string();
                    let Some(end) = text.find("\r\n\r\n") else {
                        continue;
                    };
                    let head = text[..end].to_string();
                    let length = head
                        .lines()
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case("content-length")
                                .then(|| value.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if data.len() < end + 4 + length {
                        continue;
                    }
                    let body =
                        String::from_utf8_lossy(&data[end + 4..end + 4 + length]).to_string();
                    let path = head
                        .split_whitespace()
                        .nth(1)
                        .unwrap_or_default()
                        .to_string();
                    let count = {
                        let mut keep = keep.lock().unwrap();
                        keep.push(Received { path, head, body });
                        keep.len()
                    };
                    if count <= held && release.wait_for(|released| *released).await.is_err() {
                        // Never released: the connection stays open until the test ends.
                        std::future::pending::<()>().await;
                    }
                    let answer: &[u8] = if count > held && count <= held + failing {
                        b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    } else {
                        b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                    };
                    let _client_may_have_gone = socket.write_all(answer).await;
                    return;
                }
            });
        }
    });
    (base, received)
}

pub fn bodies(received: &Arc<Mutex<Vec<Received>>>, path: &str) -> Vec<String> {
    received
        .lock()
        .unwrap()
        .iter()
        .filter(|request| request.path == path)
        .map(|request| request.body.clone())
        .collect()
}

#[tokio::test]
async fn webhooks_follow_dkrons_templates_and_the_notify_policy() {
    let (base, received) = listen().await;
    let dir = tempfile::tempdir().unwrap();
    let hook = format!("--webhook-endpoint={base}/hook");
    let pre = format!("--pre-webhook-endpoint={base}/pre");
    let server = Server::start_with(
        dir.path(),
        &[
            &hook,
            "--webhook-payload={{.JobName}} success={{.Success}} node={{.NodeName}} output={{.Output}}",
            "--webhook-headers=Content-Type: text/plain",
            &pre,
            "--pre-webhook-payload=starting {{.JobName}}",
        ],
    )
    .await;
    let jobs = [
        r#"{"name":"greet","schedule":"@manually","executor":"shell","executor_config":{"command":"echo hello"}}"#,
        r#"{"name":"quiet","schedule":"@manually","notify_on":"failure","executor":"shell","executor_config":{"command":"true"}}"#,
        r#"{"name":"flaky","schedule":"@manually","retries":1,"retry_backoff":"100ms","executor":"shell","executor_config":{"command":"false"}}"#,
    ];
    for job in jobs {
        let (status, body) = server.send("POST", "/v1/jobs", job).await;
        assert_eq!(status, 201, "{body}");
    }
    for job in ["greet", "quiet", "flaky"] {
        let (status, body) = server
            .send("POST", &format!("/v1/jobs/{job}/run?wait=true"), "")
            .await;
        assert_eq!(status, 200, "{body}");
    }
    server
        .wait_until("the webhooks arrived", Duration::from_secs(20), || async {
            bodies(&received, "/hook").len() >= 2 && bodies(&received, "/pre").len() >= 4
        })
        .await;
    // Give a stray extra call a moment to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let hooks = bodies(&received, "/hook");
    assert!(
        hooks.contains(&"greet success=true node=test-node output=hello\n".to_string()),
        "{hooks:?}"
    );
    assert!(
        !hooks.iter().any(|body| body.starts_with("quiet")),
        "quiet notifies failures only"
    );
    let flaky: Vec<&String> = hooks
        .iter()
        .filter(|body| body.starts_with("flaky"))
        .collect();
    assert_eq!(
        flaky.len(),
        1,
        "one notification after the last attempt: {hooks:?}"
    );
    assert!(flaky[0].contains("success=false"));
    let first = received
        .lock()
        .unwrap()
        .iter()
        .find(|request| request.path == "/hook")
        .cloned()
        .unwrap();
    assert!(
        first
            .head
            .to_lowercase()
            .contains("content-type: text/plain"),
        "{}",
        first.head
    );
    let pre = bodies(&received, "/pre");
    assert!(pre.contains(&"starting greet".to_string()), "{pre:?}");
    assert_eq!(
        pre.iter().filter(|body| *body == "starting flaky").count(),
        2,
        "each attempt starts"
    );
}

#[tokio::test]
async fn a_failed_webhook_call_is_retried_and_a_run_lost_in_a_crash_is_notified() {
    let (base, received) = listen_scripted(0, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let hook = format!("--webhook-endpoint={base}/hook");
    let mut server = Server::start_with(
        dir.path(),
        &[&hook, "--webhook-payload={{.JobName}} success={{.Success}}"],
    )
    .await;
    let jobs = [
        r#"{"name":"quick","schedule":"@manually","executor":"shell","executor_config":{"command":"true"}}"#,
        r#"{"name":"long","schedule":"@manually","executor":"shell","executor_config":{"command":"sleep 300"}}"#,
    ];
    for job in jobs {
        let (status, body) = server.send("POST", "/v1/jobs", job).await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, body) = server
        .send("POST", "/v1/jobs/quick/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "{body}");
    server
        .wait_until(
            "the webhook is called again after its 503",
            Duration::from_secs(20),
            || async { bodies(&received, "/hook").len() >= 2 },
        )
        .await;
    assert_eq!(
        bodies(&received, "/hook"),
        vec!["quick success=true", "quick success=true"]
    );

    assert_eq!(server.send("POST", "/v1/jobs/long/run", "").await.0, 202);
    server
        .wait_until(
            "the long run has started",
            Duration::from_secs(20),
            || async {
                let busy = server.get_json("/v1/busy").await;
                !busy.as_array().unwrap().is_empty()
            },
        )
        .await;
    server.kill();
    server.spawn().await;
    server
        .wait_until(
            "the run lost in the crash is notified",
            Duration::from_secs(30),
            || async { bodies(&received, "/hook").contains(&"long success=false".to_string()) },
        )
        .await;
}

#[tokio::test]
async fn cronitor_is_pinged_when_each_execution_starts_and_ends() {
    let (base, received) = listen().await;
    let dir = tempfile::tempdir().unwrap();
    let cronitor = format!("--cronitor-endpoint={base}/p/key");
    let server = Server::start_with(dir.path(), &[&cronitor, "--notify-on=failure"]).await;
    let jobs = [
        r#"{"name":"fine","schedule":"@manually","executor":"shell","executor_config":{"command":"true"}}"#,
        r#"{"name":"broken","schedule":"@manually","executor":"shell","executor_config":{"command":"false"}}"#,
    ];
    for job in jobs {
        let (status, body) = server.send("POST", "/v1/jobs", job).await;
        assert_eq!(status, 201, "{body}");
    }
    let mut ids = Vec::new();
    for job in ["fine", "broken"] {
        let (status, body) = server
            .send("POST", &format!("/v1/jobs/{job}/run?wait=true"), "")
            .await;
        assert_eq!(status, 200, "{body}");
        let executions = server.get_json(&format!("/v1/jobs/{job}/executions")).await;
        ids.push(executions[0]["id"].as_str().unwrap().to_string());
    }
    let pings = || -> Vec<String> {
        received
            .lock()
            .unwrap()
            .iter()
            .filter(|request| request.head.starts_with("GET /p/key/"))
            .map(|request| request.path.clone())
            .collect()
    };
    server
        .wait_until("four pings arrived", Duration::from_secs(20), || async {
            pings().len() >= 4
        })
        .await;
    let pings = pings();
    let expected = |job: &str, id: &str, message: &str, state: &str| {
        format!("/p/key/{job}?host=test-node&message={message}&series={id}&state={state}")
    };
    for wanted in [
        expected("fine", &ids[0], "Job+run+by+Dkron", "run"),
        expected("fine", &ids[0], "Job+complete+by+Dkron", "complete"),
        expected("broken", &ids[1], "Job+run+by+Dkron", "run"),
        expected("broken", &ids[1], "Job+complete+by+Dkron", "fail"),
    ] {
        assert!(pings.contains(&wanted), "{wanted} missing from {pings:?}");
    }
    assert_eq!(pings.len(), 4, "{pings:?}");
}

/// With a webhook endpoint that hangs, the leader holds at most
/// `limits::MAX_NOTIFICATIONS_IN_FLIGHT` calls open, whatever the number of runs waiting;
/// the rest wait in the outbox and are all sent once the endpoint answers.
#[tokio::test]
async fn a_hanging_webhook_holds_a_bounded_number_of_calls_and_loses_none() {
    let bound = dkron_model::limits::MAX_NOTIFICATIONS_IN_FLIGHT;
    let jobs = 3 * bound;
    let (release_sender, release) = tokio::sync::watch::channel(false);
    let (base, received) = listen_held_until(usize::MAX, 0, release).await;
    let dir = tempfile::tempdir().unwrap();
    let hook = format!("--webhook-endpoint={base}/hook");
    let server = Server::start_with(dir.path(), &[&hook, "--webhook-payload={{.JobName}}"]).await;
    for index in 0..jobs {
        let job = format!(
            r#"{{"name":"n{index}","schedule":"@manually","executor":"shell","executor_config":{{"command":"true"}}}}"#
        );
        let (status, body) = server.send("POST", "/v1/jobs", &job).await;
        assert_eq!(status, 201, "{body}");
    }
    // Notices of one job go out in order, so each run here is of its own job.
    for index in 0..jobs {
        let path = format!("/v1/jobs/n{index}/run");
        assert_eq!(server.send("POST", &path, "").await.0, 202);
    }
    server
        .wait_until(
            "the bound of calls is open",
            Duration::from_secs(30),
            || async { bodies(&received, "/hook").len() >= bound },
        )
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        bodies(&received, "/hook").len(),
        bound,
        "no call past the bound"
    );

    release_sender.send_replace(true);
    server
        .wait_until("every run is notified", Duration::from_secs(30), || async {
            let mut notified = bodies(&received, "/hook");
            notified.sort();
            notified.dedup();
            notified.len() == jobs
        })
        .await;
}
