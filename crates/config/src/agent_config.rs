//! [`AgentConfig`]: every `dkron agent` setting, its default, and the rules that span
//! several settings.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use dkron_model::limits;
use serde::Serialize;

use crate::error::ValidationError;
use crate::go_duration;
use crate::mail_tls::MailTls;
use crate::notify_on::NotifyOn;
use crate::types::{
    self, GossipKey, GossipProfile, HostPort, LogFormat, LogLevel, MisfirePolicy, Secret,
};

/// Port of the gossip layer when an address gives none, as in Dkron.
pub(crate) const DEFAULT_GOSSIP_PORT: u16 = 8946;

/// Everything `dkron agent` can be configured with, after defaults are applied and values
/// are parsed. Field names are Dkron's keys in snake case (`node-name` is `node_name`).
///
/// Some keys are accepted for compatibility before the feature behind them exists; see
/// `docs/configuration.md` for which ones take effect.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub struct AgentConfig {
    /// Runs this node as a server: a Raft voter that stores state, serves the API and UI, and
    /// (when leader) schedules jobs. Otherwise the node only executes jobs.
    pub server: bool,
    /// Unique name of this node in the cluster; also its Raft server id. Defaults to the
    /// machine's hostname (filled in by the loader).
    pub node_name: String,
    /// Node tags that job target selection matches on.
    pub tags: BTreeMap<String, String>,
    /// Datacenter of this node, advertised as its `dc` tag.
    pub datacenter: String,
    /// Region of this node; it scopes leader election, target selection and `busy`.
    pub region: String,
    /// Address the gossip layer binds to (UDP and TCP); its IP is also used for RPC.
    pub bind_addr: HostPort,
    /// Address advertised to other nodes; `None` advertises the bind address.
    pub advertise_addr: Option<HostPort>,
    /// Address of the HTTP API and web UI (servers only).
    pub http_addr: HostPort,
    /// How long an HTTP connection may stay open with no request in progress and no bytes
    /// moving (a dkron-rs addition, ADR 22).
    #[serde(serialize_with = "go_duration::serialize")]
    pub http_idle_timeout: Duration,
    /// How long a client may take to send a request's headers (a dkron-rs addition).
    #[serde(serialize_with = "go_duration::serialize")]
    pub http_header_timeout: Duration,
    /// Most HTTP connections open at once; 0 picks the open-files limit minus a reserve for
    /// jobs, consensus and storage (a dkron-rs addition, ADR 22).
    pub http_max_connections: u32,
    /// Web origins (`scheme://host[:port]`, or `*`) whose pages may call the API from a
    /// browser; empty allows only the server's own pages (a dkron-rs addition).
    pub cors_allowed_origins: Vec<String>,
    /// Port of the gRPC listener: node-to-node RPC and, on servers, Raft.
    pub rpc_port: u16,
    /// RPC port advertised to other nodes; `None` advertises `rpc_port`.
    pub advertise_rpc_port: Option<u16>,
    /// Gossip timing preset.
    pub profile: GossipProfile,
    /// Addresses joined once at start; a failure is only logged.
    pub join: Vec<String>,
    /// Addresses joined at start, retried until one succeeds.
    pub retry_join: Vec<String>,
    /// Most retry-join attempts before the agent gives up; 0 retries forever.
    pub retry_max: u32,
    /// Wait between retry-join attempts.
    #[serde(serialize_with = "go_duration::serialize")]
    pub retry_interval: Duration,
    /// Key that encrypts gossip traffic; `None` leaves gossip unencrypted.
    pub encrypt: Option<GossipKey>,
    /// How long a failed node is retried before it is considered gone for good.
    #[serde(serialize_with = "go_duration::serialize")]
    pub serf_reconnect_timeout: Duration,
    /// Number of servers to wait for before bootstrapping the cluster; 0 disables automatic
    /// bootstrap, and 1 bootstraps this node alone.
    pub bootstrap_expect: u32,
    /// Bootstraps a single-server cluster (config file or environment only).
    pub bootstrap: bool,
    /// Scales Raft's heartbeat, election and lease timeouts: 1 is the fastest, 10 the most
    /// relaxed.
    pub raft_multiplier: u32,
    /// Directory of the Raft log, the state machine and snapshots.
    pub data_dir: PathBuf,
    /// Period of the leader's reconciliation of members with Raft peers (key
    /// `reconcileinterval`, config file or environment only).
    #[serde(
        rename = "reconcileinterval",
        serialize_with = "go_duration::serialize"
    )]
    pub reconcile_interval: Duration,
    /// Development mode: a single node that bootstraps itself and may advertise loopback
    /// (config file or environment only).
    pub devmode: bool,
    /// Serves the web UI (servers only).
    pub ui: bool,
    /// Least severe log level written.
    pub log_level: LogLevel,
    /// Log line format (a dkron-rs addition).
    pub log_format: LogFormat,
    /// SMTP server for notification mail; `None` disables mail.
    pub mail_host: Option<String>,
    /// SMTP port; `None` uses the SMTP default.
    pub mail_port: Option<u16>,
    /// SMTP user name.
    pub mail_username: Option<String>,
    /// SMTP password.
    pub mail_password: Option<Secret>,
    /// Sender address of notification mail.
    pub mail_from: Option<String>,
    /// Template of the mail body; empty uses the built-in template.
    pub mail_payload: String,
    /// Text put before every mail subject.
    pub mail_subject_prefix: String,
    /// URL called before each execution; `None` disables the pre-webhook.
    pub pre_webhook_endpoint: Option<String>,
    /// Template of the pre-webhook request body.
    pub pre_webhook_payload: String,
    /// Headers of the pre-webhook request, each `Name: value`.
    pub pre_webhook_headers: Vec<String>,
    /// URL called after each execution; `None` disables the webhook.
    pub webhook_endpoint: Option<String>,
    /// Template of the webhook request body.
    pub webhook_payload: String,
    /// Headers of the webhook request, each `Name: value`.
    pub webhook_headers: Vec<String>,
    /// Cronitor ping base URL; `None` disables Cronitor.
    pub cronitor_endpoint: Option<String>,
    /// StatsD server (`host:port`) for metrics; `None` disables it.
    pub statsd_addr: Option<String>,
    /// DogStatsD agent (`host:port`) for metrics; `None` disables it.
    pub dog_statsd_addr: Option<String>,
    /// Tags added to DogStatsD metrics, each `key:value`.
    pub dog_statsd_tags: Vec<String>,
    /// Serves Prometheus metrics at `/metrics`.
    pub enable_prometheus: bool,
    /// Enforces ACL tokens and policies on the API and `/metrics` (`acl: {enabled: true}`,
    /// `--acl-enabled`, `DKRON_ACL_ENABLED`; ADR 16).
    pub acl_enabled: bool,
    /// OTLP endpoint that traces are exported to; `None` disables export.
    pub otel_endpoint: Option<String>,
    /// Accepted for compatibility: dkron-rs never sends usage statistics.
    pub disable_usage_stats: bool,
    /// Executions kept per job; older ones are deleted (a dkron-rs addition, Dkron keeps 100).
    pub execution_retention: u32,
    /// Most bytes of output stored per execution; the tail is kept (a dkron-rs addition).
    pub max_output_bytes: u64,
    /// How late a missed occurrence may still run after a leader was absent.
    #[serde(serialize_with = "go_duration::serialize")]
    pub catch_up_window: Duration,
    /// What the scheduler does with occurrences missed while no leader ran.
    #[serde(serialize_with = "types::serialize_display")]
    pub misfire_policy: MisfirePolicy,
    /// Ledger entries (one per occurrence and outcome) kept per job.
    pub ledger_retention: u32,
    /// Executions and ledger entries older than this are deleted; zero keeps them however old.
    #[serde(serialize_with = "go_duration::serialize")]
    pub history_max_age: Duration,
    /// Which finished executions are notified (webhook, mail); a job's `notify_on` wins.
    #[serde(serialize_with = "types::serialize_display")]
    pub notify_on: NotifyOn,
    /// How mail is protected: STARTTLS when offered (Dkron), required, implicit TLS or none.
    #[serde(serialize_with = "types::serialize_display")]
    pub mail_tls: MailTls,
    /// PEM file of extra root certificates trusted for mail (an internal CA).
    pub mail_ca_file: Option<String>,
    /// Most audit log entries kept; the oldest go first (a dkron-rs addition).
    pub audit_retention: u64,
    /// Audit log entries older than this are deleted; zero keeps them however old (a
    /// dkron-rs addition).
    #[serde(serialize_with = "go_duration::serialize")]
    pub audit_max_age: Duration,
    /// PEM certificate (chain) of this node: served by the HTTPS API and, with
    /// `trusted_ca_file`, presented on node RPC in both directions (Dkron Pro's key).
    pub cert_file: Option<PathBuf>,
    /// PEM private key of `cert_file`.
    pub key_file: Option<PathBuf>,
    /// PEM certificates of the CA that node certificates (and, with `client_cert_auth`, HTTP
    /// clients' certificates) must chain to.
    pub trusted_ca_file: Option<PathBuf>,
    /// Requires HTTP clients to present a certificate signed by `trusted_ca_file`.
    pub client_cert_auth: bool,
    /// PEM certificate revocation lists checked on client certificates (HTTP and RPC).
    pub client_crl_file: Option<PathBuf>,
    /// Serves the API and UI over plain HTTP even when `cert_file` is set (RPC keeps TLS).
    pub disable_http_tls: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            server: false,
            node_name: String::new(),
            tags: BTreeMap::new(),
            datacenter: "dc1".to_string(),
            region: "global".to_string(),
            bind_addr: HostPort::new("0.0.0.0", DEFAULT_GOSSIP_PORT),
            advertise_addr: None,
            http_addr: HostPort::new("", 8080),
            http_idle_timeout: Duration::from_secs(60),
            http_header_timeout: Duration::from_secs(10),
            http_max_connections: 0,
            cors_allowed_origins: Vec::new(),
            rpc_port: 6868,
            advertise_rpc_port: None,
            profile: GossipProfile::Lan,
            join: Vec::new(),
            retry_join: Vec::new(),
            retry_max: 0,
            retry_interval: Duration::from_secs(30),
            encrypt: None,
            serf_reconnect_timeout: Duration::from_secs(24 * 3600),
            bootstrap_expect: 0,
            bootstrap: false,
            raft_multiplier: 1,
            data_dir: PathBuf::from("dkron.data"),
            reconcile_interval: Duration::from_secs(60),
            devmode: false,
            ui: true,
            log_level: LogLevel::Info,
            log_format: LogFormat::Text,
            mail_host: None,
            mail_port: None,
            mail_username: None,
            mail_password: None,
            mail_from: None,
            mail_payload: String::new(),
            mail_subject_prefix: "[Dkron]".to_string(),
            pre_webhook_endpoint: None,
            pre_webhook_payload: String::new(),
            pre_webhook_headers: Vec::new(),
            webhook_endpoint: None,
            webhook_payload: String::new(),
            webhook_headers: Vec::new(),
            cronitor_endpoint: None,
            statsd_addr: None,
            dog_statsd_addr: None,
            dog_statsd_tags: Vec::new(),
            enable_prometheus: false,
            acl_enabled: false,
            otel_endpoint: None,
            disable_usage_stats: false,
            execution_retention: 100,
            max_output_bytes: 256_000,
            catch_up_window: Duration::from_secs(3600),
            misfire_policy: MisfirePolicy::RunOnce,
            ledger_retention: 500,
            history_max_age: Duration::ZERO,
            notify_on: NotifyOn::Always,
            mail_tls: MailTls::Auto,
            mail_ca_file: None,
            audit_retention: 10_000,
            audit_max_age: Duration::from_secs(90 * 24 * 3600),
            cert_file: None,
            key_file: None,
            trusted_ca_file: None,
            client_cert_auth: false,
            client_crl_file: None,
            disable_http_tls: false,
        }
    }
}

