//! Starting, killing and talking to a server process.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// A server process with its own data directory and port.
pub struct Server {
    pub data_dir: PathBuf,
    pub http_port: u16,
    /// Gossip (UDP) port, kept across restarts.
    pub gossip_port: u16,
    /// gRPC port, kept across restarts.
    pub rpc_port: u16,
    /// Extra flags for every start of this server.
    pub extra_args: Vec<String>,
    /// Extra environment variables for every start of this server.
    pub extra_env: Vec<(String, String)>,
    /// A program (and its arguments) the binary is started through, such as `prlimit`, or
    /// `unshare` for a mount namespace of its own (kept for restarts); empty: none.
    pub launcher: Vec<String>,
    child: Option<Child>,
    client: reqwest::Client,
    log_path: PathBuf,
    /// `http`, or `https` for a server started with certificates.
    scheme: &'static str,
}

/// Returns a TCP port nobody listens on right now (its UDP twin is used for gossip).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts a server in a fresh temporary data directory and waits until it answers.
    pub async fn start(dir: &Path) -> Server {
        Server::start_with(dir, &[]).await
    }

    /// Starts a server with extra flags (kept for restarts).
    pub async fn start_with(dir: &Path, extra_args: &[&str]) -> Server {
        Server::start_with_env(dir, extra_args, &[]).await
    }

    /// Starts a server with extra flags and environment variables (kept for restarts).
    pub async fn start_with_env(dir: &Path, extra_args: &[&str], env: &[(&str, &str)]) -> Server {
        let client = plain_client();
        Server::start_over(dir, extra_args, env, client, "http", Vec::new()).await
    }

    /// Starts a server through `launcher` (a program that runs the command line it is
    /// given, such as `prlimit --nofile=256:512 --`, or `unshare` for a mount namespace of
    /// its own) with extra flags; restarts go through it too.
    pub async fn start_launched(dir: &Path, launcher: &[&str], extra_args: &[&str]) -> Server {
        let client = plain_client();
        let launcher = launcher.iter().map(|arg| arg.to_string()).collect();
        Server::start_over(dir, extra_args, &[], client, "http", launcher).await
    }

    /// Starts a server with certificate flags among `extra_args`, talking HTTPS to it
    /// through `client`.
    pub async fn start_https(dir: &Path, extra_args: &[&str], client: reqwest::Client) -> Server {
        Server::start_over(dir, extra_args, &[], client, "https", Vec::new()).await
    }

    async fn start_over(
        dir: &Path,
        extra_args: &[&str],
        env: &[(&str, &str)],
        client: reqwest::Client,
        scheme: &'static str,
        launcher: Vec<String>,
    ) -> Server {
        let mut server = Server::unstarted(dir, extra_args, env, client, scheme);
        server.launcher = launcher;
        server.spawn().await;
        server
    }

    fn unstarted(
        dir: &Path,
        extra_args: &[&str],
        env: &[(&str, &str)],
        client: reqwest::Client,
        scheme: &'static str,
    ) -> Server {
        Server {
            data_dir: dir.join("data"),
            http_port: free_port(),
            gossip_port: free_port(),
            rpc_port: free_port(),
            extra_args: extra_args.iter().map(|arg| arg.to_string()).collect(),
            extra_env: env
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string()))
                .collect(),
            launcher: Vec::new(),
            child: None,
            client,
            log_path: dir.join("server.log"),
            scheme,
        }
    }

    /// Starts the process again on the same data directory (and ports, unless another test
    /// took one of them between choosing and binding it: then on fresh ones).
    pub async fn spawn(&mut self) {
        for _attempt in 0..3 {
            let logged_before = self.log().len();
            self.launch();
            let deadline = Instant::now() + Duration::from_secs(30);
            loop {
                if self.answers_health().await {
                    return;
                }
                let exited = self
                    .child
                    .as_mut()
                    .is_some_and(|child| child.try_wait().ok().flatten().is_some());
                if exited {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "timed out waiting until the server answers /health\n--- server log ---\n{}",
                    self.log()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            let new_log = self
                .log()
                .get(logged_before..)
                .unwrap_or_default()
                .to_string();
            assert!(
                new_log.contains("Address already in use"),
                "the server exited at start\n--- server log ---\n{new_log}"
            );
            self.http_port = free_port();
            self.gossip_port = free_port();
            self.rpc_port = free_port();
        }
        panic!("the server could not find free ports in 3 attempts");
    }

    async fn answers_health(&self) -> bool {
        self.client
            .get(self.url("/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    fn launch(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .unwrap();
        let binary = env!("CARGO_BIN_EXE_dkron");
        let mut command = match self.launcher.split_first() {
            Some((program, args)) => {
                let mut command = Command::new(program);
                command.args(args).arg(binary);
                command
            }
            None => Command::new(binary),
        };
        let child = command
            .args([
                "agent",
                "--server",
                "--bootstrap-expect",
                "1",
                "--node-name",
                "test-node",
            ])
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--http-addr")
            .arg(format!("127.0.0.1:{}", self.http_port))
            .arg("--bind-addr")
            .arg(format!("127.0.0.1:{}", self.gossip_port))
            .arg("--rpc-port")
            .arg(self.rpc_port.to_string())
            .args(["--log-level", "debug"])
            .args(&self.extra_args)
            .env("TZ", "UTC")
            .envs(self.extra_env.iter().map(|(name, value)| (name, value)))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("the dkron binary starts");
        self.child = Some(child);
    }

    /// Kills the process with SIGKILL, as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
    }

    /// Stops the process with SIGTERM and waits for it to exit.
    pub async fn terminate(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server is running");
        let pid = nix_pid(&child);
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "server did not exit after SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server is running").id()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://127.0.0.1:{}{path}", self.scheme, self.http_port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }

    pub async fn get(&self, path: &str) -> (u16, String) {
        let response = self.client.get(self.url(path)).send().await.unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap()
    }

    pub async fn send(&self, method: &str, path: &str, body: &str) -> (u16, String) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let response = self
            .client
            .request(method, self.url(path))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    /// Runs job `name` now (Dkron's `POST /v1/jobs/{name}`) and returns its first finished
    /// execution; for jobs that run only when asked.
    pub async fn run_job_and_wait(&self, name: &str) -> Value {
        let (status, body) = self.send("POST", &format!("/v1/jobs/{name}"), "").await;
        assert_eq!(status, 202, "{body}");
        self.first_finished_execution(name).await
    }

    /// Waits (up to 60 s) until the first execution of job `name` has finished, and returns it.
    pub async fn first_finished_execution(&self, name: &str) -> Value {
        let path = format!("/v1/jobs/{name}/executions");
        let finished = |executions: &Value| {
            executions[0]["finished_at"]
                .as_str()
                .is_some_and(|time| !time.starts_with("0001"))
        };
        self.wait_until(
            "the execution finished",
            Duration::from_secs(60),
            || async { finished(&self.get_json(&path).await) },
        )
        .await;
        self.get_json(&path).await[0].clone()
    }

    /// Waits (up to 20 s) until `/v1/busy` lists a running execution, and returns its id.
    pub async fn first_busy_execution_id(&self) -> String {
        self.wait_until("the run has started", Duration::from_secs(20), || async {
            let busy = self.get_json("/v1/busy").await;
            !busy.as_array().unwrap().is_empty()
        })
        .await;
        let busy = self.get_json("/v1/busy").await;
        busy[0]["id"].as_str().unwrap().to_owned()
    }

    /// Submits `job` (`POST /v1/jobs`) and checks that it is refused at one field: `400`,
    /// `X-Error-Field: field`, a body containing `words`, and no job stored under its name.
    /// Returns the body for further checks.
    pub async fn assert_job_refused(&self, job: &Value, field: &str, words: &str) -> String {
        let (status, body, error_field) = self.post_job(job).await;
        assert_eq!(status, 400, "{job}: {body}");
        assert_eq!(error_field.as_deref(), Some(field), "{body}");
        assert!(body.contains(words), "{body}");
        let name = job["name"].as_str().unwrap_or_default();
        let (status, _) = self.get(&format!("/v1/jobs/{name}")).await;
        assert_eq!(status, 404, "a refused job was stored");
        body
    }

    async fn post_job(&self, job: &Value) -> (u16, String, Option<String>) {
        let response = self
            .client
            .post(self.url("/v1/jobs"))
            .header("content-type", "application/json")
            .body(job.to_string())
            .send()
            .await
            .unwrap();
        let error_field = response
            .headers()
            .get("x-error-field")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        (
            response.status().as_u16(),
            response.text().await.unwrap(),
            error_field,
        )
    }

    /// Polls `condition` every 100 ms until it holds, or fails the test with `what`.
    pub async fn wait_until<F, Fut>(&self, what: &str, limit: Duration, mut condition: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + limit;
        while !condition().await {
            assert!(
                Instant::now() < deadline,
                "timed out waiting until {what}\n--- server log ---\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn nix_pid(child: &Child) -> String {
    child.id().to_string()
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The HTTP client of a plain-HTTP server, with the process's TLS provider chosen once.
fn plain_client() -> reqwest::Client {
    let _already_installed = rustls::crypto::ring::default_provider()
        .install_default()
        .is_err();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Reads a server-sent event stream to its end (or `limit`) and returns the text.
pub async fn read_event_stream(response: reqwest::Response, limit: Duration) -> String {
    use futures::StreamExt;
    let mut body = response.bytes_stream();
    let mut events = String::new();
    let read = async {
        while let Some(chunk) = body.next().await {
            events.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
        }
    };
    if tokio::time::timeout(limit, read).await.is_err() {
        eprintln!("event stream still open after {limit:?}");
    }
    events
}
