//! ACLs end to end with the real binary: `--acl-enabled`, `dkron acl bootstrap`, Pro's
//! read-only policy applied from a file, a client token that reads but may not write, a
//! management token that may, both token headers, and the ACL state surviving a restart.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use crate::harness::Server;

/// Dkron Pro's documented read-only policy, as a user would save it to `readonly.json`.
const PRO_READONLY: &str = r#"{
    "path": {
        "/v1/members": { "capabilities": ["read"] },
        "/v1/jobs": { "capabilities": ["list", "read"] },
        "/v1/jobs/*": { "capabilities": ["read"] },
        "/v1/jobs/*/executions*": { "capabilities": ["read"] },
        "/v1/jobs/*/executions/*": { "capabilities": ["read"] },
        "/v1/leader": { "capabilities": ["read"] },
        "/v1/isleader": { "capabilities": ["read"] },
        "/v1/busy": { "capabilities": ["read"] }
    }
}"#;

const JOB: &str = r#"{"name":"nightly","schedule":"@daily","executor":"shell","executor_config":{"command":"true"}}"#;

async fn dkron(dir: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args(args)
        .current_dir(dir)
        .env_remove("DKRON_TOKEN")
        .output()
        .await
        .unwrap()
}

/// Runs an ACL command against the server and returns its stdout, failing on an error.
async fn acl(server: &Server, dir: &Path, args: &[&str]) -> String {
    let address = format!("127.0.0.1:{}", server.http_port);
    let mut argv = vec!["acl"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--http-addr", &address]);
    let output = dkron(dir, &argv).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "dkron {argv:?}: {stdout}{stderr}");
    stdout
}

fn secret_of(printed: &str) -> String {
    printed
        .lines()
        .find_map(|line| line.strip_prefix("Secret: "))
        .unwrap_or_else(|| panic!("no secret in {printed}"))
        .to_owned()
}

