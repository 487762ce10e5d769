//! The raw configuration as merged from all sources, and its conversion into [`AgentConfig`].
//!
//! Every field is optional: a missing value takes the default from [`AgentConfig::default`],
//! so defaults live in one place. Text is parsed into typed values here; rules that need the
//! typed values are checked afterwards by [`AgentConfig::validate`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use dkron_model::parse_go_duration;
use serde::Deserialize;

use super::AgentConfig;
use super::error::ValidationError;
use super::lenient::{Flag, RawTags, Text, TextList};
use super::types::{self, GossipKey, HostPort, Secret};

/// Port of the gossip layer when an address gives none, as in Dkron.
pub(super) const DEFAULT_GOSSIP_PORT: u16 = 8946;

/// Every key the agent accepts, with the value as read (see the module docs).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawAgentConfig {
    pub(super) server: Option<Flag>,
    pub(super) node_name: Option<Text>,
    pub(super) tag: Option<TextList>,
    pub(super) tags: Option<RawTags>,
    pub(super) datacenter: Option<Text>,
    pub(super) region: Option<Text>,
    pub(super) bind_addr: Option<Text>,
    pub(super) advertise_addr: Option<Text>,
    pub(super) http_addr: Option<Text>,
    pub(super) rpc_port: Option<u16>,
    pub(super) advertise_rpc_port: Option<u16>,
    pub(super) profile: Option<Text>,
    pub(super) join: Option<TextList>,
    pub(super) retry_join: Option<TextList>,
    pub(super) retry_max: Option<u32>,
    pub(super) retry_interval: Option<Text>,
    pub(super) encrypt: Option<Text>,
    pub(super) serf_reconnect_timeout: Option<Text>,
    pub(super) bootstrap_expect: Option<u32>,
    pub(super) bootstrap: Option<Flag>,
    pub(super) raft_multiplier: Option<i64>,
    pub(super) data_dir: Option<Text>,
    #[serde(rename = "reconcileinterval")]
    pub(super) reconcile_interval: Option<Text>,
    pub(super) devmode: Option<Flag>,
    pub(super) ui: Option<Flag>,
    pub(super) log_level: Option<Text>,
    pub(super) log_format: Option<Text>,
    pub(super) mail_host: Option<Text>,
    pub(super) mail_port: Option<u16>,
    pub(super) mail_username: Option<Text>,
    pub(super) mail_password: Option<Text>,
    pub(super) mail_from: Option<Text>,
    pub(super) mail_payload: Option<Text>,
    pub(super) mail_subject_prefix: Option<Text>,
    pub(super) pre_webhook_endpoint: Option<Text>,
    pub(super) pre_webhook_payload: Option<Text>,
    pub(super) pre_webhook_headers: Option<TextList>,
    pub(super) webhook_endpoint: Option<Text>,
    /// Accepted for compatibility; Dkron maps it to nothing, and so do we.
    pub(super) webhook_url: Option<Text>,
    pub(super) webhook_payload: Option<Text>,
    pub(super) webhook_headers: Option<TextList>,
    pub(super) cronitor_endpoint: Option<Text>,
    pub(super) statsd_addr: Option<Text>,
    pub(super) dog_statsd_addr: Option<Text>,
    pub(super) dog_statsd_tags: Option<TextList>,
    pub(super) enable_prometheus: Option<Flag>,
    pub(super) otel_endpoint: Option<Text>,
    pub(super) disable_usage_stats: Option<Flag>,
    pub(super) execution_retention: Option<u32>,
    pub(super) max_output_bytes: Option<u64>,
    pub(super) catch_up_window: Option<Text>,
    pub(super) misfire_policy: Option<Text>,
    pub(super) ledger_retention: Option<u32>,
    pub(super) history_max_age: Option<Text>,
    pub(super) notify_on: Option<Text>,
    pub(super) mail_tls: Option<Text>,
    pub(super) mail_ca_file: Option<Text>,
}

