//! A webhook receiver for `cluster-bench --webhook`: counts the calls per execution (the
//! servers send `{{.JobName}} {{.ExecutionID}}` as the payload; execution ids are unique
//! within a job), to show what the notification outbox delivers under load.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::routing::post;

/// Calls received, by execution id.
pub type Received = Arc<Mutex<HashMap<String, u32>>>;

/// Listens on 127.0.0.1; returns the endpoint URL and the tally.
pub async fn start() -> anyhow::Result<(String, Received)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}/hook", listener.local_addr()?);
    let received: Received = Arc::default();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(received.clone());
    tokio::spawn(async move {
        let _ended = axum::serve(listener, app).await;
    });
    Ok((endpoint, received))
}

async fn receive(State(received): State<Received>, body: String) -> &'static str {
    *received
        .lock()
        .expect("tally lock is never poisoned")
        .entry(body)
        .or_default() += 1;
    "ok"
}

/// Calls and distinct executions so far.
pub fn totals(received: &Received) -> (u64, usize) {
    let tally = received.lock().expect("tally lock is never poisoned");
    (tally.values().map(|n| u64::from(*n)).sum(), tally.len())
}