/// Sends a request with a token in `header` (`x-dkron-token` or `authorization`).
async fn with_token(
    server: &Server,
    method: &str,
    path: &str,
    header: &str,
    value: &str,
) -> (u16, String) {
    let client = reqwest::Client::new();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let body = if method == reqwest::Method::POST {
        JOB
    } else {
        ""
    };
    let response = client
        .request(method, server.url(path))
        .header(header, value)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Checks what the read-only client and the management token may do.
async fn check_rights(server: &Server, client: &str, manager: &str) {
    let (status, body) = with_token(server, "GET", "/v1/jobs", "x-dkron-token", client).await;
    assert_eq!(status, 200, "{body}");
    let bearer = format!("Bearer {client}");
    let (status, body) = with_token(server, "GET", "/v1/members", "authorization", &bearer).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = with_token(server, "POST", "/v1/jobs", "authorization", &bearer).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body,
        "permission denied: missing capability \"create\" on path /v1/jobs"
    );
    let (status, body) = with_token(server, "GET", "/v1/acl/tokens", "x-dkron-token", client).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(server.get("/metrics").await.0, 401, "/metrics is protected");
    let (status, body) = with_token(server, "GET", "/metrics", "x-dkron-token", client).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body,
        "permission denied: missing capability \"read\" on path /metrics"
    );
    let (status, _) = with_token(server, "GET", "/metrics", "x-dkron-token", manager).await;
    assert_eq!(status, 200);
    let (status, _) = with_token(server, "GET", "/v1/acl/tokens", "x-dkron-token", manager).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_read_only_token_reads_a_management_token_writes_and_both_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--acl-enabled", "--enable-prometheus"];
    let mut server = Server::start_with(dir.path(), &flags).await;

    tracing::info!("without a token only /health answers");
    assert_eq!(server.get("/health").await.0, 200);
    let (status, body) = server.get("/v1/jobs").await;
    assert_eq!(status, 401, "{body}");
    assert!(body.starts_with("ACL token missing"), "{body}");

    tracing::info!("bootstrap, Pro's read-only policy from a file, a client token");
    let printed = acl(&server, dir.path(), &["bootstrap"]).await;
    assert!(printed.contains("Type: management"), "{printed}");
    let manager = secret_of(&printed);
    let rules_file = dir.path().join("readonly.json");
    std::fs::write(&rules_file, PRO_READONLY).unwrap();
    let rules_path = rules_file.to_str().unwrap();
    let apply = [
        "policy",
        "apply",
        "--name",
        "readonly",
        "--rules-file",
        rules_path,
    ];
    let refused = dkron(dir.path(), &[&["acl"][..], &apply].concat()).await;
    assert!(!refused.status.success(), "applying a policy needs a token");
    let mut with_manager = apply.to_vec();
    with_manager.extend_from_slice(&["--token", &manager]);
    acl(&server, dir.path(), &with_manager).await;
    let create = [
        "token", "create", "--name", "alice", "--type", "client", "--policy", "readonly",
        "--token", &manager,
    ];
    let printed = acl(&server, dir.path(), &create).await;
    assert!(printed.starts_with("Accessor ID: "), "{printed}");
    assert!(printed.contains("Name: alice\nType: client\n"), "{printed}");
    let client = secret_of(&printed);

    tracing::info!("the client reads and may not write; the manager writes");
    check_rights(&server, &client, &manager).await;
    let bearer = format!("Bearer {manager}");
    let (status, body) = with_token(&server, "POST", "/v1/jobs", "authorization", &bearer).await;
    assert_eq!(status, 201, "{body}");

    tracing::info!("Pro's --rpc-addr alone is refused with what to use instead");
    let output = dkron(
        dir.path(),
        &["acl", "policy", "list", "--rpc-addr", "127.0.0.1:6868"],
    )
    .await;
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--http-addr"));

    tracing::info!("after a restart the tokens and the policy still hold; no second bootstrap");
    server.terminate().await;
    server.spawn().await;
    server
        .wait_until("the job is back", Duration::from_secs(30), || async {
            with_token(&server, "GET", "/v1/jobs/nightly", "x-dkron-token", &client)
                .await
                .0
                == 200
        })
        .await;
    check_rights(&server, &client, &manager).await;
    let listed = acl(&server, dir.path(), &["token", "list", "--token", &manager]).await;
    assert!(
        listed.contains("Name: alice") && listed.contains("Name: bootstrap"),
        "{listed}"
    );
    assert!(
        !listed.contains(&client) && !listed.contains(&manager),
        "secrets are shown once"
    );
    let info = acl(
        &server,
        dir.path(),
        &["policy", "info", "readonly", "--token", &manager],
    )
    .await;
    assert!(info.starts_with("Name: readonly\nRules: "), "{info}");
    assert!(info.contains("/v1/jobs/*/executions*"), "{info}");
    let policies = acl(
        &server,
        dir.path(),
        &["policy", "list", "--token", &manager],
    )
    .await;
    assert!(
        policies.contains("Name: default") && policies.contains("Name: readonly"),
        "{policies}"
    );

    tracing::info!("a deleted token stops working at once");
    let accessor = listed
        .split("\n\n")
        .find(|block| block.contains("Name: alice"))
        .and_then(|block| block.lines().next())
        .and_then(|line| line.strip_prefix("Accessor ID: "))
        .expect("alice's accessor id is listed")
        .to_owned();
    let info = acl(
        &server,
        dir.path(),
        &["token", "info", &accessor, "--token", &manager],
    )
    .await;
    assert!(
        info.contains("Name: alice") && !info.contains("Secret:"),
        "{info}"
    );
    acl(
        &server,
        dir.path(),
        &["token", "delete", &accessor, "--token", &manager],
    )
    .await;
    let (status, body) = with_token(&server, "GET", "/v1/jobs", "x-dkron-token", &client).await;
    assert_eq!(status, 401, "{body}");

    let address = format!("127.0.0.1:{}", server.http_port);
    let again = dkron(dir.path(), &["acl", "bootstrap", "--http-addr", &address]).await;
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already done"));

    tracing::info!("the audit log names the token behind each write");
    let (status, body) = with_token(&server, "GET", "/v1/audit", "x-dkron-token", &manager).await;
    assert_eq!(status, 200, "{body}");
    let entries: Vec<serde_json::Value> = serde_json::from_str(&body).unwrap();
    let actor_of = |action: &str| {
        entries
            .iter()
            .find(|entry| {
                entry["action"]
                    .as_str()
                    .is_some_and(|a| a.starts_with(action))
            })
            .map(|entry| entry["actor"].as_str().unwrap_or_default().to_owned())
    };
    assert_eq!(
        actor_of("job.create").as_deref(),
        Some("bootstrap"),
        "{body}"
    );
    assert_eq!(actor_of("acl.").as_deref(), Some("bootstrap"), "{body}");
    let (status, body) = with_token(&server, "GET", "/v1/audit", "x-dkron-token", &client).await;
    assert_eq!(
        status, 401,
        "the deleted client token reads no audit log: {body}"
    );

    tracing::info!("no secret is on disk or in the log");
    for secret in [&client, &manager] {
        assert!(
            !server.log().contains(secret.as_str()),
            "a secret is in the log"
        );
        assert!(
            !tree_contains(&server.data_dir, secret.as_bytes()),
            "a secret is on disk"
        );
    }
}

/// True when any file under `dir` contains `needle`.
fn tree_contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|entry| {
        let path = entry.unwrap().path();
        if path.is_dir() {
            return tree_contains(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        bytes.windows(needle.len()).any(|window| window == needle)
    })
}
