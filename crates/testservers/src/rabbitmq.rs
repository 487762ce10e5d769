//! A real RabbitMQ broker (Debian's `rabbitmq-server`) per test, on free ports of 127.0.0.1,
//! with its own data, log and home directories, plus pika (from the test virtualenv) as an
//! independent client to bind exchanges and read messages back.
//!
//! The broker runs in a process group of its own and gets its own `epmd` (Erlang's port
//! mapper) on a free port, started here in the foreground: the Erlang VM would otherwise start
//! a shared, daemonised epmd on port 4369 that outlives the test. Dropping [`RabbitMq`]
//! kills the broker's whole group (the start script, the VM and its helpers) and the epmd.
//! A test process that is itself killed leaves them behind; they hold only temp dirs and
//! free ports, so other tests are not disturbed.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use serde_json::Value;

use crate::process::{ChildGuard, free_port, system_tool, venv_tool, wait_for_port};

/// Debian's start script itself, not the `/usr/sbin` wrapper (which switches to the
/// `rabbitmq` user and to the system's directories).
const SERVER_SCRIPT: &str = "/usr/lib/rabbitmq/bin/rabbitmq-server";
const EPMD: &str = "/usr/bin/epmd";
/// Start-up takes a few seconds on an idle machine; the test machines are shared and busy.
const START_TIMEOUT: Duration = Duration::from_secs(90);
const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// A running broker; killed with its epmd when dropped. The default `guest`/`guest` user may
/// log in, since every connection comes from 127.0.0.1.
pub struct RabbitMq {
    port: u16,
    server: GroupGuard,
    _epmd: ChildGuard,
    dir: tempfile::TempDir,
}

/// Kills a child's whole process group when dropped, then reaps the child.
struct GroupGuard(ChildGuard);

impl Drop for GroupGuard {
    fn drop(&mut self) {
        let group = Pid::from_raw(self.0.pid() as i32);
        // Gone already is fine: the guard only makes sure nothing is left running.
        killpg(group, Signal::SIGKILL).ok();
    }
}

/// One message read back by pika.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpMessage {
    /// The body, byte for byte.
    pub body: Vec<u8>,
    /// The `content_type` property.
    pub content_type: Option<String>,
    /// The `delivery_mode` property.
    pub delivery_mode: Option<u8>,
    /// The `message_id` property.
    pub message_id: Option<String>,
    /// The exchange it was published to (empty for the default one).
    pub exchange: String,
    /// The routing key it was published with.
    pub routing_key: String,
}

impl RabbitMq {
    /// Starts a broker and waits until it accepts AMQP connections; panics with its log if
    /// it does not come up.
    pub async fn start() -> RabbitMq {
        let script = system_tool(SERVER_SCRIPT, "rabbitmq-server");
        let epmd_path = system_tool(EPMD, "erlang-base");
        let dir = tempfile::tempdir().unwrap();
        let (port, dist_port, epmd_port) = (free_port(), free_port(), free_port());
        for sub in ["mnesia", "log", "home"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        std::fs::write(dir.path().join("enabled_plugins"), "[].\n").unwrap();
        std::fs::write(dir.path().join("rabbitmq-env.conf"), "").unwrap();
        let epmd_log = dir.path().join("epmd.log");
        let mut epmd_command = Command::new(epmd_path);
        epmd_command.args(["-port", &epmd_port.to_string(), "-address", "127.0.0.1"]);
        let epmd = ChildGuard::spawn("epmd", &mut epmd_command, &epmd_log);
        wait_for_port(epmd_port, Duration::from_secs(20), &epmd_log).await;
        let log = dir.path().join("rabbitmq.log");
        let mut command = server_command(&script, dir.path(), port, dist_port, epmd_port);
        let server = GroupGuard(ChildGuard::spawn("rabbitmq-server", &mut command, &log));
        wait_for_port(port, START_TIMEOUT, &log).await;
        RabbitMq {
            port,
            server,
            _epmd: epmd,
            dir,
        }
    }

    /// Returns the AMQP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Returns the URL a Dkron job would use: `amqp://guest:guest@127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("amqp://guest:guest@127.0.0.1:{}/", self.port)
    }

