//! Runs the built `dkron` binary for the commands that need no cluster.

use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;

/// Runs `dkron` with a clean environment, in `dir` (which also serves as `$HOME`), so that no
/// config file or `DKRON_*` variable of the machine leaks in.
fn dkron(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .output()
        .expect("the dkron binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn version_prints_name_version_and_protocol() {
    let dir = tempfile::tempdir().unwrap();
    let output = dkron(dir.path(), &["version"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = text(&output.stdout);
    assert!(stdout.starts_with("Name: dkron-rs\n"), "{stdout}");
    assert!(
        stdout.contains(&format!("Version: {}\n", env!("CARGO_PKG_VERSION"))),
        "{stdout}"
    );
    assert!(stdout.contains("Agent Protocol: "), "{stdout}");
}

#[test]
fn keygen_prints_16_random_bytes_in_base64() {
    let dir = tempfile::tempdir().unwrap();
    let first = dkron(dir.path(), &["keygen"]);
    let second = dkron(dir.path(), &["keygen"]);
    assert!(first.status.success(), "{first:?}");
    let key = text(&first.stdout);
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.trim_end())
        .unwrap();
    assert_eq!(bytes.len(), 16);
    assert_ne!(first.stdout, second.stdout);
}

#[test]
fn agent_rejects_a_bad_raft_multiplier_with_dkrons_message() {
    let dir = tempfile::tempdir().unwrap();
    let output = dkron(dir.path(), &["agent", "--raft-multiplier", "20"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("raft-multiplier cannot be 20. Must be between 1 and 10"),
        "{stderr}"
    );
    assert!(stderr.contains("flag --raft-multiplier"), "{stderr}");
}

#[test]
fn agent_names_the_env_var_and_the_file_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_dkron"))
        .args(["agent"])
        .current_dir(dir.path())
        .env_clear()
        .env("HOME", dir.path())
        .env("DKRON_ENCRYPT", "too-short")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("invalid encryption key"), "{stderr}");
    assert!(stderr.contains("DKRON_ENCRYPT"), "{stderr}");

    let config_dir = dir.path().join("config");
    std::fs::create_dir_all(&config_dir).unwrap();
    std::fs::write(config_dir.join("dkron.yml"), "log-level: chatty\n").unwrap();
    let output = dkron(dir.path(), &["agent"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("unknown log-level 'chatty'"), "{stderr}");
    assert!(stderr.contains("dkron.yml"), "{stderr}");
}

#[test]
fn a_missing_config_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let output = dkron(dir.path(), &["agent", "--config", "nope.yml"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(text(&output.stderr).contains("nope.yml"));
}

#[test]
fn usage_errors_exit_2_and_help_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let output = dkron(dir.path(), &["agent", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let output = dkron(dir.path(), &["agent", "--help"]);
    assert!(output.status.success(), "{output:?}");
    assert!(text(&output.stdout).contains("--bootstrap-expect"));
}

#[test]
fn agent_with_a_busy_http_port_exits_before_touching_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = taken.local_addr().unwrap().to_string();
    let data = dir.path().join("data");
    let output = dkron(
        dir.path(),
        &[
            "agent",
            "--server",
            "--bootstrap-expect",
            "1",
            "--http-addr",
            &address,
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on http-addr {address}")),
        "{stderr}"
    );
    assert!(
        !data.try_exists().unwrap(),
        "the data directory was created"
    );
}

#[test]
fn an_agent_that_cannot_join_gives_up_after_retry_max() {
    let dir = tempfile::tempdir().unwrap();
    let bind = format!("127.0.0.1:{}", crate::harness::free_port());
    let rpc_port = crate::harness::free_port().to_string();
    let output = dkron(
        dir.path(),
        &[
            "agent",
            "--bind-addr",
            &bind,
            "--rpc-port",
            &rpc_port,
            "--retry-join",
            "127.0.0.1:1",
            "--retry-max",
            "2",
            "--retry-interval",
            "100ms",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("could not join the cluster") && stderr.contains("after 2 attempts"),
        "{stderr}"
    );
}
