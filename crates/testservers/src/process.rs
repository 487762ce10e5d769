//! What every test server needs: free ports, child processes that die with the test, the
//! project's test virtualenv (`target/test-venv`) and a listener that accepts connections and
//! never answers.

use std::net::{SocketAddr, TcpListener as StdListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed (and reaped) when the guard is dropped, so a failed test leaves no
/// server behind.
pub struct ChildGuard {
    /// What the child is, for messages.
    pub name: String,
    child: Child,
}

impl ChildGuard {
    /// Starts `command` with its output going to `log` (a file the test can print when the
    /// server does not come up).
    pub fn spawn(name: &str, command: &mut Command, log: &std::path::Path) -> ChildGuard {
        let out = std::fs::File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {name} ({command:?}): {error}"));
        ChildGuard {
            name: name.to_owned(),
            child,
        }
    }

    /// Returns the child's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // Already gone is fine: the guard only makes sure nothing is left running.
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// Returns a TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// Waits until something accepts TCP connections on 127.0.0.1:`port`; panics with the
/// server's log after `timeout`.
pub async fn wait_for_port(port: u16, timeout: Duration, log: &std::path::Path) {
    let deadline = Instant::now() + timeout;
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    while TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!("nothing listens on port {port} after {timeout:?}; server log:\n{text}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Returns the path of `tool` in the project's test virtualenv, or panics saying how to make
/// it: these tests need real servers, and a missing one is a failure, not a skip.
pub fn venv_tool(tool: &str) -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin");
    let path = root.join(tool);
    assert!(
        path.try_exists().unwrap_or(false),
        "{} is missing: run scripts/install-test-services (scripts/test-all does) to make the \
         test virtualenv with the servers these tests talk to",
        path.display()
    );
    path
}

/// Returns the path of a server installed from Debian's packages, or panics saying which
/// package to install.
pub fn system_tool(path: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(path);
    assert!(
        path.try_exists().unwrap_or(false),
        "{} is missing: run scripts/install-test-services (scripts/test-all does), or \
         'apt-get install -y {package}'",
        path.display()
    );
    path
}

/// A TCP listener on 127.0.0.1 that accepts connections and never writes a byte: a client
/// waiting for a greeting or an answer waits until it is cancelled. Dropping the returned
/// task handle's owner keeps it running; it ends with the test's runtime.
pub async fn silent_listener() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    address
}
