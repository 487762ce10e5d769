//! A full data volume (issue 14, failure 4): a server whose data directory is a 20 MB tmpfs
//! is filled with a ballast file. While full it keeps serving reads, refuses writes with a
//! 503 that says why, reports unhealthy on `/health` and in its metrics; once the ballast is
//! deleted it accepts writes and schedules again by itself, without a restart.
//!
//! The tmpfs lives in a mount namespace of the server's own (`unshare`), so the test needs
//! root (CI) or unprivileged user namespaces; without either it fails and says so.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::fixtures::process_alive;
use crate::harness::Server;

const TICKER: &str = r#"{"name":"ticker","schedule":"@every 1s","executor":"shell","executor_config":{"command":"true"}}"#;
const LATER: &str = r#"{"name":"later","schedule":"@every 1h","executor":"shell","executor_config":{"command":"true"}}"#;

/// Mounts a tmpfs of `$0` on the data directory (`$1`), then runs the server there.
const MOUNT_THEN_RUN: &str =
    "dir=$1; shift; mount -t tmpfs -o size=$0 tmpfs \"$dir\" && exec \"$@\"";

/// How the test enters namespaces: as root, a mount namespace; otherwise a user namespace
/// that maps this user to root, in which mounting a tmpfs is allowed.
struct Namespaces {
    unshare: Vec<&'static str>,
    nsenter: Vec<&'static str>,
}

fn namespaces() -> Namespaces {
    let works = |args: &[&str]| {
        Command::new("unshare")
            .args(args)
            .args(["sh", "-c", "mount -t tmpfs -o size=1m tmpfs /mnt"])
            .status()
            .is_ok_and(|status| status.success())
    };
    let private_mounts = ["--mount", "--propagation", "private"];
    if works(&private_mounts) {
        return Namespaces {
            unshare: private_mounts.to_vec(),
            nsenter: vec!["--mount"],
        };
    }
    let as_mapped_root = [
        "--user",
        "--map-root-user",
        "--mount",
        "--propagation",
        "private",
    ];
    if works(&as_mapped_root) {
        return Namespaces {
            unshare: as_mapped_root.to_vec(),
            nsenter: vec!["--user", "--mount"],
        };
    }
    panic!(
        "this test mounts a 20 MB tmpfs in a private mount namespace: it needs `unshare` and \
         `nsenter` (util-linux) and either root or unprivileged user namespaces \
         (sysctl kernel.unprivileged_userns_clone=1); neither worked here"
    );
}

/// Runs `script` with `sh` inside the server's mount namespace, where its tmpfs is.
fn in_server_namespace(namespaces: &Namespaces, server: &Server, script: &str) {
    let status = Command::new("nsenter")
        .arg("--target")
        .arg(server.pid().to_string())
        .args(&namespaces.nsenter)
        .args(["sh", "-c", script])
        .status()
        .expect("nsenter runs");
    assert!(
        status.success(),
        "`{script}` failed in the server's namespace"
    );
}

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} missing from /metrics:\n{text}"))
        .parse()
        .unwrap()
}

/// Starts a server whose data directory is a tmpfs of `size` (`20m`) in its own mount
/// namespace.
async fn start_on_a_small_volume(dir: &Path, size: &str) -> (Server, Namespaces) {
    let namespaces = namespaces();
    let data_dir = dir.join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let data_dir = data_dir.display().to_string();
    let launcher: Vec<&str> = std::iter::once("unshare")
        .chain(namespaces.unshare.iter().copied())
        .chain(["sh", "-c", MOUNT_THEN_RUN, size, &data_dir])
        .collect();
    let server = Server::start_launched(dir, &launcher, &["--enable-prometheus"]).await;
    (server, namespaces)
}

