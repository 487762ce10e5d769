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

use crate::agent_config::{AgentConfig, DEFAULT_GOSSIP_PORT};
use crate::error::ValidationError;
use crate::lenient::{Flag, RawTags, Text, TextList};
use crate::types::{self, GossipKey, HostPort, Secret};

/// Every key the agent accepts, with the value as read (see the module docs).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) struct RawAgentConfig {
    pub(crate) server: Option<Flag>,
    pub(crate) node_name: Option<Text>,
    pub(crate) tag: Option<TextList>,
    pub(crate) tags: Option<RawTags>,
    pub(crate) datacenter: Option<Text>,
    pub(crate) region: Option<Text>,
    pub(crate) bind_addr: Option<Text>,
    pub(crate) advertise_addr: Option<Text>,
    pub(crate) http_addr: Option<Text>,
    pub(crate) cors_allowed_origins: Option<TextList>,
    pub(crate) http_idle_timeout: Option<Text>,
    pub(crate) http_header_timeout: Option<Text>,
    pub(crate) http_max_connections: Option<u32>,
    pub(crate) rpc_port: Option<u16>,
    pub(crate) advertise_rpc_port: Option<u16>,
    pub(crate) profile: Option<Text>,
    pub(crate) join: Option<TextList>,
    pub(crate) retry_join: Option<TextList>,
    pub(crate) retry_max: Option<u32>,
    pub(crate) retry_interval: Option<Text>,
    pub(crate) encrypt: Option<Text>,
    pub(crate) serf_reconnect_timeout: Option<Text>,
    pub(crate) bootstrap_expect: Option<u32>,
    pub(crate) bootstrap: Option<Flag>,
    pub(crate) raft_multiplier: Option<i64>,
    pub(crate) data_dir: Option<Text>,
    #[serde(rename = "reconcileinterval")]
    pub(crate) reconcile_interval: Option<Text>,
    pub(crate) devmode: Option<Flag>,
    pub(crate) ui: Option<Flag>,
    pub(crate) log_level: Option<Text>,
    pub(crate) log_format: Option<Text>,
    pub(crate) mail_host: Option<Text>,
    pub(crate) mail_port: Option<u16>,
    pub(crate) mail_username: Option<Text>,
    pub(crate) mail_password: Option<Text>,
    pub(crate) mail_from: Option<Text>,
    pub(crate) mail_payload: Option<Text>,
    pub(crate) mail_subject_prefix: Option<Text>,
    pub(crate) pre_webhook_endpoint: Option<Text>,
    pub(crate) pre_webhook_payload: Option<Text>,
    pub(crate) pre_webhook_headers: Option<TextList>,
    pub(crate) webhook_endpoint: Option<Text>,
    /// Accepted for compatibility; Dkron maps it to nothing, and so do we.
    pub(crate) webhook_url: Option<Text>,
    pub(crate) webhook_payload: Option<Text>,
    pub(crate) webhook_headers: Option<TextList>,
    pub(crate) cronitor_endpoint: Option<Text>,
    pub(crate) statsd_addr: Option<Text>,
    pub(crate) dog_statsd_addr: Option<Text>,
    pub(crate) dog_statsd_tags: Option<TextList>,
    pub(crate) enable_prometheus: Option<Flag>,
    pub(crate) otel_endpoint: Option<Text>,
    pub(crate) disable_usage_stats: Option<Flag>,
    pub(crate) execution_retention: Option<u32>,
    pub(crate) max_output_bytes: Option<u64>,
    pub(crate) catch_up_window: Option<Text>,
    pub(crate) misfire_policy: Option<Text>,
    pub(crate) ledger_retention: Option<u32>,
    pub(crate) history_max_age: Option<Text>,
    pub(crate) notify_on: Option<Text>,
    pub(crate) mail_tls: Option<Text>,
    pub(crate) mail_ca_file: Option<Text>,
    pub(crate) audit_retention: Option<u64>,
    pub(crate) audit_max_age: Option<Text>,
    pub(crate) cert_file: Option<Text>,
    pub(crate) key_file: Option<Text>,
    pub(crate) trusted_ca_file: Option<Text>,
    pub(crate) client_cert_auth: Option<Flag>,
    pub(crate) client_crl_file: Option<Text>,
    pub(crate) disable_http_tls: Option<Flag>,
    /// Dkron Pro's generated certificates; only `false` is accepted (see `read_tls`).
    pub(crate) auto_tls: Option<Flag>,
    /// Dkron Pro's ACL section (`acl: {enabled: true}`), read from the config file only.
    pub(crate) acl: Option<RawAcl>,
    /// The same switch as `--acl-enabled` and `DKRON_ACL_ENABLED`; wins over `acl.enabled`.
    pub(crate) acl_enabled: Option<Flag>,
}

