//! The `dkron` processes: each runs in its node's namespace under libfaketime (so its wall
//! clock can jump while its monotonic clock does not), servers with their data directory on
//! a small tmpfs of their own (so it can be filled).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::net::{self, NodeAddress, PREFIX};

/// libfaketime as Debian's `faketime` package installs it.
pub const FAKETIME_LIB: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";
pub const GOSSIP_PORT: u16 = 8946;
pub const RPC_PORT: u16 = 6868;
pub const HTTP_PORT: u16 = 8080;
/// Size of each server's data volume.
const VOLUME_SIZE: &str = "size=512m";

/// How the whole cluster is started.
#[derive(Debug, Clone)]
pub struct Launch {
    pub binary: PathBuf,
    pub work_dir: PathBuf,
    /// Every server's gossip address, joined at start.
    pub seeds: Vec<String>,
}

/// One node and its process.
#[derive(Debug)]
pub struct Node {
    pub address: NodeAddress,
    pub server: bool,
    child: Option<Child>,
    starts: usize,
}

impl Node {
    pub fn new(address: NodeAddress, server: bool) -> Node {
        Node {
            address,
            server,
            child: None,
            starts: 0,
        }
    }

    pub fn name(&self) -> &str {
        &self.address.name
    }

    pub fn http_base(&self) -> String {
        format!("http://{}:{HTTP_PORT}", self.address.ip)
    }

    pub fn data_dir(&self, launch: &Launch) -> PathBuf {
        launch.work_dir.join(format!("{}-data", self.name()))
    }

    pub fn clock_file(&self, launch: &Launch) -> PathBuf {
        launch.work_dir.join(format!("{}-clock", self.name()))
    }

    /// Creates the data directory (a tmpfs for servers) and the clock file at offset zero.
    pub fn prepare(&self, launch: &Launch) -> anyhow::Result<()> {
        let data = self.data_dir(launch);
        std::fs::create_dir_all(&data)?;
        if self.server {
            let source = format!("{PREFIX}-{}", self.name());
            let target = data.to_string_lossy().into_owned();
            net::run(
                "mount",
                &["-t", "tmpfs", "-o", VOLUME_SIZE, &source, &target],
            )?;
        }
        set_clock_offset(&self.clock_file(launch), 0)
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    pub fn pid(&self) -> Option<Pid> {
        self.child
            .as_ref()
            .map(|child| Pid::from_raw(child.id() as i32))
    }

    /// Starts (or restarts, keeping its data) the node's process.
    pub fn start(&mut self, launch: &Launch) -> anyhow::Result<()> {
        self.starts += 1;
        let log_path = launch.work_dir.join(format!("{}.log", self.name()));
        let log = File::options().create(true).append(true).open(&log_path)?;
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &self.address.namespace()])
            .arg(&launch.binary)
            .args(self.arguments(launch))
            .env("LD_PRELOAD", FAKETIME_LIB)
            .env("FAKETIME_TIMESTAMP_FILE", self.clock_file(launch))
            .env("FAKETIME_NO_CACHE", "1")
            .env("DONT_FAKE_MONOTONIC", "1")
            // jobs inherit it: the line a run appends names the node it ran on
            .env("CHAOS_NODE", self.name())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .with_context(|| format!("cannot start {}", self.name()))?;
        // a node that floods its log must not fill the host's disk: each stream is capped
        if let Some(stdout) = child.stdout.take() {
            copy_capped(stdout, log.try_clone()?, self.name().to_string());
        }
        if let Some(stderr) = child.stderr.take() {
            copy_capped(stderr, log, self.name().to_string());
        }
        self.child = Some(child);
        Ok(())
    }

    fn arguments(&self, launch: &Launch) -> Vec<String> {
        let ip = &self.address.ip;
        let mut args: Vec<String> = vec![
            "agent".into(),
            "--node-name".into(),
            self.name().into(),
            "--data-dir".into(),
            self.data_dir(launch).to_string_lossy().into_owned(),
            "--bind-addr".into(),
            format!("{ip}:{GOSSIP_PORT}"),
            "--rpc-port".into(),
            RPC_PORT.to_string(),
            "--retry-interval".into(),
            "1s".into(),
        ];
        for seed in &launch.seeds {
            args.extend(["--retry-join".into(), seed.clone()]);
        }
        if self.server {
            args.extend([
                "--server".into(),
                "--bootstrap-expect".into(),
                "3".into(),
                "--http-addr".into(),
                format!("{ip}:{HTTP_PORT}"),
                "--ledger-retention".into(),
                "100000".into(),
            ]);
        } else {
            args.extend(["--tag".into(), "pool=agents".into()]);
        }
        args
    }

    pub fn signal(&self, signal: Signal) -> anyhow::Result<()> {
        if let Some(pid) = self.pid() {
            kill(pid, signal).with_context(|| format!("{signal} to {}", self.name()))?;
        }
        Ok(())
    }

    /// SIGKILL, and reap the process.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _dead = child.kill();
            let _reaped = child.wait();
        }
    }

    /// Whether the process exited by itself (after SIGTERM).
    pub fn exited(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(Some(_))) | None => {
                self.child = None;
                true
            }
            _ => false,
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _running = self.signal(Signal::SIGCONT);
        self.kill();
    }
}

/// Most bytes of one output stream of one node process kept in its log file.
const LOG_CAP_BYTES: u64 = 200 << 20;

/// Copies a node's output into its log file on a thread of its own, up to the cap; past it
/// the output is read and dropped (so the node never blocks on a full pipe) and the flood is
/// reported once.
fn copy_capped(mut from: impl Read + Send + 'static, mut to: File, node: String) {
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 64 << 10];
        let mut written = 0u64;
        let mut reported = false;
        while let Ok(read) = from.read(&mut buffer) {
            if read == 0 {
                return;
            }
            if written < LOG_CAP_BYTES {
                written += read as u64;
                let _kept = to.write_all(&buffer[..read]);
            } else if !reported {
                reported = true;
                crate::report::say(&format!(
                    "LOG FLOOD: {node} wrote more than {} MiB of log in one start; the rest is dropped",
                    LOG_CAP_BYTES >> 20
                ));
            }
        }
    });
}

/// Writes a node's wall-clock offset in seconds (libfaketime reads it at every call).
pub fn set_clock_offset(file: &Path, seconds: i64) -> anyhow::Result<()> {
    std::fs::write(file, format!("{seconds:+}\n"))
        .with_context(|| format!("cannot write {}", file.display()))
}
