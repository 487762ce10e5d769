//! `fluent`: the whole output as one record to Fluent Bit or Fluentd over the forward
//! protocol (MessagePack `[tag, time, {host, job_name, message}]` on TCP), when the run ends.
//! Address and tag from the processor's `host`, `port` and `tag` (ours), else Dkron's
//! `FLUENTBIT_HOST`, `FLUENTBIT_PORT`, `FLUENTBIT_TAG`, else `127.0.0.1:24224` and `dkron`.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use dkron_model::StringMap;

use super::processor::{Processor, ProcessorContext};
use crate::error::FluentError;

/// Longest wait to connect or write.
const SEND_DEADLINE: Duration = Duration::from_secs(5);

/// Sends one record when the run ends.
pub(super) struct FluentProcessor {
    address: String,
    tag: String,
    node_name: String,
    job_name: String,
}

fn setting(config: &StringMap, key: &str, variable: &str, default: &str) -> String {
    config
        .get(key)
        .filter(|value| !value.is_empty())
        .cloned()
        .or_else(|| {
            std::env::var(variable)
                .ok()
                .filter(|value| !value.is_empty())
        })
        .unwrap_or_else(|| default.to_string())
}

impl FluentProcessor {
    pub(super) fn new(config: &StringMap, context: &ProcessorContext) -> Self {
        let host = setting(config, "host", "FLUENTBIT_HOST", "127.0.0.1");
        let port = setting(config, "port", "FLUENTBIT_PORT", "24224");
        FluentProcessor {
            address: format!("{host}:{port}"),
            tag: setting(config, "tag", "FLUENTBIT_TAG", "dkron"),
            node_name: context.node_name.clone(),
            job_name: context.job_name.clone(),
        }
    }

    fn send(&self, record: &[u8]) -> Result<(), FluentError> {
        let address = self
            .address
            .parse()
            .map_err(|source| FluentError::Address {
                address: self.address.clone(),
                source,
            })?;
        let sending = |source| FluentError::Send {
            address: self.address.clone(),
            source,
        };
        let mut stream = TcpStream::connect_timeout(&address, SEND_DEADLINE).map_err(sending)?;
        stream
            .set_write_timeout(Some(SEND_DEADLINE))
            .and_then(|()| stream.write_all(record))
            .map_err(sending)
    }
}

impl Processor for FluentProcessor {
    fn chunk(&mut self, _bytes: &[u8]) {}

    fn finish(&mut self, _success: bool, stored: &str) -> String {
        let time = chrono::Utc::now().timestamp().max(0) as u64;
        let fields = [
            ("host", self.node_name.as_str()),
            ("job_name", self.job_name.as_str()),
            ("message", stored),
        ];
        if let Err(error) = self.send(&forward_message(&self.tag, time, &fields)) {
            tracing::warn!(error = %error, job = %self.job_name, "fluent processor could not send the output");
        }
        "Output sent to Fluent".to_string()
    }
}

/// One forward-protocol message: `[tag, time, {key: value, …}]` in MessagePack.
pub(super) fn forward_message(tag: &str, time: u64, fields: &[(&str, &str)]) -> Vec<u8> {
    let mut out = vec![0x93];
    write_str(&mut out, tag);
    write_uint(&mut out, time);
    out.push(0x80 | (fields.len() as u8 & 0x0f));
    for (key, value) in fields {
        write_str(&mut out, key);
        write_str(&mut out, value);
    }
    out
}

fn write_str(out: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    match bytes.len() {
        len @ 0..=31 => out.push(0xa0 | len as u8),
        len @ 32..=0xff => out.extend_from_slice(&[0xd9, len as u8]),
        len @ 0x100..=0xffff => {
            out.push(0xda);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            out.push(0xdb);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(bytes);
}

fn write_uint(out: &mut Vec<u8>, value: u64) {
    match u32::try_from(value) {
        Ok(small) => {
            out.push(0xce);
            out.extend_from_slice(&small.to_be_bytes());
        }
        Err(_) => {
            out.push(0xcf);
            out.extend_from_slice(&value.to_be_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_a_forward_message() {
        let message = forward_message("dkron", 1, &[("job_name", "j"), ("message", "hi")]);
        let expected: Vec<u8> = [
            vec![0x93, 0xa5],
            b"dkron".to_vec(),
            vec![0xce, 0, 0, 0, 1, 0x82, 0xa8],
            b"job_name".to_vec(),
            vec![0xa1, b'j', 0xa7],
            b"message".to_vec(),
            vec![0xa2, b'h', b'i'],
        ]
        .concat();
        assert_eq!(message, expected);
        let long = "x".repeat(300);
        let encoded = forward_message("t", 0, &[("m", &long)]);
        assert!(
            encoded
                .windows(3)
                .any(|window| window == [0xda, 0x01, 0x2c]),
            "str16 header"
        );
    }
}