/// The `acl` section of the config file.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct RawAcl {
    pub(crate) enabled: Option<Flag>,
}

impl RawAgentConfig {
    /// Parses every value, taking defaults from `defaults` for keys no source set.
    ///
    /// The sections are read in the order of [`AgentConfig`]'s fields, so that of several
    /// broken values the first is reported, whichever section it is in.
    pub(crate) fn into_config(
        mut self,
        defaults: AgentConfig,
    ) -> Result<AgentConfig, ValidationError> {
        let config = self.read_node(defaults)?;
        let config = self.read_network(config)?;
        let config = self.read_membership(config)?;
        let config = self.read_raft(config)?;
        let config = self.read_interface(config)?;
        let config = self.read_mail(config);
        let config = self.read_webhooks(config);
        let config = self.read_metrics(config);
        let config = self.read_history(config)?;
        let config = self.read_access(config);
        let config = self.read_notification_policy(config)?;
        let config = self.read_audit(config)?;
        self.read_tls(config)
    }

    /// Who this node is: server or not, its name, tags, datacenter and region.
    fn read_node(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        let tags = resolve_tags(self.tag.take(), self.tags.take(), defaults.tags)?;
        Ok(AgentConfig {
            server: flag(self.server.take(), defaults.server),
            node_name: text(self.node_name.take(), defaults.node_name),
            tags,
            datacenter: text(self.datacenter.take(), defaults.datacenter),
            region: text(self.region.take(), defaults.region),
            ..defaults
        })
    }

    /// Where this node listens and what it advertises, and the gossip timing preset.
    fn read_network(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        Ok(AgentConfig {
            bind_addr: address(
                "bind-addr",
                self.bind_addr.take(),
                Some(DEFAULT_GOSSIP_PORT),
                defaults.bind_addr,
            )?,
            advertise_addr: match optional_text(self.advertise_addr.take()) {
                Some(value) => Some(HostPort::parse(
                    "advertise-addr",
                    &value,
                    Some(DEFAULT_GOSSIP_PORT),
                )?),
                None => defaults.advertise_addr,
            },
            http_addr: address("http-addr", self.http_addr.take(), None, defaults.http_addr)?,
            http_idle_timeout: duration(
                "http-idle-timeout",
                self.http_idle_timeout.take(),
                defaults.http_idle_timeout,
            )?,
            http_header_timeout: duration(
                "http-header-timeout",
                self.http_header_timeout.take(),
                defaults.http_header_timeout,
            )?,
            http_max_connections: self
                .http_max_connections
                .unwrap_or(defaults.http_max_connections),
            cors_allowed_origins: list(
                self.cors_allowed_origins.take(),
                defaults.cors_allowed_origins,
            ),
            rpc_port: self.rpc_port.unwrap_or(defaults.rpc_port),
            advertise_rpc_port: match self.advertise_rpc_port {
                Some(0) => None,
                Some(port) => Some(port),
                None => defaults.advertise_rpc_port,
            },
            profile: parsed(self.profile.take(), defaults.profile)?,
            ..defaults
        })
    }

