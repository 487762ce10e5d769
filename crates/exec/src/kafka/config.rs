//! The `kafka` executor's keys, parsed and validated from Dkron's string map.
//!
//! Every check here needs no network, so the same function serves the API (a bad key is a 400
//! at submission) and the run (a job stored before the check existed still fails cleanly).

use std::collections::BTreeMap;
use std::fmt;

use super::error::KafkaConfigError;
use crate::gobool::parse_go_bool;

/// The SCRAM hash a SASL login uses (`saslMechanism`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScramMechanism {
    /// `sha256`: SCRAM-SHA-256.
    Sha256,
    /// `sha512`: SCRAM-SHA-512.
    Sha512,
}

/// SASL SCRAM credentials. `Debug` never shows them: a config may end up in a log line.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct SaslLogin {
    pub(crate) mechanism: ScramMechanism,
    pub(crate) username: String,
    pub(crate) password: String,
}

impl fmt::Debug for SaslLogin {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SaslLogin")
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

/// A validated `kafka` executor config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KafkaConfig {
    /// `brokerAddress`: bootstrap brokers as `host:port`, in the order given.
    pub(crate) brokers: Vec<String>,
    /// `topic`.
    pub(crate) topic: String,
    /// `key`: the record key; `None` when absent or empty.
    pub(crate) key: Option<String>,
    /// `message`: the record value (empty when absent).
    pub(crate) message: String,
    /// `tlsEnable`.
    pub(crate) tls: bool,
    /// `tlsInsecureSkipVerify`: accept any server certificate.
    pub(crate) tls_skip_verify: bool,
    /// `saslUsername` + `saslPassword` + `saslMechanism`, when both credentials are set.
    pub(crate) sasl: Option<SaslLogin>,
    /// `debug`: any non-empty value logs what is produced.
    pub(crate) debug: bool,
}

impl KafkaConfig {
    /// Parses Dkron's `kafka` keys; unknown keys are ignored, as Dkron does.
    pub(crate) fn from_map(config: &BTreeMap<String, String>) -> Result<Self, KafkaConfigError> {
        let value = |key: &str| config.get(key).map(String::as_str).unwrap_or("");
        let brokers = parse_brokers(value("brokerAddress"))?;
        let topic = value("topic");
        if topic.is_empty() {
            return Err(KafkaConfigError::TopicMissing);
        }
        let key = Some(value("key")).filter(|key| !key.is_empty());
        Ok(KafkaConfig {
            brokers,
            topic: topic.to_string(),
            key: key.map(str::to_string),
            message: value("message").to_string(),
            tls: parse_flag("tlsEnable", value("tlsEnable"))?,
            tls_skip_verify: parse_flag("tlsInsecureSkipVerify", value("tlsInsecureSkipVerify"))?,
            sasl: parse_sasl(
                value("saslUsername"),
                value("saslPassword"),
                value("saslMechanism"),
            )?,
            debug: !value("debug").is_empty(),
        })
    }
}

/// Splits the comma list and checks each entry is `host:port` (`[v6]:port` for IPv6).
fn parse_brokers(list: &str) -> Result<Vec<String>, KafkaConfigError> {
    if list.trim().is_empty() {
        return Err(KafkaConfigError::BrokerAddressMissing);
    }
    list.split(',')
        .map(str::trim)
        .map(|entry| match is_host_port(entry) {
            true => Ok(entry.to_string()),
            false => Err(KafkaConfigError::BrokerAddressEntry {
                entry: entry.to_string(),
            }),
        })
        .collect()
}

fn is_host_port(entry: &str) -> bool {
    let Some((host, port)) = entry.rsplit_once(':') else {
        return false;
    };
    let host_ok = match host.strip_prefix('[') {
        Some(bracketed) => bracketed
            .strip_suffix(']')
            .is_some_and(|inner| inner.parse::<std::net::Ipv6Addr>().is_ok()),
        None => !host.is_empty() && !host.contains([':', '/', ' ', '@']),
    };
    host_ok && port.parse::<u16>().is_ok_and(|port| port != 0)
}

/// An absent or empty flag is false; otherwise Go's `ParseBool` spellings.
fn parse_flag(key: &'static str, text: &str) -> Result<bool, KafkaConfigError> {
    if text.is_empty() {
        return Ok(false);
    }
    parse_go_bool(text).ok_or_else(|| KafkaConfigError::Flag {
        key,
        value: text.to_string(),
    })
}

/// Dkron logs in only when both credentials are set; then the mechanism must be valid. One
/// credential without the other is refused here (Dkron silently connects without SASL, which
/// a broker requiring it answers with a confusing error at every run).
fn parse_sasl(
    username: &str,
    password: &str,
    mechanism: &str,
) -> Result<Option<SaslLogin>, KafkaConfigError> {
    let parsed_mechanism = match mechanism {
        "sha256" => Some(ScramMechanism::Sha256),
        "sha512" => Some(ScramMechanism::Sha512),
        _ => None,
    };
    match (username.is_empty(), password.is_empty()) {
        (true, true) if mechanism.is_empty() || parsed_mechanism.is_some() => Ok(None),
        (true, true) => Err(KafkaConfigError::SaslMechanism),
        (false, true) => Err(KafkaConfigError::SaslPasswordMissing),
        (true, false) => Err(KafkaConfigError::SaslUsernameMissing),
        (false, false) => {
            let mechanism = parsed_mechanism.ok_or(KafkaConfigError::SaslMechanism)?;
            Ok(Some(SaslLogin {
                mechanism,
                username: username.to_string(),
                password: password.to_string(),
            }))
        }
    }
}

#[cfg(test)]
#[path = "config_test.rs"]
mod tests;