impl AgentConfig {
    /// Checks the rules that span the parsed values and returns the first one broken.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.node_name.trim().is_empty() {
            return Err(ValidationError::Empty { key: "node-name" });
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(ValidationError::Empty { key: "data-dir" });
        }
        if !(1..=10).contains(&self.raft_multiplier) {
            return Err(ValidationError::RaftMultiplierOutOfRange {
                value: i64::from(self.raft_multiplier),
            });
        }
        if let Some((key, value)) = self.tags.iter().find(|(key, _)| key.trim().is_empty()) {
            return Err(ValidationError::InvalidTag {
                tag: format!("{key}={value}"),
            });
        }
        self.check_tls()?;
        check_headers("pre-webhook-headers", &self.pre_webhook_headers)?;
        check_headers("webhook-headers", &self.webhook_headers)?;
        let nonzero_settings = [
            ("rpc-port", u64::from(self.rpc_port)),
            ("bind-addr", u64::from(self.bind_addr.port)),
            ("http-addr", u64::from(self.http_addr.port)),
            ("execution-retention", u64::from(self.execution_retention)),
            ("ledger-retention", u64::from(self.ledger_retention)),
            ("max-output-bytes", self.max_output_bytes),
            ("audit-retention", self.audit_retention),
            ("http-idle-timeout", duration_millis(self.http_idle_timeout)),
            (
                "http-header-timeout",
                duration_millis(self.http_header_timeout),
            ),
        ];
        for (key, value) in nonzero_settings {
            if value == 0 {
                return Err(ValidationError::Zero { key });
            }
        }
        if self.max_output_bytes > limits::MAX_OUTPUT_BYTES_SETTING {
            return Err(ValidationError::TooLarge {
                key: "max-output-bytes",
                value: self.max_output_bytes,
                max: limits::MAX_OUTPUT_BYTES_SETTING,
            });
        }
        if self
            .advertise_addr
            .as_ref()
            .is_some_and(|addr| addr.port == 0)
        {
            return Err(ValidationError::Zero {
                key: "advertise-addr",
            });
        }
        Ok(())
    }

    /// Checks that the TLS keys that go together are set together.
    fn check_tls(&self) -> Result<(), ValidationError> {
        let needs = |key, needs, why| Err(ValidationError::Needs { key, needs, why });
        if self.cert_file.is_some() && self.key_file.is_none() {
            return needs("cert-file", "key-file", "the certificate's private key");
        }
        if self.key_file.is_some() && self.cert_file.is_none() {
            return needs("key-file", "cert-file", "the certificate of that key");
        }
        if self.client_cert_auth && self.trusted_ca_file.is_none() {
            return needs(
                "client-cert-auth",
                "trusted-ca-file",
                "the CA whose certificates clients must present",
            );
        }
        if self.client_cert_auth && (self.cert_file.is_none() || self.disable_http_tls) {
            return needs(
                "client-cert-auth",
                "cert-file",
                "client certificates are asked for over HTTPS (and not with disable-http-tls)",
            );
        }
        if self.client_crl_file.is_some() && self.trusted_ca_file.is_none() {
            return needs(
                "client-crl-file",
                "trusted-ca-file",
                "the CA whose certificates the list revokes",
            );
        }
        Ok(())
    }

    /// Returns the RPC port other nodes are told to use.
    pub fn advertised_rpc_port(&self) -> u16 {
        self.advertise_rpc_port.unwrap_or(self.rpc_port)
    }
}

/// Checks that every header is `Name: value` with a non-empty name.
fn check_headers(key: &'static str, headers: &[String]) -> Result<(), ValidationError> {
    for header in headers {
        let has_name = header
            .split_once(':')
            .is_some_and(|(name, _)| !name.trim().is_empty());
        if !has_name {
            return Err(ValidationError::InvalidHeader {
                key,
                header: header.clone(),
            });
        }
    }
    Ok(())
}

/// Returns `duration` in whole milliseconds, saturating (for the zero checks).
fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
