//! The `rabbitmq` executor's keys, parsed and checked from Dkron's string map without touching
//! the network.
//!
//! What Dkron refuses is refused here too (the same texts); what Dkron silently tolerates (a
//! queue flag that is not a Go boolean) stays non-fatal and becomes a `Warning:` line.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use lapin::uri::AMQPUri;

use super::error::RabbitMqConfigError;
use super::url::parse_broker_url;
use crate::gobool::parse_go_bool;

/// Content type when `message.content_type` is absent or empty, as in Dkron.
const DEFAULT_CONTENT_TYPE: &str = "text/plain";

/// The name RabbitMQ's tools show for the default exchange. Publishing to it by that name is
/// refused by the broker (404), yet Dkron's own example job uses it: it means the default one.
const DEFAULT_EXCHANGE_ALIAS: &str = "amq.default";

/// The longest AMQP short string (queue, exchange, content type and message id are ones).
const SHORT_STRING_MAX: usize = 255;

/// Go's `base64.StdEncoding`: padding required, stray bits in the last symbol tolerated.
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// How the queue is declared before publishing (`queue.create`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueFlags {
    /// `queue.durable`.
    pub durable: bool,
    /// `queue.auto_delete`.
    pub auto_delete: bool,
    /// `queue.exclusive`.
    pub exclusive: bool,
}

/// A validated `rabbitmq` executor config.
#[derive(Debug, Clone)]
pub struct RabbitMqConfig {
    /// `url`: where to connect, with user, password and virtual host.
    pub broker: AMQPUri,
    /// `queue.name`: the queue, and the routing key of the message.
    pub queue_name: String,
    /// `exchange`: empty for the default exchange (`amq.default` is read as empty).
    pub exchange: String,
    /// `queue.create` (and the flags): declare the queue first; `None` publishes only.
    pub declare: Option<QueueFlags>,
    /// `message.base64Body` decoded when present, else `message.body`.
    pub body: Vec<u8>,
    /// `message.content_type`.
    pub content_type: String,
    /// `message.delivery_mode`: 0 leaves the property unset, as Go's client does.
    pub delivery_mode: u8,
    /// `message.messageId`: empty leaves the property unset.
    pub message_id: String,
    /// Non-fatal problems, written as lines before the result.
    pub warnings: Vec<String>,
}

impl RabbitMqConfig {
    /// Parses and checks Dkron's `rabbitmq` keys; unknown keys are ignored as Dkron does.
    pub fn from_map(config: &BTreeMap<String, String>) -> Result<Self, RabbitMqConfigError> {
        let value = |key: &str| config.get(key).map(String::as_str).unwrap_or("");
        if value("url").is_empty() {
            return Err(RabbitMqConfigError::UrlEmpty);
        }
        let queue_name = value("queue.name");
        if queue_name.is_empty() {
            return Err(RabbitMqConfigError::QueueNameEmpty);
        }
        if !value("message.body").is_empty() && !value("message.base64Body").is_empty() {
            return Err(RabbitMqConfigError::BothBodies);
        }
        let broker = parse_broker_url(value("url"))?;
        let body = match config.get("message.base64Body") {
            Some(encoded) => decode_go_base64(encoded)?,
            None => value("message.body").as_bytes().to_vec(),
        };
        let delivery_mode = parse_delivery_mode(value("message.delivery_mode"))?;
        let content_type = match value("message.content_type") {
            "" => DEFAULT_CONTENT_TYPE,
            given => given,
        };
        let exchange = match value("exchange") {
            DEFAULT_EXCHANGE_ALIAS => "",
            given => given,
        };
        for (key, text) in [
            ("queue.name", queue_name),
            ("exchange", exchange),
            ("message.content_type", content_type),
            ("message.messageId", value("message.messageId")),
        ] {
            check_short_string(key, text)?;
        }
        let mut warnings = Vec::new();
        // Dkron's docs name the key `message.base64`, its code reads `message.base64Body`:
        // a job written from the docs sends an empty body there. Same here, but said aloud.
        if config.contains_key("message.base64") && !config.contains_key("message.base64Body") {
            warnings.push(
                "Warning: message.base64 is not read; the base64 body key is message.base64Body"
                    .to_owned(),
            );
        }
        let declare = queue_flags(config, &mut warnings);
        Ok(RabbitMqConfig {
            broker,
            queue_name: queue_name.to_owned(),
            exchange: exchange.to_owned(),
            declare,
            body,
            content_type: content_type.to_owned(),
            delivery_mode,
            message_id: value("message.messageId").to_owned(),
            warnings,
        })
    }
}

/// Dkron declares when `queue.create` is present and not exactly `"false"`; the flags are Go
/// booleans, and a flag Go cannot read is false (Dkron ignores the parse error).
fn queue_flags(
    config: &BTreeMap<String, String>,
    warnings: &mut Vec<String>,
) -> Option<QueueFlags> {
    match config.get("queue.create").map(String::as_str) {
        None | Some("false") => return None,
        Some(_) => {}
    }
    let mut flag = |key: &str| {
        let text = config.get(key).map(String::as_str).unwrap_or("");
        parse_go_bool(text).unwrap_or_else(|| {
            if !text.is_empty() {
                warnings.push(format!(
                    "Warning: {key} {text:?} is not a boolean, using false"
                ));
            }
            false
        })
    };
    Some(QueueFlags {
        durable: flag("queue.durable"),
        auto_delete: flag("queue.auto_delete"),
        exclusive: flag("queue.exclusive"),
    })
}

/// Go's `strconv.ParseUint(text, 10, 8)`, with empty read as 0 as Dkron does.
fn parse_delivery_mode(text: &str) -> Result<u8, RabbitMqConfigError> {
    if text.is_empty() {
        return Ok(0);
    }
    let fault = |reason| RabbitMqConfigError::InvalidDeliveryMode {
        quoted: serde_json::to_string(text).unwrap_or_else(|_| format!("{text:?}")),
        reason,
    };
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(fault("invalid syntax"));
    }
    text.parse().map_err(|_| fault("value out of range"))
}

/// Go's standard base64, which skips line breaks.
fn decode_go_base64(encoded: &str) -> Result<Vec<u8>, RabbitMqConfigError> {
    let joined: String = encoded
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    GO_STD_BASE64.decode(joined.as_bytes()).map_err(|error| {
        let offset = match error {
            base64::DecodeError::InvalidByte(offset, _)
            | base64::DecodeError::InvalidLastSymbol(offset, _) => offset,
            base64::DecodeError::InvalidLength(length) => length,
            base64::DecodeError::InvalidPadding => joined.len(),
        };
        RabbitMqConfigError::InvalidBase64 { offset }
    })
}

fn check_short_string(key: &'static str, text: &str) -> Result<(), RabbitMqConfigError> {
    if text.len() > SHORT_STRING_MAX {
        return Err(RabbitMqConfigError::TooLong {
            key,
            length: text.len(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "config_test.rs"]
mod tests;
