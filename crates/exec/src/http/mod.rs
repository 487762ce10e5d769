//! The `http` executor: sends one request and checks the response code and body.

mod client;
mod config;

use std::collections::BTreeMap;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use config::{HttpConfig, TlsSettings};

use crate::error_chain::error_chain;
use crate::executor::{Ended, run_bounded};
use crate::{ExecReport, ExecRequest, Executor, OutputSink};
use client::ClientCache;

const CODE_MISMATCH: &str = "received response code does not match the expected code";
const BODY_MISMATCH: &str = "received response body did not match the expected body";

/// Sends an HTTP request per run (Dkron's `http` executor); clients are cached per TLS setting.
#[derive(Debug, Default)]
pub struct HttpExecutor {
    clients: ClientCache,
}

impl HttpExecutor {
    /// Returns an http executor with an empty client cache.
    pub fn new() -> Self {
        HttpExecutor::default()
    }

    async fn run_request(
        &self,
        request: &ExecRequest,
        output: &mut OutputSink,
        cancel: &CancellationToken,
    ) -> ExecReport {
        let config = match HttpConfig::from_map(&request.config) {
            Ok(config) => config,
            Err(error) => return ExecReport::failed(error.to_string()),
        };
        if config.debug {
            // The output is stored and shown: the debug line shows the secrets hidden.
            let shown = dkron_model::secrets::redact_config(&request.config);
            output.write_line(&format!("Config: {}", go_map_syntax(&shown)));
        }
        for warning in &config.warnings {
            output.write_line(warning);
        }
        let prepared = match self.clients.client_for(&config.tls).await {
            Ok(prepared) => prepared,
            Err(error) => return ExecReport::failed(error.to_string()),
        };
        for warning in &prepared.warnings {
            output.write_line(warning);
        }
        // The body is matched against its own capped tail, so warning lines cannot match.
        let mut body_tail = OutputSink::new(output.cap(), None);
        let exchange = send_and_read(&prepared.client, &config, output, &mut body_tail);
        let result = match run_bounded(cancel, config.timeout, exchange).await {
            Ended::Done(result) => result,
            Ended::TimedOut(limit) => Err(Interrupted::TimedOut(limit)),
            Ended::Cancelled => Err(Interrupted::Cancelled),
        };
        match result {
            Ok(status) if !config.accepts_status(status) => ExecReport::failed(CODE_MISMATCH),
            Ok(_) => match &config.expect_body {
                Some(pattern) if !pattern.is_match(&body_tail.kept_text()) => {
                    ExecReport::failed(BODY_MISMATCH)
                }
                _ => ExecReport::success(None),
            },
            Err(Interrupted::Failed(error)) => ExecReport::failed(error),
            Err(Interrupted::TimedOut(timeout)) => ExecReport {
                killed: true,
                ..ExecReport::failed(format!(
                    "http: request to {} timed out after {}s",
                    config.url,
                    timeout.as_secs()
                ))
            },
            Err(Interrupted::Cancelled) => ExecReport {
                killed: true,
                ..ExecReport::failed("http: request cancelled")
            },
        }
    }
}

enum Interrupted {
    Failed(String),
    TimedOut(std::time::Duration),
    Cancelled,
}

/// Sends the request and streams the response body into both sinks; returns the status code.
async fn send_and_read(
    client: &reqwest::Client,
    config: &HttpConfig,
    output: &mut OutputSink,
    body_tail: &mut OutputSink,
) -> Result<u16, Interrupted> {
    let mut builder = client
        .request(config.method.clone(), config.url.clone())
        .body(config.body.clone());
    for (name, value) in &config.headers {
        builder = builder.header(name, value);
    }
    let failed = |error: reqwest::Error| Interrupted::Failed(error_chain(&error));
    let mut response = builder.send().await.map_err(failed)?;
    let status = response.status().as_u16();
    while let Some(chunk) = response.chunk().await.map_err(failed)? {
        output.write(&chunk);
        body_tail.write(&chunk);
    }
    Ok(status)
}

/// Renders the config like Go's `%#v` of a `map[string]string`, as Dkron's debug line does.
fn go_map_syntax(config: &BTreeMap<String, String>) -> String {
    let quote = |text: &str| serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}"));
    let entries: Vec<String> = config
        .iter()
        .map(|(key, value)| format!("{}:{}", quote(key), quote(value)))
        .collect();
    format!("map[string]string{{{}}}", entries.join(", "))
}

impl Executor for HttpExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        self.run_request(request, output, cancel).boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_line_looks_like_go() {
        let config = BTreeMap::from([
            ("url".to_string(), "http://x/".to_string()),
            ("method".to_string(), "GET".to_string()),
        ]);
        assert_eq!(
            go_map_syntax(&config),
            r#"map[string]string{"method":"GET", "url":"http://x/"}"#
        );
    }
}