    /// How this node joins the cluster, and how gossip is encrypted and gives up on nodes.
    fn read_membership(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        Ok(AgentConfig {
            join: list(self.join.take(), defaults.join),
            retry_join: list(self.retry_join.take(), defaults.retry_join),
            retry_max: self.retry_max.unwrap_or(defaults.retry_max),
            retry_interval: duration(
                "retry-interval",
                self.retry_interval.take(),
                defaults.retry_interval,
            )?,
            encrypt: match optional_text(self.encrypt.take()) {
                Some(key) => Some(GossipKey::from_base64(&key)?),
                None => defaults.encrypt,
            },
            serf_reconnect_timeout: duration(
                "serf-reconnect-timeout",
                self.serf_reconnect_timeout.take(),
                defaults.serf_reconnect_timeout,
            )?,
            ..defaults
        })
    }

    /// Bootstrap, Raft timing, the data directory and the leader's reconciliation.
    fn read_raft(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        Ok(AgentConfig {
            bootstrap_expect: self.bootstrap_expect.unwrap_or(defaults.bootstrap_expect),
            bootstrap: flag(self.bootstrap.take(), defaults.bootstrap),
            raft_multiplier: match self.raft_multiplier {
                Some(value) => u32::try_from(value)
                    .map_err(|_| ValidationError::RaftMultiplierOutOfRange { value })?,
                None => defaults.raft_multiplier,
            },
            data_dir: self
                .data_dir
                .take()
                .map_or(defaults.data_dir, |Text(dir)| PathBuf::from(dir)),
            reconcile_interval: duration(
                "reconcileinterval",
                self.reconcile_interval.take(),
                defaults.reconcile_interval,
            )?,
            devmode: flag(self.devmode.take(), defaults.devmode),
            ..defaults
        })
    }

    /// Access control: whether ACL tokens are enforced (ADR 16).
    fn read_access(&mut self, defaults: AgentConfig) -> AgentConfig {
        let nested = self.acl.take().and_then(|acl| acl.enabled);
        AgentConfig {
            acl_enabled: flag(self.acl_enabled.take().or(nested), defaults.acl_enabled),
            ..defaults
        }
    }

    /// The web UI and the logs.
    fn read_interface(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        Ok(AgentConfig {
            ui: flag(self.ui.take(), defaults.ui),
            log_level: parsed(self.log_level.take(), defaults.log_level)?,
            log_format: parsed(self.log_format.take(), defaults.log_format)?,
            ..defaults
        })
    }

    /// The SMTP server and the notification mail (its protection is read with the policy).
    fn read_mail(&mut self, defaults: AgentConfig) -> AgentConfig {
        AgentConfig {
            mail_host: optional_text(self.mail_host.take()).or(defaults.mail_host),
            mail_port: match self.mail_port {
                Some(0) => None,
                Some(port) => Some(port),
                None => defaults.mail_port,
            },
            mail_username: optional_text(self.mail_username.take()).or(defaults.mail_username),
            mail_password: optional_text(self.mail_password.take())
                .map(Secret::new)
                .or(defaults.mail_password),
            mail_from: optional_text(self.mail_from.take()).or(defaults.mail_from),
            mail_payload: text(self.mail_payload.take(), defaults.mail_payload),
            mail_subject_prefix: text(
                self.mail_subject_prefix.take(),
                defaults.mail_subject_prefix,
            ),
            ..defaults
        }
    }

    /// The pre-webhook, the webhook and Cronitor.
    fn read_webhooks(&mut self, defaults: AgentConfig) -> AgentConfig {
        AgentConfig {
            pre_webhook_endpoint: optional_text(self.pre_webhook_endpoint.take())
                .or(defaults.pre_webhook_endpoint),
            pre_webhook_payload: text(
                self.pre_webhook_payload.take(),
                defaults.pre_webhook_payload,
            ),
            pre_webhook_headers: list(
                self.pre_webhook_headers.take(),
                defaults.pre_webhook_headers,
            ),
            webhook_endpoint: optional_text(self.webhook_endpoint.take())
                .or(defaults.webhook_endpoint),
            webhook_payload: text(self.webhook_payload.take(), defaults.webhook_payload),
            webhook_headers: list(self.webhook_headers.take(), defaults.webhook_headers),
            cronitor_endpoint: optional_text(self.cronitor_endpoint.take())
                .or(defaults.cronitor_endpoint),
            ..defaults
        }
    }

