//! A real `nats-server` (Debian's package) on a free port of 127.0.0.1, and an independent
//! subscriber that speaks NATS's text protocol over a plain TCP socket: it shares no code with
//! the client under test, so a bug there cannot hide a missing message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::OwnedWriteHalf;

use crate::process::{ChildGuard, free_port, system_tool, wait_for_port};

const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// A user and password the server requires of every client.
#[derive(Debug, Clone)]
pub struct NatsUser {
    /// The user name.
    pub user: String,
    /// Its password.
    pub password: String,
}

/// A running `nats-server`, killed when dropped.
pub struct NatsServer {
    /// The client port on 127.0.0.1.
    pub port: u16,
    user: Option<NatsUser>,
    ca_file: Option<PathBuf>,
    _process: ChildGuard,
    directory: tempfile::TempDir,
}

impl NatsServer {
    /// Starts `nats-server` on a free port; with `user`, clients must log in as that user.
    pub async fn start(user: Option<NatsUser>) -> NatsServer {
        NatsServer::start_with(user, false).await
    }

    /// Starts `nats-server` offering TLS with a certificate for 127.0.0.1 from a private CA
    /// (see [`NatsServer::ca_file`]); clients that do not ask for TLS are still let in, so the
    /// plain-socket subscriber works.
    pub async fn start_tls(user: Option<NatsUser>) -> NatsServer {
        NatsServer::start_with(user, true).await
    }

    async fn start_with(user: Option<NatsUser>, tls: bool) -> NatsServer {
        let server = system_tool(NATS_SERVER, "nats-server");
        let directory = tempfile::tempdir().unwrap();
        let port = free_port();
        let ca_file = tls.then(|| write_test_pki(directory.path()));
        let config = directory.path().join("nats.conf");
        std::fs::write(&config, server_config(user.as_ref(), tls, directory.path())).unwrap();
        let mut command = Command::new(server);
        command.args(["-a", "127.0.0.1", "-p", &port.to_string()]);
        command.arg("-c").arg(&config);
        let log = directory.path().join("nats-server.log");
        let process = ChildGuard::spawn("nats-server", &mut command, &log);
        wait_for_port(port, Duration::from_secs(20), &log).await;
        NatsServer {
            port,
            user,
            ca_file,
            _process: process,
            directory,
        }
    }

    /// Returns the PEM file of the CA that signed the server's certificate (TLS servers only).
    pub fn ca_file(&self) -> &Path {
        self.ca_file
            .as_deref()
            .expect("a server started with start_tls")
    }

    /// Returns `tls://127.0.0.1:<port>`.
    pub fn tls_url(&self) -> String {
        format!("tls://127.0.0.1:{}", self.port)
    }

    /// Returns `nats://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Returns the server's log so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn log_path(&self) -> PathBuf {
        self.directory.path().join("nats-server.log")
    }

    /// Subscribes to `subject` (wildcards allowed) with the server's own user, and returns
    /// once the server has confirmed the subscription.
    pub async fn subscribe(&self, subject: &str) -> NatsSubscriber {
        NatsSubscriber::connect(self.port, self.user.as_ref(), subject).await
    }
}

fn server_config(user: Option<&NatsUser>, tls: bool, directory: &Path) -> String {
    let quoted = |text: &str| serde_json::to_string(text).unwrap();
    let mut config = String::new();
    if let Some(user) = user {
        config.push_str(&format!(
            "authorization {{\n  user: {}\n  password: {}\n}}\n",
            quoted(&user.user),
            quoted(&user.password)
        ));
    }
    if tls {
        let file = |name: &str| quoted(directory.join(name).to_str().unwrap());
        config.push_str(&format!(
            "allow_non_tls: true\ntls {{\n  cert_file: {}\n  key_file: {}\n}}\n",
            file("server.pem"),
            file("server-key.pem")
        ));
    }
    config
}

