//! `syslog`: the output, line by line as it streams, to syslog with Dkron's priority (facility
//! CRON, severity INFO) and tag (`dkron`). The target is the local syslog socket (`/dev/log`)
//! unless the processor's `address` (ours) says `unix:<path>` or `udp:<host:port>`. A line
//! longer than [`MAX_SYSLOG_LINE_BYTES`] is sent in pieces of that size.

use std::net::UdpSocket;
use std::os::unix::net::UnixDatagram;

use chrono::Utc;
use dkron_model::StringMap;
use dkron_model::limits::MAX_SYSLOG_LINE_BYTES;

use super::processor::{Processor, ProcessorContext};
use crate::error::ProcessorError;

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
    /// The current line so far, at most `MAX_SYSLOG_LINE_BYTES`.
    pending: Vec<u8>,
}

impl SyslogProcessor {
    pub(super) fn open(
        config: &StringMap,
        _context: &ProcessorContext,
    ) -> Result<Self, ProcessorError> {
        let address = config
            .get("address")
            .filter(|address| !address.is_empty())
            .map_or(DEFAULT_ADDRESS, String::as_str);
        let target = if let Some(path) = address.strip_prefix("unix:") {
            let socket = UnixDatagram::unbound().map_err(ProcessorError::SyslogSocket)?;
            Target::Unix(socket, path.to_string())
        } else if let Some(peer) = address.strip_prefix("udp:") {
            let socket = UdpSocket::bind(("0.0.0.0", 0)).map_err(ProcessorError::SyslogSocket)?;
            socket
                .connect(peer)
                .map_err(|source| ProcessorError::SyslogPeer {
                    peer: peer.to_string(),
                    source,
                })?;
            Target::Udp(socket)
        } else {
            return Err(ProcessorError::SyslogAddress {
                address: address.to_string(),
            });
        };
        Ok(SyslogProcessor {
            target,
            pending: Vec::with_capacity(MAX_SYSLOG_LINE_BYTES),
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

impl SyslogProcessor {
    /// Adds bytes of the current line (no line break among them); a line reaching the bound
    /// is sent in pieces, so the pending part never exceeds it.
    fn extend_line(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.pending.len() == MAX_SYSLOG_LINE_BYTES {
                self.send_pending();
            }
            let room = MAX_SYSLOG_LINE_BYTES - self.pending.len();
            let (now, later) = bytes.split_at(room.min(bytes.len()));
            self.pending.extend_from_slice(now);
            bytes = later;
        }
    }

    fn send_pending(&mut self) {
        self.send(&self.pending);
        self.pending.clear();
    }
}

impl Processor for SyslogProcessor {
    fn chunk(&mut self, bytes: &[u8]) {
        // Only the new bytes are searched: what is pending holds no line break.
        let mut rest = bytes;
        while let Some(end) = rest.iter().position(|byte| *byte == b'\n') {
            self.extend_line(&rest[..end]);
            self.send_pending();
            rest = &rest[end + 1..];
        }
        self.extend_line(rest);
    }

    fn finish(&mut self, _success: bool, _stored: &str) -> String {
        if !self.pending.is_empty() {
            self.send_pending();
        }
        "Output in syslog".to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn context() -> ProcessorContext {
        ProcessorContext {
            job_name: "job".into(),
            execution_id: "1-node".into(),
            node_name: "node".into(),
            group: 1,
            attempt: 1,
            started_at: chrono::Utc::now(),
        }
    }

    /// A syslog socket in a temporary directory and a processor sending to it.
    fn processor_and_socket() -> (SyslogProcessor, UnixDatagram, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("log.sock");
        let socket = UnixDatagram::bind(&path).expect("bind the syslog socket");
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        let address = format!("unix:{}", path.display());
        let config = StringMap::from([("address".to_string(), address)]);
        let processor = SyslogProcessor::open(&config, &context()).expect("open");
        (processor, socket, dir)
    }

    /// Receives messages until their lines add up to `line_bytes` or `count` messages came;
    /// returns the lines without the syslog header.
    fn receive_lines(socket: &UnixDatagram, line_bytes: usize, count: usize) -> Vec<Vec<u8>> {
        let mut lines: Vec<Vec<u8>> = Vec::new();
        let mut buffer = vec![0u8; 2 * MAX_SYSLOG_LINE_BYTES];
        while lines.iter().map(Vec::len).sum::<usize>() < line_bytes || lines.len() < count {
            let length = socket.recv(&mut buffer).expect("a message within 10 s");
            let message = &buffer[..length];
            assert!(message.starts_with(b"<78>"), "Dkron's priority");
            let header_end = message
                .windows(3)
                .position(|window| window == b"]: ")
                .expect("a tag")
                + 3;
            lines.push(message[header_end..].to_vec());
        }
        lines
    }

    fn letters(from: usize, length: usize) -> Vec<u8> {
        (from..from + length)
            .map(|position| b'a' + (position % 26) as u8)
            .collect()
    }

    #[test]
    fn output_without_line_breaks_is_sent_in_pieces_of_at_most_the_bound() {
        let (mut processor, socket, _dir) = processor_and_socket();
        let total = 1024 * 1024;
        // The socket queues only a few datagrams, so it is read while the output is sent.
        let receiver = std::thread::spawn(move || receive_lines(&socket, total, 0));
        for start in (0..total).step_by(1000) {
            processor.chunk(&letters(start, 1000.min(total - start)));
            assert!(processor.pending.len() <= MAX_SYSLOG_LINE_BYTES);
        }
        assert_eq!(processor.finish(true, ""), "Output in syslog");
        let pieces = receiver.join().expect("receiver thread");
        assert!(
            pieces
                .iter()
                .all(|piece| piece.len() <= MAX_SYSLOG_LINE_BYTES)
        );
        assert_eq!(pieces.len(), total.div_ceil(MAX_SYSLOG_LINE_BYTES));
        assert_eq!(pieces.concat(), letters(0, total), "every byte, in order");
    }

    #[test]
    fn lines_are_sent_whole_however_they_are_chunked() {
        let (mut processor, socket, _dir) = processor_and_socket();
        let exactly_the_bound = letters(0, MAX_SYSLOG_LINE_BYTES);
        processor.chunk(b"first li");
        processor.chunk(b"ne\nsecond\n\n");
        processor.chunk(&exactly_the_bound);
        processor.chunk(b"\nlast");
        processor.finish(true, "");
        let lines = receive_lines(&socket, 0, 5);
        let expected: Vec<Vec<u8>> = vec![
            b"first line".to_vec(),
            b"second".to_vec(),
            Vec::new(),
            exactly_the_bound,
            b"last".to_vec(),
        ];
        assert_eq!(lines, expected);
    }
}
