//! Transport security of one server (issue 13): the start-up warning when node RPC is open,
//! forged orders refused with only a gossip key, HTTPS with client certificates made by
//! `dkron tls`, the client commands against it, and bad certificate files refused at start.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use dkron::tls_flags::ClientTlsArgs;
use dkron_cluster::rpc::{Channels, NodeCalls};
use serde_json::{Value, json};

use crate::harness::Server;

const CLUSTER_KEY: &str = "AAECAwQFBgcICQoLDA0ODw==";
const OPEN_RPC_WARNING: &str = "node rpc is NOT authenticated";

pub fn dkron(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null())
        .output()
        .expect("the dkron binary runs")
}

/// Returns `parent/name`, created.
fn subdir(parent: &Path, name: &str) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Makes `ca.pem`, `ca-key.pem`, `server.pem` and `server-key.pem` in `dir` with
/// `dkron tls`; returns the client flags that use them.
pub fn make_certificates(dir: &Path, ca_name: &str) -> ClientTlsArgs {
    let out = dir.to_str().unwrap();
    let made = dkron(
        dir,
        &["tls", "ca", "create", "--out-dir", out, "--name", ca_name],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    let ca_file = format!("{out}/{ca_name}.pem");
    let ca_key = format!("{out}/{ca_name}-key.pem");
    let name = format!("{ca_name}-node");
    let made = dkron(
        dir,
        &[
            "tls",
            "cert",
            "create",
            "--out-dir",
            out,
            "--ca-file",
            &ca_file,
            "--ca-key-file",
            &ca_key,
            "--name",
            &name,
        ],
    );
    assert!(made.status.success(), "{}", text(&made.stderr));
    assert!(text(&made.stdout).contains(&format!("{name}-key.pem")));
    let again = dkron(
        dir,
        &["tls", "ca", "create", "--out-dir", out, "--name", ca_name],
    );
    assert!(!again.status.success(), "an existing CA is never replaced");
    ClientTlsArgs {
        cert_file: Some(PathBuf::from(format!("{out}/{name}.pem"))),
        key_file: Some(PathBuf::from(format!("{out}/{name}-key.pem"))),
        trusted_ca_file: Some(PathBuf::from(ca_file)),
    }
}

/// The agent flags that use `tls`.
pub fn agent_flags(tls: &ClientTlsArgs) -> Vec<String> {
    let path = |path: &Option<PathBuf>| path.as_ref().unwrap().display().to_string();
    vec![
        "--cert-file".into(),
        path(&tls.cert_file),
        "--key-file".into(),
        path(&tls.key_file),
        "--trusted-ca-file".into(),
        path(&tls.trusted_ca_file),
        "--client-cert-auth".into(),
    ]
}

/// A shell job that creates `marker` when it runs, as stored by the server (for a forged
/// order that looks real).
async fn marker_job(server: &Server, name: &str, marker: &Path) -> Value {
    let job = json!({
        "name": name, "schedule": "@manually", "executor": "shell",
        "executor_config": {"command": format!("touch {}", marker.display())}
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    server.get_json(&format!("/v1/jobs/{name}")).await
}

/// Sends a `Node.Run` of `job` in leader term `term` with no credential; returns the
/// refusal's message if it is refused.
async fn forge_run(rpc_port: u16, job: &Value, term: u64) -> Result<(), String> {
    let channels = Channels::default();
    let addr = format!("127.0.0.1:{rpc_port}");
    let calls = NodeCalls::new(&channels, &addr).with_deadline(Duration::from_secs(5));
    let order = json!({
        "job": job, "nominal": chrono::Utc::now().to_rfc3339(), "leader_term": term,
        "execution_id": format!("{}-forged", chrono::Utc::now().timestamp_nanos_opt().unwrap()),
    });
    let mut events = calls
        .run::<_, bool>(&order)
        .await
        .map_err(|error| error.to_string())?;
    match events.next_event().await {
        Ok(Some(_)) => Ok(()),
        other => Err(format!("{other:?}")),
    }
}

/// Sends a forged `Node.Run` of `job` and a forged `Node.Leave` with no credential; returns
/// whether each was accepted.
async fn forge_run_and_leave(rpc_port: u16, job: Value) -> (bool, bool) {
    let ran = forge_run(rpc_port, &job, 0).await.is_ok();
    let channels = Channels::default();
    let addr = format!("127.0.0.1:{rpc_port}");
    let calls = NodeCalls::new(&channels, &addr).with_deadline(Duration::from_secs(5));
    // Leave last: when it is accepted, the node stops.
    let left = calls.leave().await.is_ok();
    (ran, left)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_rpc_is_announced_and_runs_forged_orders_and_a_gossip_key_closes_it() {
    let dir = tempfile::tempdir().unwrap();
    tracing::info!(
        "phase: nothing configured: the warning names the port, and a forged order runs"
    );
    let mut open = Server::start(&subdir(dir.path(), "open")).await;
    let warning = format!(
        "{OPEN_RPC_WARNING}: anyone who can reach port {}",
        open.rpc_port
    );
    assert!(open.log().contains(&warning), "{}", open.log());
    let marker = dir.path().join("open-marker");
    let job = marker_job(&open, "open-job", &marker).await;
    assert_eq!(forge_run_and_leave(open.rpc_port, job).await, (true, true));
    open.wait_until(
        "the forged run creates its marker",
        Duration::from_secs(10),
        || {
            let exists = marker.is_file();
            async move { exists }
        },
    )
    .await;
    assert!(open.terminate().await.success(), "a forged leave stops it");

    tracing::info!(
        "phase: once the node heard its leader's term, an order of an older term is refused"
    );
    let mut fenced = Server::start(&subdir(dir.path(), "fenced")).await;
    let marker = dir.path().join("fenced-marker");
    let job = marker_job(&fenced, "fenced-job", &marker).await;
    assert_eq!(fenced.send("POST", "/v1/jobs/fenced-job", "").await.0, 202);
    fenced
        .wait_until(
            "the leader's own run creates its marker",
            Duration::from_secs(10),
            || {
                let exists = marker.is_file();
                async move { exists }
            },
        )
        .await;
    std::fs::remove_file(&marker).unwrap();
    let refusal = forge_run(fenced.rpc_port, &job, 0).await.unwrap_err();
    assert!(
        refusal.contains("this node has already heard from term"),
        "{refusal}"
    );
    assert!(
        fenced
            .log()
            .contains("run order from a deposed leader refused")
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(
        std::fs::symlink_metadata(&marker).is_err(),
        "the stale order ran nothing"
    );
    assert!(fenced.terminate().await.success());

    tracing::info!("phase: only a gossip key: no warning, forged orders refused, nothing runs");
    let mut keyed =
        Server::start_with(&subdir(dir.path(), "keyed"), &["--encrypt", CLUSTER_KEY]).await;
    assert!(!keyed.log().contains(OPEN_RPC_WARNING), "{}", keyed.log());
    assert!(
        keyed.log().contains("derived from the gossip key"),
        "{}",
        keyed.log()
    );
    let marker = dir.path().join("keyed-marker");
    let job = marker_job(&keyed, "keyed-job", &marker).await;
    assert_eq!(
        forge_run_and_leave(keyed.rpc_port, job).await,
        (false, false)
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        std::fs::symlink_metadata(&marker).is_err(),
        "the forged run never started"
    );
    assert_eq!(
        keyed.get("/health").await.0,
        200,
        "the forged leave did not stop it"
    );

    tracing::info!("phase: dkron leave with the cluster's key gets through");
    let rpc_addr = format!("127.0.0.1:{}", keyed.rpc_port);
    let refused = dkron(dir.path(), &["leave", "--rpc-addr", &rpc_addr]);
    assert!(!refused.status.success(), "{}", text(&refused.stdout));
    let config = dir.path().join("dkron.yml");
    std::fs::write(&config, format!("encrypt: {CLUSTER_KEY}\n")).unwrap();
    let config = config.to_str().unwrap();
    let listed = dkron(
        dir.path(),
        &[
            "--config",
            config,
            "raft",
            "list-peers",
            "--rpc-addr",
            &rpc_addr,
        ],
    );
    assert!(
        listed.status.success(),
        "the key is read from --config: {}",
        text(&listed.stderr)
    );
    let left = dkron(
        dir.path(),
        &["leave", "--rpc-addr", &rpc_addr, "--encrypt", CLUSTER_KEY],
    );
    assert!(left.status.success(), "{}", text(&left.stderr));
    assert!(keyed.terminate().await.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_client_certificates_serves_members_only_and_the_commands_use_the_flags() {
    let dir = tempfile::tempdir().unwrap();
    let tls = make_certificates(dir.path(), "ca");
    let client = dkron::credential::http_client(&tls, Duration::from_secs(30)).unwrap();
    let flags = agent_flags(&tls);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut server = Server::start_https(&subdir(dir.path(), "node"), &flags, client).await;
    assert!(!server.log().contains(OPEN_RPC_WARNING), "{}", server.log());

    tracing::info!("phase: plain HTTP and HTTPS without a client certificate are refused");
    let plain = reqwest::get(format!("http://127.0.0.1:{}/health", server.http_port)).await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    let anonymous = ClientTlsArgs {
        cert_file: None,
        key_file: None,
        ..tls.clone()
    };
    let no_cert = dkron::credential::http_client(&anonymous, Duration::from_secs(5)).unwrap();
    let refused = no_cert.get(server.url("/v1/jobs")).send().await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(
        server.get("/health").await.0,
        200,
        "a client with a certificate gets in"
    );

    tracing::info!("phase: backup and raft list-peers with the certificate flags");
    let path = |path: &Option<PathBuf>| path.as_ref().unwrap().display().to_string();
    let cert_flags = [
        "--cert-file".to_string(),
        path(&tls.cert_file),
        "--key-file".into(),
        path(&tls.key_file),
        "--trusted-ca-file".into(),
        path(&tls.trusted_ca_file),
    ];
    let http_addr = format!("127.0.0.1:{}", server.http_port);
    let mut backup: Vec<&str> = vec!["backup", "--http-addr", &http_addr];
    backup.extend(cert_flags.iter().map(String::as_str));
    let saved = dkron(dir.path(), &backup);
    assert!(saved.status.success(), "{}", text(&saved.stderr));
    assert!(
        text(&saved.stderr).contains("saved 0 jobs"),
        "{}",
        text(&saved.stderr)
    );
    let rpc_addr = format!("127.0.0.1:{}", server.rpc_port);
    let without = dkron(dir.path(), &["raft", "list-peers", "--rpc-addr", &rpc_addr]);
    assert!(!without.status.success(), "{}", text(&without.stdout));
    let mut peers: Vec<&str> = vec!["raft", "list-peers", "--rpc-addr", &rpc_addr];
    peers.extend(cert_flags.iter().map(String::as_str));
    let listed = dkron(dir.path(), &peers);
    assert!(listed.status.success(), "{}", text(&listed.stderr));
    assert!(
        text(&listed.stdout).contains("test-node"),
        "{}",
        text(&listed.stdout)
    );
    assert!(server.terminate().await.success());
}

#[tokio::test]
async fn bad_certificate_settings_stop_the_agent_at_start_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let data_dir = dir.path().join("data");
    let data = data_dir.to_str().unwrap();
    let missing = dir.path().join("missing.pem");
    let http_addr = format!("127.0.0.1:{}", crate::harness::free_port());
    let bind_addr = format!("127.0.0.1:{}", crate::harness::free_port());
    let cases: [(Vec<&str>, String); 3] = [
        (
            vec![
                "--cert-file",
                missing.to_str().unwrap(),
                "--key-file",
                garbage.to_str().unwrap(),
            ],
            format!("cert-file: cannot read {}", missing.display()),
        ),
        (
            vec![
                "--cert-file",
                garbage.to_str().unwrap(),
                "--key-file",
                garbage.to_str().unwrap(),
            ],
            format!("cert-file: {} is not usable", garbage.display()),
        ),
        (
            vec!["--cert-file", garbage.to_str().unwrap()],
            "cert-file needs key-file".to_string(),
        ),
    ];
    for (flags, expected) in cases {
        let mut args = vec![
            "agent",
            "--server",
            "--bootstrap-expect",
            "1",
            "--node-name",
            "bad",
            "--data-dir",
            data,
            "--http-addr",
            &http_addr,
            "--bind-addr",
            &bind_addr,
        ];
        args.extend(flags);
        let output = dkron(dir.path(), &args);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&expected),
            "expected {expected:?} in\n{stderr}"
        );
        assert!(
            std::fs::symlink_metadata(&data_dir).is_err(),
            "nothing was written before the refusal"
        );
    }
}