#[tokio::test]
async fn a_full_data_volume_refuses_writes_says_so_and_recovers_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let (server, namespaces) = start_on_a_small_volume(dir.path(), "20m").await;
    let data_dir = server.data_dir.clone();
    let pid = server.pid();
    assert_eq!(server.send("POST", "/v1/jobs", TICKER).await.0, 201);
    server
        .wait_until("ticker ran", Duration::from_secs(30), || async {
            runs_of(&server, "ticker").await.len() >= 3
        })
        .await;

    tracing::info!("filling the data volume");
    let ballast = data_dir.join("ballast");
    let fill = format!(
        "dd if=/dev/zero of={} bs=64k 2>/dev/null; true",
        ballast.display()
    );
    in_server_namespace(&namespaces, &server, &fill);
    server
        .wait_until(
            "/health reports the full volume",
            Duration::from_secs(15),
            || async {
                let (status, body) = server.get("/health").await;
                status == 503 && body.contains("unhealthy") && body.contains("full")
            },
        )
        .await;
    let (status, body) = server.get("/health").await;
    let health: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(status, 503);
    assert!(
        health["reasons"][0]
            .as_str()
            .unwrap()
            .contains("data volume is full"),
        "{body}"
    );

    let (status, body) = server.send("POST", "/v1/jobs", LATER).await;
    assert_eq!(status, 503, "{body}");
    assert!(
        body.contains("full") && body.contains("not applied"),
        "{body}"
    );
    let jobs = server.get_json("/v1/jobs").await;
    let names: Vec<&str> = jobs
        .as_array()
        .unwrap()
        .iter()
        .map(|job| job["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ticker"],
        "reads work and the refused job is not there"
    );
    assert!(!runs_of(&server, "ticker").await.is_empty());
    let (status, text) = server.get("/metrics").await;
    assert_eq!(status, 200);
    assert_eq!(metric(&text, "dkron_storage_writable"), 0.0);
    assert_eq!(metric(&text, "dkron_disk_low_space"), 1.0);
    assert!(metric(&text, "dkron_disk_free_bytes") < f64::from(2u32 << 20));
    assert!(
        server.log().contains("the data volume is full"),
        "the log says so"
    );

    // Full for a while: the scheduler's commits are refused and retried, nothing runs twice.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let ran_while_full = runs_of(&server, "ticker").await.len();

    tracing::info!("freeing the data volume");
    in_server_namespace(&namespaces, &server, &format!("rm {}", ballast.display()));
    server
        .wait_until(
            "/health is healthy again",
            Duration::from_secs(30),
            || async { server.get("/health").await.0 == 200 },
        )
        .await;
    let (status, body) = server.send("POST", "/v1/jobs", LATER).await;
    assert_eq!(status, 201, "writes are accepted again: {body}");
    server
        .wait_until("the ticker runs again", Duration::from_secs(30), || async {
            runs_of(&server, "ticker").await.len() >= ran_while_full + 3
        })
        .await;
    let (_, text) = server.get("/metrics").await;
    assert_eq!(metric(&text, "dkron_storage_writable"), 1.0);
    assert!(server.log().contains("storage write") || server.log().contains("room again"));

    let groups = runs_of(&server, "ticker").await;
    let distinct: BTreeSet<_> = groups.iter().collect();
    assert_eq!(
        distinct.len(),
        groups.len(),
        "an occurrence ran twice: {groups:?}"
    );
    assert_eq!(server.pid(), pid, "no restart");
    assert!(process_alive(pid), "the server kept running");
}

/// A job that prints 300 kB once each time `armed/<index>` is created (nothing otherwise):
/// armed together, their run records make a batch bigger than the room left.
fn loud_job(index: usize, armed: &Path) -> String {
    format!(
        r#"{{"name":"loud-{index}","schedule":"@every 1s","executor":"shell","executor_config":{{"shell":"true","command":"rm {0}/{index} 2>/dev/null && yes x | head -c 300000; true"}}}}"#,
        armed.display()
    )
}

