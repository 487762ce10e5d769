//! The net/rpc client against a real go-plugin 1.0.1 processor (the
//! `dkron-processor-fixture`): Go's gob decodes what we encode and we decode what it sends.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt, DuplexStream};

use super::*;
use crate::handshake::PluginAddress;
use crate::process::{LaunchSettings, PluginProcess, launch};

use crate::fixtures;

const PROMPTLY: Duration = Duration::from_secs(20);

struct Started {
    process: PluginProcess,
    plugin: NetRpcPlugin,
    stdout: DuplexStream,
}

async fn start() -> Started {
    let path = fixtures::fixture_plugin("dkron-processor-fixture");
    let process = launch("fixture", &path, &LaunchSettings::default())
        .await
        .expect("the fixture starts");
    let (stdout_target, stdout) = tokio::io::duplex(64 * 1024);
    let relay_to = RelayTargets {
        stdout: Box::new(stdout_target),
        stderr: Box::new(tokio::io::sink()),
    };
    let plugin = NetRpcPlugin::connect_with("fixture", &process.handshake.address, relay_to)
        .await
        .expect("connects and dispenses the processor");
    Started {
        process,
        plugin,
        stdout,
    }
}

fn args(job_name: &str, output: &str, config: &[(&str, &str)]) -> ProcessorArgs {
    ProcessorArgs {
        execution: GoExecution {
            job_name: job_name.to_string(),
            success: true,
            output: output.as_bytes().to_vec(),
            node_name: "node-7".to_string(),
            group: 1_700_000_000_123_456_789,
            attempt: 2,
            started_at: Some(GoTimestamp {
                seconds: 1_700_000_000,
                nanos: 5,
            }),
            finished_at: Some(GoTimestamp {
                seconds: -3,
                nanos: 999_999_999,
            }),
        },
        config: config
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect::<BTreeMap<_, _>>(),
    }
}

async fn process(plugin: &NetRpcPlugin, args: &ProcessorArgs) -> Result<GoExecution, NetRpcError> {
    tokio::time::timeout(PROMPTLY, plugin.process(args))
        .await
        .expect("the call ends promptly")
}

/// Reads the relayed stdout until it holds `text`.
async fn wait_for_text(stdout: &mut DuplexStream, text: &str) -> String {
    let mut seen = Vec::new();
    let reading = async {
        while !String::from_utf8_lossy(&seen).contains(text) {
            let mut chunk = [0u8; 1024];
            let read = stdout.read(&mut chunk).await.expect("relay readable");
            assert!(read > 0, "relay ended before {text:?}");
            seen.extend_from_slice(&chunk[..read]);
        }
    };
    tokio::time::timeout(PROMPTLY, reading)
        .await
        .expect("the text arrives");
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test]
async fn the_output_is_rewritten_and_every_other_field_echoed() {
    let mut started = start().await;
    let sent = args("backup", "all done\n", &[]);
    let answer = process(&started.plugin, &sent).await.expect("processed");
    let expected = GoExecution {
        output: b"PROCESSED: ALL DONE\n".to_vec(),
        ..sent.execution.clone()
    };
    assert_eq!(answer, expected);
    wait_for_text(&mut started.stdout, "processing backup\n").await;
}

#[tokio::test]
async fn zero_and_absent_fields_survive_the_round_trip() {
    let started = start().await;
    let sent = ProcessorArgs::default();
    let answer = process(&started.plugin, &sent).await.expect("processed");
    assert_eq!(
        answer,
        GoExecution {
            output: b"PROCESSED: ".to_vec(),
            ..GoExecution::default()
        }
    );
}

#[tokio::test]
async fn the_config_reaches_the_plugin() {
    let started = start().await;
    let sent = args(
        "report",
        "x",
        &[("reporting_node", "node-3"), ("prefix", "> ")],
    );
    let answer = process(&started.plugin, &sent).await.expect("processed");
    assert_eq!(
        String::from_utf8_lossy(&answer.output),
        "> X\nreported by node-3"
    );
}