impl RawAgentConfig {
    /// Parses every value, taking defaults from `defaults` for keys no source set.
    pub(super) fn into_config(self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        let tags = resolve_tags(self.tag, self.tags, defaults.tags)?;
        Ok(AgentConfig {
            server: flag(self.server, defaults.server),
            node_name: text(self.node_name, defaults.node_name),
            tags,
            datacenter: text(self.datacenter, defaults.datacenter),
            region: text(self.region, defaults.region),
            bind_addr: address(
                "bind-addr",
                self.bind_addr,
                Some(DEFAULT_GOSSIP_PORT),
                defaults.bind_addr,
            )?,
            advertise_addr: match optional_text(self.advertise_addr) {
                Some(value) => Some(HostPort::parse(
                    "advertise-addr",
                    &value,
                    Some(DEFAULT_GOSSIP_PORT),
                )?),
                None => defaults.advertise_addr,
            },
            http_addr: address("http-addr", self.http_addr, None, defaults.http_addr)?,
            rpc_port: self.rpc_port.unwrap_or(defaults.rpc_port),
            advertise_rpc_port: match self.advertise_rpc_port {
                Some(0) => None,
                Some(port) => Some(port),
                None => defaults.advertise_rpc_port,
            },
            profile: parsed(self.profile, defaults.profile)?,
            join: list(self.join, defaults.join),
            retry_join: list(self.retry_join, defaults.retry_join),
            retry_max: self.retry_max.unwrap_or(defaults.retry_max),
            retry_interval: duration(
                "retry-interval",
                self.retry_interval,
                defaults.retry_interval,
            )?,
            encrypt: match optional_text(self.encrypt) {
                Some(key) => Some(GossipKey::from_base64(&key)?),
                None => defaults.encrypt,
            },
            serf_reconnect_timeout: duration(
                "serf-reconnect-timeout",
                self.serf_reconnect_timeout,
                defaults.serf_reconnect_timeout,
            )?,
            bootstrap_expect: self.bootstrap_expect.unwrap_or(defaults.bootstrap_expect),
            bootstrap: flag(self.bootstrap, defaults.bootstrap),
            raft_multiplier: match self.raft_multiplier {
                Some(value) => u32::try_from(value)
                    .map_err(|_| ValidationError::RaftMultiplierOutOfRange { value })?,
                None => defaults.raft_multiplier,
            },
            data_dir: self
                .data_dir
                .map_or(defaults.data_dir, |Text(dir)| PathBuf::from(dir)),
            reconcile_interval: duration(
                "reconcileinterval",
                self.reconcile_interval,
                defaults.reconcile_interval,
            )?,
            devmode: flag(self.devmode, defaults.devmode),
            ui: flag(self.ui, defaults.ui),
            log_level: parsed(self.log_level, defaults.log_level)?,
            log_format: parsed(self.log_format, defaults.log_format)?,
            mail_host: optional_text(self.mail_host).or(defaults.mail_host),
            mail_port: match self.mail_port {
                Some(0) => None,
                Some(port) => Some(port),
                None => defaults.mail_port,
            },
            mail_username: optional_text(self.mail_username).or(defaults.mail_username),
            mail_password: optional_text(self.mail_password)
                .map(Secret::new)
                .or(defaults.mail_password),
            mail_from: optional_text(self.mail_from).or(defaults.mail_from),
            mail_payload: text(self.mail_payload, defaults.mail_payload),
            mail_subject_prefix: text(self.mail_subject_prefix, defaults.mail_subject_prefix),
            pre_webhook_endpoint: optional_text(self.pre_webhook_endpoint)
                .or(defaults.pre_webhook_endpoint),
            pre_webhook_payload: text(self.pre_webhook_payload, defaults.pre_webhook_payload),
            pre_webhook_headers: list(self.pre_webhook_headers, defaults.pre_webhook_headers),
            webhook_endpoint: optional_text(self.webhook_endpoint).or(defaults.webhook_endpoint),
            webhook_payload: text(self.webhook_payload, defaults.webhook_payload),
            webhook_headers: list(self.webhook_headers, defaults.webhook_headers),
            cronitor_endpoint: optional_text(self.cronitor_endpoint).or(defaults.cronitor_endpoint),
            statsd_addr: optional_text(self.statsd_addr).or(defaults.statsd_addr),
            dog_statsd_addr: optional_text(self.dog_statsd_addr).or(defaults.dog_statsd_addr),
            dog_statsd_tags: list(self.dog_statsd_tags, defaults.dog_statsd_tags),
            enable_prometheus: flag(self.enable_prometheus, defaults.enable_prometheus),
            otel_endpoint: optional_text(self.otel_endpoint).or(defaults.otel_endpoint),
            disable_usage_stats: flag(self.disable_usage_stats, defaults.disable_usage_stats),
            execution_retention: self
                .execution_retention
                .unwrap_or(defaults.execution_retention),
            max_output_bytes: self.max_output_bytes.unwrap_or(defaults.max_output_bytes),
            catch_up_window: duration(
                "catch-up-window",
                self.catch_up_window,
                defaults.catch_up_window,
            )?,
            misfire_policy: match self.misfire_policy {
                Some(Text(value)) => types::parse_misfire_policy(&value)?,
                None => defaults.misfire_policy,
            },
            ledger_retention: self.ledger_retention.unwrap_or(defaults.ledger_retention),
            history_max_age: duration(
                "history-max-age",
                self.history_max_age,
                defaults.history_max_age,
            )?,
            notify_on: match self.notify_on {
                Some(Text(value)) => {
                    value
                        .trim()
                        .parse()
                        .map_err(|_| ValidationError::UnknownNotifyOn {
                            value: value.clone(),
                        })?
                }
                None => defaults.notify_on,
            },
            mail_tls: match self.mail_tls {
                Some(Text(value)) => {
                    value
                        .trim()
                        .parse()
                        .map_err(|_| ValidationError::UnknownMailTls {
                            value: value.clone(),
                        })?
                }
                None => defaults.mail_tls,
            },
            mail_ca_file: optional_text(self.mail_ca_file).or(defaults.mail_ca_file),
        })
    }
}

