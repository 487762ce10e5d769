//! Starting one plugin binary as go-plugin's client does, and watching it: the magic cookie
//! and protocol variables in its environment, the handshake line on its standard output, its
//! standard error logged line by line, and its exit noticed the moment it happens.

mod lines;
mod stderr_log;

use std::collections::VecDeque;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::BufReader;
use tokio::process::{Child, ChildStderr, ChildStdout, Command};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::handshake::{Handshake, HandshakeError, parse_handshake};
use lines::{MAX_LINE_BYTES, next_line};

/// Dkron's magic cookie: a go-plugin binary refuses to serve without it.
pub const MAGIC_COOKIE_KEY: &str = "DKRON_PLUGIN_MAGIC_COOKIE";
/// The cookie's value (`plugin.Handshake.MagicCookieValue` in Dkron).
pub const MAGIC_COOKIE_VALUE: &str =
    "b29a76488b6f3ca7955c5f769b50641f0fcd88748d8cedecda313d516320ca19";

/// How many of a plugin's last standard-error lines are kept to explain its exit.
const LAST_WORDS: usize = 8;

/// How a plugin process is started.
#[derive(Debug, Clone)]
pub struct LaunchSettings {
    /// Changes to this process's environment for the plugin: a value sets a variable, `None`
    /// removes it (the node's own `DKRON_*` settings are not the plugin's business).
    pub env_changes: Vec<(String, Option<String>)>,
    /// How long a plugin may take to print its handshake (go-plugin's default is a minute).
    pub start_timeout: Duration,
}

impl Default for LaunchSettings {
    fn default() -> Self {
        LaunchSettings {
            env_changes: Vec::new(),
            start_timeout: Duration::from_secs(60),
        }
    }
}