    /// StatsD, DogStatsD, Prometheus, OpenTelemetry and usage statistics.
    fn read_metrics(&mut self, defaults: AgentConfig) -> AgentConfig {
        AgentConfig {
            statsd_addr: optional_text(self.statsd_addr.take()).or(defaults.statsd_addr),
            dog_statsd_addr: optional_text(self.dog_statsd_addr.take())
                .or(defaults.dog_statsd_addr),
            dog_statsd_tags: list(self.dog_statsd_tags.take(), defaults.dog_statsd_tags),
            enable_prometheus: flag(self.enable_prometheus.take(), defaults.enable_prometheus),
            otel_endpoint: optional_text(self.otel_endpoint.take()).or(defaults.otel_endpoint),
            disable_usage_stats: flag(
                self.disable_usage_stats.take(),
                defaults.disable_usage_stats,
            ),
            ..defaults
        }
    }

    /// What is kept of each job's history, and how missed occurrences are caught up.
    fn read_history(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        Ok(AgentConfig {
            execution_retention: self
                .execution_retention
                .unwrap_or(defaults.execution_retention),
            max_output_bytes: self.max_output_bytes.unwrap_or(defaults.max_output_bytes),
            catch_up_window: duration(
                "catch-up-window",
                self.catch_up_window.take(),
                defaults.catch_up_window,
            )?,
            misfire_policy: match self.misfire_policy.take() {
                Some(Text(value)) => types::parse_misfire_policy(&value)?,
                None => defaults.misfire_policy,
            },
            ledger_retention: self.ledger_retention.unwrap_or(defaults.ledger_retention),
            history_max_age: duration(
                "history-max-age",
                self.history_max_age.take(),
                defaults.history_max_age,
            )?,
            ..defaults
        })
    }

    /// Which executions are notified, and how mail is protected (dkron-rs additions).
    fn read_notification_policy(
        &mut self,
        defaults: AgentConfig,
    ) -> Result<AgentConfig, ValidationError> {
        Ok(AgentConfig {
            notify_on: match self.notify_on.take() {
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
            mail_tls: match self.mail_tls.take() {
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
            mail_ca_file: optional_text(self.mail_ca_file.take()).or(defaults.mail_ca_file),
            ..defaults
        })
    }
}

impl RawAgentConfig {
    /// How much of the audit log is kept (dkron-rs additions).
    fn read_audit(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        Ok(AgentConfig {
            audit_retention: self.audit_retention.unwrap_or(defaults.audit_retention),
            audit_max_age: duration(
                "audit-max-age",
                self.audit_max_age.take(),
                defaults.audit_max_age,
            )?,
            ..defaults
        })
    }

    /// Certificates of the HTTPS API and of node RPC (Dkron Pro's keys).
    fn read_tls(&mut self, defaults: AgentConfig) -> Result<AgentConfig, ValidationError> {
        if self.auto_tls.take().is_some_and(|Flag(on)| on) {
            return Err(ValidationError::Unsupported {
                key: "auto-tls",
                instead: "make certificates with `dkron tls ca create` and `dkron tls cert \
                    create` and set cert-file, key-file and trusted-ca-file, or set encrypt to \
                    protect node RPC with a credential derived from the gossip key",
            });
        }
        let path = |raw: Option<Text>, default: Option<PathBuf>| {
            optional_text(raw).map(PathBuf::from).or(default)
        };
        Ok(AgentConfig {
            cert_file: path(self.cert_file.take(), defaults.cert_file),
            key_file: path(self.key_file.take(), defaults.key_file),
            trusted_ca_file: path(self.trusted_ca_file.take(), defaults.trusted_ca_file),
            client_cert_auth: flag(self.client_cert_auth.take(), defaults.client_cert_auth),
            client_crl_file: path(self.client_crl_file.take(), defaults.client_crl_file),
            disable_http_tls: flag(self.disable_http_tls.take(), defaults.disable_http_tls),
            ..defaults
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
pub(crate) fn parse_tag(item: &str) -> Result<(&str, &str), ValidationError> {
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