/// Writes `ca.pem`, `server.pem` and `server-key.pem` (a certificate for 127.0.0.1 signed by
/// a fresh CA) into `directory`; returns the CA's path.
fn write_test_pki(directory: &Path) -> PathBuf {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "dkron-testservers nats ca");
    let ca_key = KeyPair::generate().unwrap();
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let server_params = CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let server_cert = server_params.signed_by(&server_key, &issuer).unwrap();
    let write = |name: &str, text: String| std::fs::write(directory.join(name), text).unwrap();
    write("ca.pem", ca_cert.pem());
    write("server.pem", server_cert.pem());
    write("server-key.pem", server_key.serialize_pem());
    directory.join("ca.pem")
}

/// One message as the server delivered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsMessage {
    /// The subject it was published on.
    pub subject: String,
    /// Its payload, byte for byte.
    pub payload: Vec<u8>,
}

/// A subscriber over a raw TCP socket: CONNECT, SUB and PING written by hand, `MSG` frames
/// parsed by hand, the server's PINGs answered.
pub struct NatsSubscriber {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: OwnedWriteHalf,
}

impl NatsSubscriber {
    async fn connect(port: u16, user: Option<&NatsUser>, subject: &str) -> NatsSubscriber {
        let stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let (read_half, writer) = stream.into_split();
        let mut subscriber = NatsSubscriber {
            reader: BufReader::new(read_half),
            writer,
        };
        let info = subscriber.read_line().await;
        assert!(info.starts_with("INFO "), "no INFO greeting: {info:?}");
        let mut connect = serde_json::json!({"verbose": false, "pedantic": false});
        if let Some(user) = user {
            connect["user"] = user.user.clone().into();
            connect["pass"] = user.password.clone().into();
        }
        let hello = format!("CONNECT {connect}\r\nSUB {subject} 1\r\nPING\r\n");
        subscriber.writer.write_all(hello.as_bytes()).await.unwrap();
        // The PONG comes after the server processed CONNECT and SUB, or an -ERR before it.
        let answer = subscriber.read_line().await;
        assert_eq!(answer, "PONG", "subscription refused: {answer:?}");
        subscriber
    }

    /// Waits for the next message, answering the server's PINGs; panics after `timeout`.
    pub async fn next_message(&mut self, timeout: Duration) -> NatsMessage {
        tokio::time::timeout(timeout, self.read_message())
            .await
            .unwrap_or_else(|_| panic!("no NATS message within {timeout:?}"))
    }

    /// Returns the next message if one arrives within `wait`, else `None`.
    pub async fn message_within(&mut self, wait: Duration) -> Option<NatsMessage> {
        tokio::time::timeout(wait, self.read_message()).await.ok()
    }

    async fn read_message(&mut self) -> NatsMessage {
        loop {
            let line = self.read_line().await;
            if line == "PING" {
                self.writer.write_all(b"PONG\r\n").await.unwrap();
                continue;
            }
            if let Some(header) = line.strip_prefix("MSG ") {
                return self.read_payload(header).await;
            }
            assert!(!line.starts_with("-ERR"), "server error: {line}");
        }
    }

    /// Reads the payload announced by `MSG <subject> <sid> [reply-to] <bytes>`.
    async fn read_payload(&mut self, header: &str) -> NatsMessage {
        let fields: Vec<&str> = header.split_whitespace().collect();
        assert!((3..=4).contains(&fields.len()), "bad MSG line: {header:?}");
        let size: usize = fields[fields.len() - 1].parse().unwrap();
        let mut payload = vec![0; size + 2];
        self.reader.read_exact(&mut payload).await.unwrap();
        assert_eq!(&payload[size..], b"\r\n", "payload not followed by CRLF");
        payload.truncate(size);
        NatsMessage {
            subject: fields[0].to_string(),
            payload,
        }
    }

    async fn read_line(&mut self) -> String {
        let mut line = String::new();
        let read = self.reader.read_line(&mut line).await.unwrap();
        assert!(read > 0, "the NATS server closed the connection");
        line.trim_end_matches(['\r', '\n']).to_string()
    }
}