/// Why a plugin did not start.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StartError {
    /// The binary could not be run at all.
    #[error("cannot run {path}: {reason}")]
    Spawn {
        /// The binary.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// It exited before printing its handshake.
    #[error("it exited ({status}) before its handshake{last_words}")]
    ExitedEarly {
        /// How it exited.
        status: String,
        /// Its last standard-error lines, ready to append.
        last_words: String,
    },
    /// No handshake within the start timeout.
    #[error("no handshake line within {0:?}")]
    Timeout(Duration),
    /// The handshake line was refused.
    #[error("bad handshake: {0}")]
    Handshake(#[from] HandshakeError),
    /// The plugin speaks the other protocol than its kind needs.
    #[error("it speaks {got}, but a Dkron {kind} speaks {expected}")]
    WrongProtocol {
        /// The plugin's kind.
        kind: String,
        /// What that kind speaks.
        expected: String,
        /// What the plugin said it speaks.
        got: String,
    },
    /// Connecting to the address it printed failed.
    #[error("cannot connect to it at {address}: {reason}")]
    Connect {
        /// The handshake's address.
        address: String,
        /// Why.
        reason: String,
    },
}

/// A started plugin process.
#[derive(Debug)]
pub(crate) struct PluginProcess {
    /// What it printed.
    pub(crate) handshake: Handshake,
    /// Its process id.
    pub(crate) pid: u32,
    exit: watch::Receiver<Option<String>>,
    last_words: LastWords,
    kill: CancellationToken,
}

impl PluginProcess {
    /// How it exited, once it has (`exit status 2`, `signal 9 (SIGKILL)`).
    pub(crate) fn exit_status(&self) -> Option<String> {
        self.exit.borrow().clone()
    }

    /// Waits until it has exited and returns how.
    pub(crate) async fn exited(&self) -> String {
        let mut exit = self.exit.clone();
        match exit.wait_for(Option::is_some).await {
            Ok(status) => status.clone().unwrap_or_default(),
            Err(_) => "exit status unknown".to_string(),
        }
    }

    /// Its last standard-error lines, as text to append to an error (` — last words: …`),
    /// or empty.
    pub(crate) fn last_words(&self) -> String {
        self.last_words.as_suffix()
    }

    /// How it ended, for a run's output, the log and the status: `exited (exit status 2)`
    /// followed by its last standard-error lines.
    pub(crate) fn exit_text(&self, status: &str) -> String {
        format!("exited ({status}){}", self.last_words())
    }

    /// Kills it (SIGKILL) and waits until it is gone.
    pub(crate) async fn kill(&self) {
        self.kill.cancel();
        self.exited().await;
    }
}

/// The last lines of a plugin's standard error.
#[derive(Debug, Clone, Default)]
struct LastWords(Arc<Mutex<VecDeque<String>>>);

impl LastWords {
    fn push(&self, line: &str) {
        let mut lines = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if lines.len() == LAST_WORDS {
            lines.pop_front();
        }
        lines.push_back(line.chars().take(500).collect());
    }

    fn as_suffix(&self) -> String {
        let lines = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if lines.is_empty() {
            return String::new();
        }
        let joined: Vec<&str> = lines.iter().map(String::as_str).collect();
        format!("; its last standard-error lines: {}", joined.join(" | "))
    }
}

/// Starts the binary at `path` and waits for its handshake line.
pub(crate) async fn launch(
    name: &str,
    path: &Path,
    settings: &LaunchSettings,
) -> Result<PluginProcess, StartError> {
    let mut child = command(path, settings)
        .spawn()
        .map_err(|error| StartError::Spawn {
            path: path.display().to_string(),
            reason: error.to_string(),
        })?;
    let pid = child.id().unwrap_or(0);
    let last_words = LastWords::default();
    let stderr = child.stderr.take();
    let stdout = child.stdout.take();
    if let Some(stderr) = stderr {
        tokio::spawn(log_stderr(name.to_string(), stderr, last_words.clone()));
    }
    let kill = CancellationToken::new();
    let (exit_sender, exit) = watch::channel(None);
    tokio::spawn(watch_exit(
        name.to_string(),
        child,
        kill.clone(),
        exit_sender,
    ));
    let mut process = PluginProcess {
        handshake: Handshake {
            address: crate::handshake::PluginAddress::Tcp(String::new()),
            protocol: crate::handshake::WireProtocol::Netrpc,
        },
        pid,
        exit,
        last_words,
        kill,
    };
    match read_handshake(name, stdout, &process, settings.start_timeout).await {
        Ok(handshake) => {
            process.handshake = handshake;
            Ok(process)
        }
        Err(error) => {
            process.kill().await;
            Err(error)
        }
    }
}

fn command(path: &Path, settings: &LaunchSettings) -> Command {
    let mut command = Command::new(path);
    for (key, value) in &settings.env_changes {
        match value {
            Some(value) => command.env(key, value),
            None => command.env_remove(key),
        };
    }
    command
        .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
        .env("PLUGIN_PROTOCOL_VERSIONS", "1")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    command
}

/// Reads the handshake line; the rest of the plugin's standard output is logged.
async fn read_handshake(
    name: &str,
    stdout: Option<ChildStdout>,
    process: &PluginProcess,
    timeout: Duration,
) -> Result<Handshake, StartError> {
    let Some(stdout) = stdout else {
        return Err(early_exit(process).await);
    };
    let mut reader = BufReader::new(stdout);
    let line = tokio::select! {
        line = next_line(&mut reader, MAX_LINE_BYTES) => line,
        () = tokio::time::sleep(timeout) => return Err(StartError::Timeout(timeout)),
    };
    let Some(line) = line else {
        return Err(early_exit(process).await);
    };
    let handshake = parse_handshake(&line)?;
    tokio::spawn(log_stdout(name.to_string(), reader));
    Ok(handshake)
}

async fn early_exit(process: &PluginProcess) -> StartError {
    let status = tokio::time::timeout(Duration::from_secs(5), process.exited())
        .await
        .unwrap_or_else(|_| "still running, its standard output closed".to_string());
    // Let the stderr reader take the last lines in.
    tokio::time::sleep(Duration::from_millis(50)).await;
    StartError::ExitedEarly {
        status,
        last_words: process.last_words(),
    }
}

async fn log_stdout(name: String, mut reader: BufReader<ChildStdout>) {
    while let Some(line) = next_line(&mut reader, MAX_LINE_BYTES).await {
        tracing::info!(target: "dkron_plugin::stdout", plugin = %name, "{line}");
    }
}

async fn log_stderr(name: String, stderr: ChildStderr, last_words: LastWords) {
    let mut reader = BufReader::new(stderr);
    while let Some(line) = next_line(&mut reader, MAX_LINE_BYTES).await {
        let read = stderr_log::read_log_line(&line);
        last_words.push(&read.message);
        stderr_log::log_line(&name, &read);
    }
}

async fn watch_exit(
    name: String,
    mut child: Child,
    kill: CancellationToken,
    exit: watch::Sender<Option<String>>,
) {
    let status = tokio::select! {
        status = child.wait() => status,
        () = kill.cancelled() => {
            let _already_gone = child.start_kill();
            child.wait().await
        }
    };
    let text = match status {
        Ok(status) => describe(status),
        Err(error) => format!("wait failed: {error}"),
    };
    tracing::debug!(plugin = %name, status = %text, "plugin process ended");
    exit.send_replace(Some(text));
}

fn describe(status: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(signal)) => match nix::sys::signal::Signal::try_from(signal) {
            Ok(known) => format!("killed by signal {signal} ({known})"),
            Err(_) => format!("killed by signal {signal}"),
        },
        (None, None) => "ended".to_string(),
    }
}