fn arm(armed: &Path, jobs: usize) {
    for index in 0..jobs {
        std::fs::write(armed.join(index.to_string()), "").unwrap();
    }
}

async fn runs_of(server: &Server, job: &str) -> Vec<(i64, i64)> {
    let executions = server.get_json(&format!("/v1/jobs/{job}/executions")).await;
    executions
        .as_array()
        .unwrap()
        .iter()
        .map(|execution| {
            (
                execution["group"].as_i64().unwrap(),
                execution["attempt"].as_i64().unwrap_or(1),
            )
        })
        .collect()
}

/// The volume has room by the measure, but a batch of run records is bigger than the room:
/// the write fails with "no space left" although the watcher did not see the volume full.
/// Reads go on; the write is retried on a reopened database until space is back, and nothing
/// stops for good.
#[tokio::test]
async fn a_write_that_runs_out_of_room_is_retried_once_space_is_back() {
    let dir = tempfile::tempdir().unwrap();
    // Room for the batch once the ballast is gone: redb grows its files by more than a write.
    let (server, namespaces) = start_on_a_small_volume(dir.path(), "64m").await;
    let pid = server.pid();
    let loud = dir.path().join("armed");
    std::fs::create_dir(&loud).unwrap();
    const JOBS: usize = 16;
    for index in 0..JOBS {
        let (status, body) = server
            .send("POST", "/v1/jobs", &loud_job(index, &loud))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    server
        .wait_until("the jobs ran", Duration::from_secs(30), || async {
            runs_of(&server, "loud-0").await.len() >= 2
        })
        .await;

    // The watcher may see the volume full before a write meets it (then nothing fails and
    // writes are refused instead): the test frees the volume and tries again, up to 3 times.
    let ballast = server.data_dir.join("ballast");
    let fill = format!(
        "dd if=/dev/zero of={0} bs=64k 2>/dev/null; truncate -s -2200K {0}",
        ballast.display()
    );
    let mut failed = false;
    for round in 1..=3 {
        tracing::info!(
            round,
            "leaving 2.2 MiB free: above the full mark, below a batch of records"
        );
        in_server_namespace(&namespaces, &server, &fill);
        arm(&loud, JOBS);
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        while std::time::Instant::now() < deadline {
            if server
                .log()
                .contains("storage write failed for lack of room")
            {
                failed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if failed {
            break;
        }
        in_server_namespace(&namespaces, &server, &format!("rm {}", ballast.display()));
        server
            .wait_until("the volume has room", Duration::from_secs(30), || async {
                server.get("/health").await.0 == 200
            })
            .await;
    }
    assert!(failed, "no write met the full volume in 3 rounds");
    let (status, body) = server.get("/health").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(
        server.get_json("/v1/jobs").await.as_array().unwrap().len(),
        JOBS,
        "reads work"
    );
    runs_of(&server, "loud-0").await;

    tracing::info!("freeing the data volume");
    in_server_namespace(&namespaces, &server, &format!("rm {}", ballast.display()));
    server
        .wait_until(
            "/health is healthy again",
            Duration::from_secs(60),
            || async { server.get("/health").await.0 == 200 },
        )
        .await;
    let ran_before = runs_of(&server, "loud-0").await.len();
    server
        .wait_until("the jobs run again", Duration::from_secs(30), || async {
            runs_of(&server, "loud-0").await.len() >= ran_before + 2
        })
        .await;
    let (status, body) = server.send("POST", "/v1/jobs", LATER).await;
    assert_eq!(status, 201, "writes are accepted again: {body}");
    for index in 0..JOBS {
        let runs = runs_of(&server, &format!("loud-{index}")).await;
        let distinct: BTreeSet<_> = runs.iter().collect();
        assert_eq!(
            distinct.len(),
            runs.len(),
            "an occurrence ran twice: {runs:?}"
        );
    }
    assert_eq!(server.pid(), pid, "no restart");
    assert!(process_alive(pid), "the server kept running");
}
