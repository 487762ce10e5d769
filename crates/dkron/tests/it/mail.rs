//! Notification mail against the real binary and a real SMTP server (Python's aiosmtpd, from
//! PyPI; `scripts/test-all` installs it into `target/test-venv`).

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::harness::{Server, free_port};

/// An SMTP server that prints every message it receives, then `.END.`. Arguments: the port,
/// the mode (`plain`, `starttls` — required — or `tls` from the first byte) and, for the
/// TLS modes, where to write the PEM of the certificate authority it made with trustme.
const SMTP_SERVER: &str = r#"
import ssl, sys, time
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

class Printer:
    async def handle_DATA(self, server, session, envelope):
        text = envelope.content.decode("utf8", "replace").replace("\r\n", "\n")
        secured = session.ssl is not None or server.transport.get_extra_info("ssl_object") is not None
        sys.stdout.write("TLS " + str(secured) + "\n")
        sys.stdout.write("RCPT " + ",".join(envelope.rcpt_tos) + "\n" + text + "\n.END.\n")
        sys.stdout.flush()
        return "250 OK"

port, mode = int(sys.argv[1]), sys.argv[2]
options = {}
if mode != "plain":
    import trustme
    ca = trustme.CA()
    ca.cert_pem.write_to_path(sys.argv[3])
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    if mode == "starttls":
        options = {"tls_context": context, "require_starttls": True}
    else:
        options = {"ssl_context": context}
controller = Controller(Printer(), hostname="127.0.0.1", port=port, **options)
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
async fn smtp_server(
    port: u16,
    mode: &str,
    ca_file: &std::path::Path,
) -> (Child, Arc<Mutex<String>>) {
    let python = python();
    assert!(
        python.is_file(),
        "{} is missing: run ./scripts/test-all, which installs aiosmtpd into target/test-venv \
         (or set DKRON_TEST_PYTHON to a python with aiosmtpd)",
        python.display()
    );
    let mut child = Command::new(&python)
        .args(["-u", "-c", SMTP_SERVER, &port.to_string(), mode])
        .arg(ca_file)
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
    let dir = tempfile::tempdir().unwrap();
    let (_smtp, received) = smtp_server(smtp_port, "plain", &dir.path().join("unused.pem")).await;
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

/// Sends one mail through an SMTP server in `mode` with dkron's `mail_tls`, and returns what
/// the server printed.
async fn mail_over(mode: &str, mail_tls: &str) -> String {
    let smtp_port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    let (_smtp, received) = smtp_server(smtp_port, mode, &ca_file).await;
    let port = format!("--mail-port={smtp_port}");
    let tls = format!("--mail-tls={mail_tls}");
    let ca = format!("--mail-ca-file={}", ca_file.display());
    let server = Server::start_with(dir.path(), &["--mail-host=127.0.0.1", &port, &tls, &ca]).await;
    // A run needs the node alive in its own gossip view, which takes a moment after start.
    server
        .wait_until(
            "the node is an alive member",
            Duration::from_secs(20),
            || async { server.get_json("/v1/members").await[0]["statusText"] == "alive" },
        )
        .await;
    let job = r#"{"name":"secured","schedule":"@manually","owner_email":"ops@example.test","executor":"shell","executor_config":{"command":"echo over-tls"}}"#;
    assert_eq!(server.send("POST", "/v1/jobs", job).await.0, 201);
    let (status, body) = server
        .send("POST", "/v1/jobs/secured/run?wait=true", "")
        .await;
    assert_eq!(status, 200, "{mode}/{mail_tls}: {body}\n{}", server.log());
    server
        .wait_until(
            &format!("the mail arrived over {mode}"),
            Duration::from_secs(20),
            || async { received.lock().unwrap().contains(".END.") },
        )
        .await;
    received.lock().unwrap().clone()
}

#[tokio::test]
async fn mail_goes_over_required_starttls_and_over_tls_with_a_trusted_ca() {
    for (mode, mail_tls) in [
        ("starttls", "starttls"),
        ("tls", "tls"),
        ("starttls", "auto"),
    ] {
        let text = mail_over(mode, mail_tls).await;
        assert!(text.starts_with("TLS True\n"), "{mode}/{mail_tls}: {text}");
        assert!(
            text.contains("Subject: [Dkron]Success secured execution report"),
            "{text}"
        );
        assert!(
            text.contains("over-tls"),
            "the default body is the output: {text}"
        );
    }
}
