//! A fast local HTTP endpoint for `http` jobs: answers `GET /ok` with 200 and counts calls,
//! so a benchmark of http jobs measures the scheduler, not a slow server or a process spawn.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::State;
use axum::routing::get;

/// Listens on 127.0.0.1 on a runtime of its own (one thread, so it never takes the
/// measuring program's threads); returns the URL and the call counter.
pub fn start() -> anyhow::Result<(String, Arc<AtomicU64>)> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let url = format!("http://{}/ok", listener.local_addr()?);
    let calls = Arc::new(AtomicU64::new(0));
    let counted = calls.clone();
    std::thread::Builder::new()
        .name("http-sink".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("the sink's runtime starts");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)
                    .expect("the sink's listener is usable");
                let app = Router::new().route("/ok", get(answer)).with_state(counted);
                let _ended = axum::serve(listener, app).await;
            });
        })?;
    Ok((url, calls))
}

async fn answer(State(calls): State<Arc<AtomicU64>>) -> &'static str {
    calls.fetch_add(1, Ordering::Relaxed);
    "ok"
}