    /// Returns the broker's log so far (for assertion messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("rabbitmq.log")).unwrap_or_default()
    }

    /// Returns the process id of the broker's start script (its process group's leader).
    pub fn pid(&self) -> u32 {
        self.server.0.pid()
    }

    /// Declares a direct `exchange` and `queue`, bound with the queue's name as routing key.
    pub async fn bind_queue(&self, exchange: &str, queue: &str) {
        let out = self.pika(&["bind", exchange, queue]).await;
        assert_eq!(out.trim(), "BOUND", "{out}");
    }

    /// Takes one message off `queue`, waiting up to `wait`; `None` when none came.
    pub async fn take_message(&self, queue: &str, wait: Duration) -> Option<AmqpMessage> {
        let seconds = wait.as_secs_f64().to_string();
        let out = self.pika(&["get", queue, &seconds]).await;
        let value: Value = serde_json::from_str(out.trim()).unwrap();
        (!value.is_null()).then(|| received_message(&value))
    }

    async fn pika(&self, args: &[&str]) -> String {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/rabbitmq_client.py");
        let url = format!("amqp://guest:guest@127.0.0.1:{}/%2F", self.port);
        let running = tokio::process::Command::new(venv_tool("python3"))
            .arg(script)
            .arg(url)
            .args(args)
            .kill_on_drop(true)
            .output();
        let output = tokio::time::timeout(CLIENT_TIMEOUT, running)
            .await
            .expect("pika answers within a minute")
            .unwrap();
        assert!(
            output.status.success(),
            "pika {args:?} failed: {}\nbroker log:\n{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
        String::from_utf8(output.stdout).unwrap()
    }
}

fn received_message(value: &Value) -> AmqpMessage {
    use base64::Engine;
    let text = |key: &str| value[key].as_str().map(str::to_owned);
    let body = base64::engine::general_purpose::STANDARD
        .decode(value["body_base64"].as_str().unwrap())
        .unwrap();
    AmqpMessage {
        body,
        content_type: text("content_type"),
        delivery_mode: value["delivery_mode"].as_u64().map(|mode| mode as u8),
        message_id: text("message_id"),
        exchange: text("exchange").unwrap_or_default(),
        routing_key: text("routing_key").unwrap_or_default(),
    }
}

/// The start script with everything pointed into `dir` and at our ports: no system config,
/// no plugins (so no management listener), and our own epmd.
fn server_command(script: &Path, dir: &Path, port: u16, dist_port: u16, epmd_port: u16) -> Command {
    let path = |name: &str| dir.join(name);
    let mut command = Command::new(script);
    command
        .current_dir(dir)
        .env("HOME", path("home"))
        .env("RABBITMQ_NODENAME", format!("rabbit-{port}@localhost"))
        .env("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1")
        .env("RABBITMQ_NODE_PORT", port.to_string())
        .env("RABBITMQ_DIST_PORT", dist_port.to_string())
        .env("RABBITMQ_MNESIA_BASE", path("mnesia"))
        .env("RABBITMQ_LOG_BASE", path("log"))
        .env("RABBITMQ_LOGS", "-")
        .env("RABBITMQ_ENABLED_PLUGINS_FILE", path("enabled_plugins"))
        .env("RABBITMQ_CONF_ENV_FILE", path("rabbitmq-env.conf"))
        .env("RABBITMQ_CONFIG_FILE", path("no-rabbitmq.conf"))
        .env("RABBITMQ_ADVANCED_CONFIG_FILE", path("no-advanced.config"))
        .env("RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS", "-start_epmd false")
        .env("ERL_EPMD_ADDRESS", "127.0.0.1")
        .env("ERL_EPMD_PORT", epmd_port.to_string())
        // Its own group, so that dropping the guard can kill the VM the script started.
        .process_group(0);
    command
}
