//! The http executor against a real local server.

use std::time::{Duration, Instant};

use dkron_exec::{ExecLimits, Registry};
use tokio_util::sync::CancellationToken;

use crate::http_server::start;
use crate::support::{request, run};

#[tokio::test]
async fn method_url_headers_and_body_reach_the_server() {
    let server = start().await;
    let outcome = run(request(
        "http",
        &[
            ("method", "PUT"),
            ("url", &server.url("/echo")),
            (
                "headers",
                r#"["Content-Type: application/json", "X-Callback:  http://host:8080/x "]"#,
            ),
            ("body", r#"{"x":1}"#),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(outcome.output, "hello from server");
    assert_eq!(outcome.exit_code, None);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let received = &requests[0];
    assert_eq!(received.method, "PUT");
    assert_eq!(received.body, r#"{"x":1}"#);
    assert_eq!(received.headers["content-type"], "application/json");
    assert_eq!(
        received.headers["x-callback"], "http://host:8080/x",
        "the value keeps its colons"
    );
}

#[tokio::test]
async fn expect_code_passes_and_fails() {
    let server = start().await;
    let accepted = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &server.url("/status/201")),
            ("expectCode", "200, 201"),
        ],
    ))
    .await;
    assert!(accepted.success, "{accepted:?}");
    assert_eq!(accepted.output, "status 201");

    let rejected = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &server.url("/status/500")),
            ("expectCode", "200"),
        ],
    ))
    .await;
    assert!(!rejected.success);
    assert_eq!(
        rejected.output,
        "received response code does not match the expected code\nstatus 500"
    );

    tracing::info!("Dkron's substring check let 1200 accept 200; ours matches items exactly");
    let exact = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &server.url("/status/200")),
            ("expectCode", "1200"),
        ],
    ))
    .await;
    assert!(!exact.success);
}

#[tokio::test]
async fn without_expect_code_any_status_succeeds() {
    let server = start().await;
    let outcome = run(request(
        "http",
        &[("method", "GET"), ("url", &server.url("/status/503"))],
    ))
    .await;
    assert!(outcome.success);
}

#[tokio::test]
async fn expect_body_passes_and_fails() {
    let server = start().await;
    let matching = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &server.url("/json")),
            ("expectBody", r#""status":"(ok|fine)""#),
        ],
    ))
    .await;
    assert!(matching.success, "{matching:?}");

    let other = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &server.url("/json")),
            ("expectBody", "^error"),
        ],
    ))
    .await;
    assert!(!other.success);
    assert_eq!(
        other.output,
        "received response body did not match the expected body\n{\"status\":\"ok\",\"count\":3}"
    );
}

#[tokio::test]
async fn timeout_stops_a_slow_request() {
    let server = start().await;
    let started = Instant::now();
    let outcome = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &server.url("/slow")),
            ("timeout", "1"),
        ],
    ))
    .await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(!outcome.success);
    assert!(outcome.killed);
    assert!(
        outcome.output.contains("timed out after 1s"),
        "{}",
        outcome.output
    );
}

#[tokio::test]
async fn bad_header_entries_are_warnings_not_failures() {
    let server = start().await;
    let outcome = run(request(
        "http",
        &[
            ("method", "POST"),
            ("url", &server.url("/echo")),
            ("headers", r#"["no colon here", "X-Good: yes"]"#),
            ("timeout", "ten"),
        ],
    ))
    .await;
    assert!(outcome.success, "{outcome:?}");
    assert_eq!(
        outcome.output,
        "Warning: ignoring header \"no colon here\": no ':'\n\
         Warning: invalid timeout value \"ten\", using 30 seconds\n\
         hello from server"
    );
    assert_eq!(server.requests()[0].headers["x-good"], "yes");

    let not_json = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &server.url("/echo")),
            ("headers", "X-Good: yes"),
        ],
    ))
    .await;
    assert!(not_json.success);
    assert_eq!(
        not_json.output,
        "Error: parsing headers failed\nhello from server"
    );
}

#[tokio::test]
async fn debug_prefixes_the_config() {
    let server = start().await;
    let url = server.url("/echo");
    let outcome = run(request(
        "http",
        &[("method", "GET"), ("url", &url), ("debug", "true")],
    ))
    .await;
    assert_eq!(
        outcome.output,
        format!(
            "Config: map[string]string{{\"debug\":\"true\", \"method\":\"GET\", \
             \"url\":\"{url}\"}}\nhello from server"
        )
    );
}

#[tokio::test]
async fn config_errors_and_connection_errors_fail() {
    let no_method = run(request("http", &[("url", "http://127.0.0.1:1/")])).await;
    assert_eq!(no_method.output, "method is empty\n");
    let no_url = run(request("http", &[("method", "GET")])).await;
    assert_eq!(no_url.output, "url is empty\n");

    tracing::info!("a closed port on loopback");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_port = listener.local_addr().unwrap().port();
    drop(listener);
    let refused = run(request(
        "http",
        &[
            ("method", "GET"),
            ("url", &format!("http://127.0.0.1:{closed_port}/")),
        ],
    ))
    .await;
    assert!(!refused.success);
    assert!(!refused.killed);
    assert!(
        refused.output.contains("error sending request"),
        "{}",
        refused.output
    );
}

#[tokio::test]
async fn cancellation_stops_the_request() {
    let server = start().await;
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let outcome = Registry::builtin()
        .run(
            request("http", &[("method", "GET"), ("url", &server.url("/slow"))]),
            &ExecLimits::default(),
            None,
            cancel,
        )
        .await;
    assert!(!outcome.success);
    assert!(outcome.killed);
    assert_eq!(outcome.output, "http: request cancelled\n");
}

#[tokio::test]
async fn response_body_is_capped_to_its_tail() {
    let server = start().await;
    let outcome = Registry::builtin()
        .run(
            request("http", &[("method", "GET"), ("url", &server.url("/big"))]),
            &ExecLimits {
                output_cap_bytes: 64,
            },
            None,
            CancellationToken::new(),
        )
        .await;
    assert!(outcome.success);
    assert!(outcome.output_truncated);
    assert!(outcome.output.len() <= 64);
    assert!(outcome.output.ends_with("99999\n100000\n"));
}
