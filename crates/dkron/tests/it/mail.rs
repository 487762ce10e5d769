//! Notification mail against the real binary and a real SMTP server (Python's aiosmtpd, from
//! PyPI; `scripts/test-all` installs it into `target/test-venv`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::{Server, free_port};

/// An SMTP server that prints every message it receives, then `.END.`.
const SMTP_SERVER: &str = r#"
import sys, time
from aiosmtpd.controller import Controller

class Printer:
    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf8", "replace").replace("\r\n", "\n")
        sys.stdout.write("RCPT " + ",".join(envelope.rcpt_tos) + "\n" + text + "\n.END.\n")
        sys.stdout.flush()
        return "250 OK"

controller = Controller(Printer(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("READY", flush=True)
time.sleep(3600)
"#;

fn python() -> PathBuf {
    if let Some(path) = std::env::var_os("DKRON_TEST_PYTHON") {
        return PathBuf::from(path);
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/test-venv/bin/python3")
}

/// Starts the SMTP server; returns it with the messages it received so far.
async fn smtp_server(port: u16) -> (Child, Arc<Mutex<String>>) {
    let python = python();
    assert!(
        python.is_file(),
        "{} is missing: run ./scripts/test-all, which installs aiosmtpd into target/test-venv \
         (or set DKRON_TEST_PYTHON to a python with aiosmtpd)",
        python.display()
    );
    let mut child = Command::new(&python)
        .args(["-u", "-c", SMTP_SERVER, &port.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line()).await;
    assert!(
        matches!(ready, Ok(Ok(Some(ref line))) if line == "READY"),
        "aiosmtpd did not start: {ready:?}"
    );
    let received = Arc::new(Mutex::new(String::new()));
    let keep = received.clone();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            let mut text = keep.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    (child, received)
}

#[tokio::test]
async fn the_owner_gets_a_mail_with_dkrons_subject_and_the_rendered_body() {
    let smtp_port = free_port();
    let (_smtp, received) = smtp_server(smtp_port).await;
    let dir = tempfile::tempdir().unwrap();
    let port = format!("--mail-port={smtp_port}");
    let server = Server::start_with(
        dir.path(),
        &[
            "--mail-host=127.0.0.1",
            &port,
            "--mail-from=scheduler@example.test",
            "--mail-payload=Job {{.JobName}} on {{.NodeName}}: success={{.Success}}",
            "--notify-on=failure",
        ],
    )
    .await;
    let jobs = [
        r#"{"name":"nightly","schedule":"@manually","owner_email":"ops@example.test","executor":"shell","executor_config":{"command":"false"}}"#,
        r#"{"name":"fine","schedule":"@manually","owner_email":"ops@example.test","executor":"shell","executor_config":{"command":"true"}}"#,
        r#"{"name":"ownerless","schedule":"@manually","executor":"shell","executor_config":{"command":"false"}}"#,
    ];
    for job in jobs {
        let (status, body) = server.send("POST", "/v1/jobs", job).await;
        assert_eq!(status, 201, "{body}");
    }
    for job in ["fine", "ownerless", "nightly"] {
        let (status, body) = server
            .send("POST", &format!("/v1/jobs/{job}/run?wait=true"), "")
            .await;
        assert_eq!(status, 200, "{body}");
    }
    server
        .wait_until("the mail arrived", Duration::from_secs(20), || async {
            received.lock().unwrap().contains(".END.")
        })
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let text = received.lock().unwrap().clone();
    assert_eq!(
        text.matches(".END.").count(),
        1,
        "only the owned failure is mailed:\n{text}"
    );
    assert!(text.contains("RCPT ops@example.test"), "{text}");
    assert!(
        text.contains("Subject: [Dkron]Failed nightly execution report"),
        "{text}"
    );
    assert!(text.contains("From: scheduler@example.test"), "{text}");
    assert!(
        text.contains("Job nightly on test-node: success=false"),
        "{text}"
    );
}