/// Applies Dkron's rule: a non-empty `tag` list replaces the `tags` map entirely.
fn resolve_tags(
    tag_list: Option<TextList>,
    tag_map: Option<RawTags>,
    default_tags: BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ValidationError> {
    let tag_list = tag_list.map(|TextList(items)| items).unwrap_or_default();
    if tag_list.is_empty() {
        return Ok(tag_map.map_or(default_tags, |RawTags(tags)| tags));
    }
    let mut tags = BTreeMap::new();
    for item in tag_list {
        let (key, value) = parse_tag(&item)?;
        tags.insert(key.to_string(), value.to_string());
    }
    Ok(tags)
}

/// Splits `key=value` at the first `=`; the key must not be empty, the value may be.
pub(super) fn parse_tag(item: &str) -> Result<(&str, &str), ValidationError> {
    match item.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => Ok((key.trim(), value.trim())),
        _ => Err(ValidationError::InvalidTag {
            tag: item.to_string(),
        }),
    }
}

fn flag(raw: Option<Flag>, default: bool) -> bool {
    raw.map_or(default, |Flag(value)| value)
}

fn text(raw: Option<Text>, default: String) -> String {
    raw.map_or(default, |Text(value)| value)
}

/// Returns the text if it is set and not blank; Dkron treats an empty string as unset.
fn optional_text(raw: Option<Text>) -> Option<String> {
    raw.map(|Text(value)| value)
        .filter(|value| !value.trim().is_empty())
}

fn list(raw: Option<TextList>, default: Vec<String>) -> Vec<String> {
    raw.map_or(default, |TextList(items)| items)
}

fn parsed<T: std::str::FromStr<Err = ValidationError>>(
    raw: Option<Text>,
    default: T,
) -> Result<T, ValidationError> {
    match raw {
        Some(Text(value)) => value.parse(),
        None => Ok(default),
    }
}

fn duration(
    key: &'static str,
    raw: Option<Text>,
    default: Duration,
) -> Result<Duration, ValidationError> {
    match raw {
        Some(Text(value)) => parse_go_duration(value.trim())
            .map_err(|error| ValidationError::InvalidDuration { key, error }),
        None => Ok(default),
    }
}

fn address(
    key: &'static str,
    raw: Option<Text>,
    default_port: Option<u16>,
    default: HostPort,
) -> Result<HostPort, ValidationError> {
    match raw {
        Some(Text(value)) => HostPort::parse(key, &value, default_port),
        None => Ok(default),
    }
}
