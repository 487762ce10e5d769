//! A real gRPC server for the `grpc` executor: Python's grpcio serving the service of
//! `python/grpc/greeter.proto` (package `dkrontest.v1`, service `Greeter`) with server
//! reflection, compiled by `grpc_tools.protoc` when it starts. Every call it receives is
//! recorded as one JSON line in a file the test reads.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::process::{ChildGuard, free_port, venv_tool, wait_for_port};

/// The service the test server offers, as the executor's `url` names it.
pub const GREETER_SERVICE: &str = "dkrontest.v1.Greeter";

/// Which versions of the reflection service the server offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reflection {
    /// `grpc.reflection.v1` and `grpc.reflection.v1alpha`.
    Both,
    /// Only `v1alpha` (older servers): a client must fall back to it.
    V1AlphaOnly,
    /// Only `v1`.
    V1Only,
    /// Only `v1`, answering with the file asked for but none of the files it imports, so a
    /// client must ask for those by name.
    V1Lean,
    /// No reflection at all: the executor cannot find the types.
    Without,
}

impl Reflection {
    fn argument(self) -> &'static str {
        match self {
            Reflection::Both => "both",
            Reflection::V1AlphaOnly => "v1alpha",
            Reflection::V1Only => "v1",
            Reflection::V1Lean => "v1-lean",
            Reflection::Without => "none",
        }
    }
}

/// A running test gRPC server on 127.0.0.1; killed when dropped.
pub struct GrpcServer {
    /// Its port.
    pub port: u16,
    record: PathBuf,
    _child: ChildGuard,
    _dir: tempfile::TempDir,
}

impl GrpcServer {
    /// Returns `host:port`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Returns the executor `url` of `method` of the Greeter service.
    pub fn url(&self, method: &str) -> String {
        format!("{}/{GREETER_SERVICE}/{method}", self.address())
    }

    /// Returns every call recorded so far (method, request, metadata, reflection version).
    pub fn records(&self) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.record).unwrap_or_default();
        text.lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Returns the recorded calls of `method` (`Greet`, `Fail`, `reflection`, ...).
    pub fn records_of(&self, method: &str) -> Vec<serde_json::Value> {
        self.records()
            .into_iter()
            .filter(|record| record["method"] == method)
            .collect()
    }
}

/// Starts the test gRPC server with the given reflection versions and waits until it
/// accepts connections. Panics (saying how to install it) when grpcio is missing.
pub async fn start_grpc_server(reflection: Reflection) -> GrpcServer {
    let python = venv_tool("python");
    assert_grpc_packages(&python);
    let dir = tempfile::tempdir().unwrap();
    let python_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/grpc");
    let port = free_port();
    let record = dir.path().join("calls.jsonl");
    let log = dir.path().join("server.log");
    let generated = dir.path().join("generated");
    std::fs::create_dir(&generated).unwrap();
    let mut command = Command::new(python);
    command
        .arg(python_dir.join("greeter_server.py"))
        .arg(port.to_string())
        .arg(&python_dir)
        .arg(&generated)
        .arg(&record)
        .arg(reflection.argument());
    let child = ChildGuard::spawn("grpc test server", &mut command, &log);
    wait_for_port(port, Duration::from_secs(60), &log).await;
    GrpcServer {
        port,
        record,
        _child: child,
        _dir: dir,
    }
}

/// Fails, saying how to install them, when the Python packages of the server are missing.
fn assert_grpc_packages(python: &std::path::Path) {
    let probe = Command::new(python)
        .args([
            "-c",
            "import grpc, grpc_tools.protoc, grpc_reflection.v1alpha.reflection",
        ])
        .output()
        .unwrap();
    assert!(
        probe.status.success(),
        "the gRPC test server needs grpcio, grpcio-tools and grpcio-reflection in \
         target/test-venv: run scripts/install-test-services (scripts/test-all does)\n{}",
        String::from_utf8_lossy(&probe.stderr)
    );
}
