//! The `/metrics` route: reads the figures off the async threads, then has prometheus-client
//! render them in the Prometheus text format (0.0.4).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus_client::encoding::prometheus_text;
use prometheus_client::registry::Registry;

use super::encode::Scrape;
use super::figures::ScrapeFigures;
use super::observed::Metrics;
use crate::node::Node;

/// Why a scrape has no answer.
#[derive(Debug, thiserror::Error)]
enum RenderError {
    #[error(transparent)]
    Store(#[from] dkron_store::StoreError),
    #[error("encoding the exposition failed")]
    Encode(#[from] std::fmt::Error),
}

/// The `/metrics` route.
pub fn router(node: Arc<Node>, metrics: Arc<Metrics>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .with_state((node, metrics))
}

async fn scrape(State((node, metrics)): State<(Arc<Node>, Arc<Metrics>)>) -> Response {
    let rendered = tokio::task::spawn_blocking(move || render(&node, metrics)).await;
    match rendered {
        Ok(Ok(text)) => {
            let content_type = [(header::CONTENT_TYPE, prometheus_text::CONTENT_TYPE)];
            (content_type, text).into_response()
        }
        Ok(Err(error)) => {
            tracing::warn!(error = %error, "cannot render metrics");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot render metrics: {error}"),
            )
                .into_response()
        }
        Err(error) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot render metrics: {error}"),
        )
            .into_response(),
    }
}

/// Reads the figures and renders every family. Blocking: it reads the store.
fn render(node: &Node, metrics: Arc<Metrics>) -> Result<String, RenderError> {
    let figures = ScrapeFigures::read(node, &metrics)?;
    // A registry per scrape holds the one collector of this scrape's figures: registering
    // is a push onto a list, and nothing outlives the answer.
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape { figures, metrics }));
    let mut text = String::new();
    prometheus_text::encode(&mut text, &registry)?;
    Ok(text)
}