#[tokio::test]
async fn an_error_reply_is_clean_and_the_connection_stays_usable() {
    let started = start().await;
    let failed = process(&started.plugin, &args("e", "x", &[("error", "disk full")])).await;
    assert_eq!(failed, Err(NetRpcError::Remote("disk full".to_string())));
    assert_eq!(
        failed.expect_err("an error").to_string(),
        "the processor plugin answered: disk full"
    );
    let answer = process(&started.plugin, &args("after", "ok", &[]))
        .await
        .expect("usable after an error");
    assert_eq!(answer.output, b"PROCESSED: OK");
}

#[tokio::test]
async fn a_panicking_plugin_fails_the_call_promptly() {
    let started = start().await;
    let failed = process(&started.plugin, &args("p", "x", &[("panic", "true")])).await;
    let error = failed.expect_err("the plugin died");
    assert!(matches!(error, NetRpcError::Connection(_)), "{error:?}");
    assert!(error.to_string().contains("connection"), "{error}");
    tokio::time::timeout(PROMPTLY, started.process.exited())
        .await
        .expect("the plugin process is gone");
    let later = process(&started.plugin, &args("later", "x", &[])).await;
    assert!(
        matches!(later, Err(NetRpcError::Connection(_))),
        "{later:?}"
    );
}

#[tokio::test]
async fn a_time_limit_stops_a_slow_call_and_the_next_call_gets_its_own_reply() {
    let started = start().await;
    let slow = args("slow", "x", &[("sleep_ms", "1500")]);
    let limited =
        tokio::time::timeout(Duration::from_millis(200), started.plugin.process(&slow)).await;
    assert!(limited.is_err(), "the slow call outlived its limit");
    // The slow call's late reply arrives first on the stream and is skipped.
    let answer = process(&started.plugin, &args("next", "n", &[]))
        .await
        .expect("processed");
    assert_eq!(
        (answer.job_name.as_str(), answer.output.as_slice()),
        ("next", b"PROCESSED: N".as_slice())
    );
}

#[tokio::test]
async fn quit_makes_the_plugin_exit_by_itself() {
    let started = start().await;
    tokio::time::timeout(PROMPTLY, started.plugin.quit())
        .await
        .expect("quit answers")
        .expect("quit");
    let status = tokio::time::timeout(PROMPTLY, started.process.exited())
        .await
        .expect("the plugin exits");
    assert_eq!(status, "exit status 0");
    assert!(started.plugin.closed_reason().is_some());
}

#[tokio::test]
async fn concurrent_calls_each_get_their_own_result() {
    let started = start().await;
    let calls = (0..8).map(|index| {
        let plugin = &started.plugin;
        async move {
            let sent = args(&format!("job-{index}"), &format!("out {index}"), &[]);
            (index, process(plugin, &sent).await)
        }
    });
    for (index, answer) in futures::future::join_all(calls).await {
        let answer = answer.expect("processed");
        assert_eq!(answer.job_name, format!("job-{index}"));
        assert_eq!(
            answer.output,
            format!("PROCESSED: OUT {index}").into_bytes()
        );
    }
}

#[tokio::test]
async fn a_large_output_crosses_several_windows_both_ways() {
    let started = start().await;
    let output = "abcdefgh".repeat(100_000);
    let answer = process(&started.plugin, &args("big", &output, &[]))
        .await
        .expect("processed");
    assert_eq!(
        answer.output,
        format!("PROCESSED: {}", output.to_uppercase()).into_bytes()
    );
}

#[tokio::test]
async fn an_address_nobody_listens_at_is_a_clear_connect_error() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let address = PluginAddress::Unix(directory.path().join("gone.sock"));
    let error = NetRpcPlugin::connect("gone", &address)
        .await
        .expect_err("nobody listens");
    assert!(matches!(error, NetRpcError::Connect { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .starts_with("cannot connect to the processor plugin at unix:"),
        "{error}"
    );
}
