//! A small axum server on 127.0.0.1 that records what it receives.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::{any, get};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// A running test server.
pub struct TestServer {
    pub address: SocketAddr,
    pub recorded: Arc<Mutex<Vec<Recorded>>>,
}

impl TestServer {
    /// Returns `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Returns the requests received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.recorded.lock().unwrap().clone()
    }
}

type Shared = Arc<Mutex<Vec<Recorded>>>;

async fn echo(
    State(recorded): State<Shared>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> &'static str {
    recorded.lock().unwrap().push(Recorded {
        method: method.to_string(),
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    "hello from server"
}

async fn status(Path(code): Path<u16>) -> (StatusCode, String) {
    let status = StatusCode::from_u16(code).unwrap();
    (status, format!("status {code}"))
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_secs(20)).await;
    "finally"
}

async fn big() -> String {
    (1..=100_000).map(|number| format!("{number}\n")).collect()
}

/// Starts the server on an ephemeral port of 127.0.0.1.
pub async fn start() -> TestServer {
    let recorded: Shared = Arc::default();
    let app = Router::new()
        .route("/echo", any(echo))
        .route("/status/{code}", any(status))
        .route("/slow", get(slow))
        .route("/big", get(big))
        .route("/json", get(|| async { r#"{"status":"ok","count":3}"# }))
        .with_state(recorded.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    TestServer { address, recorded }
}
