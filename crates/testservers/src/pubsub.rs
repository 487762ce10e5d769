//! A Pub/Sub publisher for tests: `python/pubsub_publisher.py`, a gRPC server implementing
//! `google.pubsub.v1.Publisher/Publish` with Google's own published message types (PyPI's
//! google-cloud-pubsub and grpcio, in `target/test-venv`). No emulator is packaged in Debian
//! or PyPI; clients reach this one through `PUBSUB_EMULATOR_HOST`, as they would the emulator.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use base64::Engine;

use crate::process::{ChildGuard, free_port, venv_tool, wait_for_port};

/// One message a publish request carried, as the server decoded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedMessage {
    /// The request's topic, `projects/<project>/topics/<topic>`.
    pub topic: String,
    /// The message body.
    pub data: Vec<u8>,
    /// The message attributes.
    pub attributes: BTreeMap<String, String>,
    /// The request's `authorization` metadata, if any (`Bearer <token>`).
    pub authorization: Option<String>,
}

/// A running publisher service; killed when dropped. A topic named `missing` is answered
/// `NOT_FOUND`; every other publish gets ids counting up from `1001`.
pub struct PubSubServer {
    /// `127.0.0.1:<port>`, the value for `PUBSUB_EMULATOR_HOST`.
    pub host: String,
    records: PathBuf,
    _dir: tempfile::TempDir,
    _child: ChildGuard,
}

impl PubSubServer {
    /// Starts the service on a free port and waits until it accepts connections.
    pub async fn start() -> PubSubServer {
        let python = venv_tool("python3");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/pubsub_publisher.py");
        let dir = tempfile::tempdir().unwrap();
        let records = dir.path().join("published.jsonl");
        let log = dir.path().join("server.log");
        let port = free_port();
        let mut command = Command::new(python);
        command
            .arg("-u")
            .arg(&script)
            .arg(port.to_string())
            .arg(&records);
        let child = ChildGuard::spawn("pubsub publisher", &mut command, &log);
        wait_for_port(port, Duration::from_secs(60), &log).await;
        PubSubServer {
            host: format!("127.0.0.1:{port}"),
            records,
            _dir: dir,
            _child: child,
        }
    }

    /// Returns every message received so far, in order.
    pub fn received(&self) -> Vec<PublishedMessage> {
        let text = std::fs::read_to_string(&self.records).unwrap_or_default();
        let mut messages = Vec::new();
        for line in text.lines() {
            let request: serde_json::Value = serde_json::from_str(line).unwrap();
            let authorization = request["authorization"].as_str().map(str::to_owned);
            for message in request["messages"].as_array().unwrap() {
                let data = base64::engine::general_purpose::STANDARD
                    .decode(message["data"].as_str().unwrap())
                    .unwrap();
                let attributes = message["attributes"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(name, value)| (name.clone(), value.as_str().unwrap().to_owned()))
                    .collect();
                messages.push(PublishedMessage {
                    topic: request["topic"].as_str().unwrap().to_owned(),
                    data,
                    attributes,
                    authorization: authorization.clone(),
                });
            }
        }
        messages
    }
}
