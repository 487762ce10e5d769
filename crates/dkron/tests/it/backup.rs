//! `dkron backup` and `dkron restore` between two real servers.

use std::path::Path;
use std::process::Output;

use serde_json::json;

use crate::harness::Server;

async fn dkron(dir: &Path, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args(args)
        .current_dir(dir)
        .output()
        .await
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn a_backup_restores_every_job_on_another_server() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["source", "target"] {
        std::fs::create_dir(dir.path().join(name)).unwrap();
    }
    let source = Server::start(&dir.path().join("source")).await;
    let target = Server::start(&dir.path().join("target")).await;
    let jobs = [
        json!({"name": "extract", "schedule": "@daily", "timezone": "Europe/Berlin",
               "executor": "shell",
               "executor_config": {"command": "true", "env": "DB_PASSWORD=s3cret-db"},
               "metadata": {"team": "data"}, "retries": 2, "concurrency": "queue"}),
        json!({"name": "load", "parent_job": "extract", "executor": "shell",
               "executor_config": {"command": "true"}}),
    ];
    for job in &jobs {
        assert_eq!(
            source.send("POST", "/v1/jobs", &job.to_string()).await.0,
            201
        );
    }
    let file = dir.path().join("jobs.json");
    let source_addr = format!("127.0.0.1:{}", source.http_port);
    let saved = dkron(
        dir.path(),
        &[
            "backup",
            "--http-addr",
            &source_addr,
            "--output",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert!(saved.status.success(), "{}", text(&saved.stderr));
    assert!(
        text(&saved.stderr).contains("saved 2 jobs"),
        "{}",
        text(&saved.stderr)
    );

    // The file holds the secrets (so it restores into an empty cluster): only its owner reads it.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("s3cret-db")
    );

    let target_addr = format!("127.0.0.1:{}", target.http_port);
    let restored = dkron(
        dir.path(),
        &[
            "restore",
            file.to_str().unwrap(),
            "--http-addr",
            &target_addr,
        ],
    )
    .await;
    assert!(restored.status.success(), "{}", text(&restored.stderr));
    let lines = text(&restored.stdout);
    assert!(
        lines.contains("success create extract") && lines.contains("success create load"),
        "{lines}"
    );
    let extract = target.get_json("/v1/jobs/extract").await;
    assert_eq!(extract["timezone"], "Europe/Berlin");
    assert_eq!(extract["metadata"]["team"], "data");
    assert_eq!(extract["concurrency"], "queue");
    assert_eq!(extract["dependent_jobs"], json!(["load"]));
    assert_eq!(extract["executor_config"]["env"], "DB_PASSWORD=<redacted>");
    let full = target.get_json("/v1/backup?include_secrets=true").await;
    assert_eq!(full[0]["executor_config"]["env"], "DB_PASSWORD=s3cret-db");

    // A file that is not a backup changes nothing and says why.
    std::fs::write(dir.path().join("bad.json"), "{\"not\": \"a list\"}").unwrap();
    let refused = dkron(
        dir.path(),
        &["restore", "bad.json", "--http-addr", &target_addr],
    )
    .await;
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("is not a backup"),
        "{}",
        text(&refused.stderr)
    );
    let unreachable = dkron(dir.path(), &["backup", "--http-addr", "127.0.0.1:1"]).await;
    assert!(!unreachable.status.success());
    assert!(
        text(&unreachable.stderr).contains("cannot reach"),
        "{}",
        text(&unreachable.stderr)
    );
}
