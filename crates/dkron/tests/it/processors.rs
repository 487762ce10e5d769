//! Output processors against the real binary: `files` keeps every byte even when the stored
//! copy is capped, `log` prints the output on the node, `forward` decides what is stored.

use serde_json::json;

use crate::harness::Server;

#[tokio::test]
async fn files_keeps_all_output_and_log_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--max-output-bytes=1000"]).await;
    let log_dir = dir.path().join("job-logs");
    let job = json!({
        "name": "big", "schedule": "@manually", "executor": "shell",
        "executor_config": {"shell": "true", "command": "head -c 5000 /dev/zero | tr '\\\\0' x; echo; echo tail-line"},
        "processors": {
            "files": {"log_dir": log_dir.to_str().unwrap()},
            "log": {"forward": "true"}
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.send("POST", "/v1/jobs/big/run?wait=true", "").await;
    assert_eq!(status, 200, "{body}");

    let executions = server.get_json("/v1/jobs/big/executions").await;
    let execution = &executions[0];
    let id = execution["id"].as_str().unwrap();
    let path = log_dir.join(format!("{id}.log"));
    assert_eq!(
        execution["output"].as_str().unwrap(),
        path.to_str().unwrap(),
        "files does not forward: the stored output is the file's path"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        written.len(),
        5000 + 1 + "tail-line\n".len(),
        "every byte, past the 1000-byte cap"
    );
    assert!(written.ends_with("\ntail-line\n"));

    let log = server.log();
    assert!(
        log.contains(&format!("----- BEGIN OUTPUT job=big execution={id} -----")),
        "{log}"
    );
    assert!(log.contains("----- END OUTPUT -----"));
}

#[tokio::test]
async fn syslog_gets_each_line_and_fluent_gets_a_forward_record() {
    use tokio::io::AsyncReadExt;

    let syslog = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let syslog_address = format!("udp:{}", syslog.local_addr().unwrap());
    let fluent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let fluent_port = fluent.local_addr().unwrap().port().to_string();
    let fluent_record = tokio::spawn(async move {
        let (mut socket, _) = fluent.accept().await.unwrap();
        let mut record = Vec::new();
        socket.read_to_end(&mut record).await.unwrap();
        record
    });

    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path()).await;
    let job = json!({
        "name": "shipped", "schedule": "@manually", "executor": "shell",
        "executor_config": {"shell": "true", "command": "echo first-line; echo second-line"},
        "processors": {
            "syslog": {"address": syslog_address, "forward": "true"},
            "fluent": {"host": "127.0.0.1", "port": fluent_port, "tag": "jobs.out", "forward": "true"}
        }
    });
    let (status, body) = server.send("POST", "/v1/jobs", &job.to_string()).await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server
        .send("POST", "/v1/jobs/shipped/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "{body}");

    let mut lines = Vec::new();
    let mut buffer = [0u8; 2048];
    while lines.len() < 2 {
        let read =
            tokio::time::timeout(std::time::Duration::from_secs(10), syslog.recv(&mut buffer))
                .await
                .expect("a syslog line within 10 s")
                .unwrap();
        lines.push(String::from_utf8_lossy(&buffer[..read]).to_string());
    }
    assert!(
        lines[0].starts_with("<78>"),
        "facility cron, severity info: {lines:?}"
    );
    assert!(
        lines[0].contains("dkron[") && lines[0].ends_with(": first-line"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with(": second-line"), "{lines:?}");

    let record = tokio::time::timeout(std::time::Duration::from_secs(10), fluent_record)
        .await
        .expect("a fluent record within 10 s")
        .unwrap();
    assert_eq!(record[0], 0x93, "a three-element MessagePack array");
    let text = String::from_utf8_lossy(&record);
    for part in [
        "jobs.out",
        "job_name",
        "shipped",
        "host",
        "test-node",
        "first-line\nsecond-line\n",
    ] {
        assert!(text.contains(part), "{part} missing from {text:?}");
    }
    let executions = server.get_json("/v1/jobs/shipped/executions").await;
    assert_eq!(
        executions[0]["output"], "first-line\nsecond-line\n",
        "both forward"
    );
}
