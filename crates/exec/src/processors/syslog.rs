//! `syslog`: the output, line by line as it streams, to syslog with Dkron's priority (facility
//! CRON, severity INFO) and tag (`dkron`). The target is the local syslog socket (`/dev/log`)
//! unless the processor's `address` (ours) says `unix:<path>` or `udp:<host:port>`.

use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;

use chrono::Utc;
use dkron_model::StringMap;

use super::{Processor, ProcessorContext};

/// Facility CRON (9) × 8 + severity INFO (6).
const PRIORITY: u8 = 78;
/// The local syslog socket.
const DEFAULT_ADDRESS: &str = "unix:/dev/log";

enum Target {
    Unix(UnixDatagram, String),
    Udp(UdpSocket),
}

/// Sends complete lines as they arrive.
pub(super) struct SyslogProcessor {
    target: Target,
    pending: Vec<u8>,
}

impl SyslogProcessor {
    pub(super) fn open(config: &StringMap, _context: &ProcessorContext) -> Result<Self, String> {
        let address = config
            .get("address")
            .filter(|address| !address.is_empty())
            .map_or(DEFAULT_ADDRESS, String::as_str);
        let target = if let Some(path) = address.strip_prefix("unix:") {
            let socket = UnixDatagram::unbound()
                .map_err(|error| format!("cannot open a syslog socket: {error}"))?;
            Target::Unix(socket, path.to_string())
        } else if let Some(peer) = address.strip_prefix("udp:") {
            let socket = UdpSocket::bind(("0.0.0.0", 0))
                .map_err(|error| format!("cannot open a syslog socket: {error}"))?;
            socket
                .connect(peer)
                .map_err(|error| format!("syslog address {peer}: {error}"))?;
            Target::Udp(socket)
        } else {
            return Err(format!(
                "syslog address {address:?}: use unix:<path> or udp:<host:port>"
            ));
        };
        Ok(SyslogProcessor {
            target,
            pending: Vec::new(),
        })
    }

    fn send(&self, line: &[u8]) {
        let stamp = Utc::now().format("%b %e %H:%M:%S");
        let mut message =
            format!("<{PRIORITY}>{stamp} dkron[{}]: ", std::process::id()).into_bytes();
        message.extend_from_slice(line);
        let sent = match &self.target {
            Target::Unix(socket, path) => socket.send_to(&message, path).map(|_| ()),
            Target::Udp(socket) => socket.send(&message).map(|_| ()),
        };
        if let Err(error) = sent {
            tracing::debug!(error = %error, "syslog processor could not send a line");
        }
    }
}

impl Processor for SyslogProcessor {
    fn chunk(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|byte| *byte == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.send(&line[..line.len() - 1]);
        }
    }

    fn finish(&mut self, _success: bool, _stored: &str) -> String {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.send(&rest);
        }
        "Output in syslog".to_string()
    }
}
