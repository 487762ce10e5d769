//! The command line: `dkron agent`, `dkron keygen`, `dkron version` and the cluster
//! administration commands `dkron leave` and `dkron raft`, with Dkron's flag names. Flag values are handed to the config loader only when given on the command line,
//! so a flag left at its default never hides the environment or the config file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::LazyLock;

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{ArgAction, ArgMatches, Args, Parser, Subcommand};
use dkron_config::{AgentConfig, format_go_duration, known_keys};

/// Defaults shown in `--help`; they come from the one `Default` impl of the configuration.
static DEFAULTS: LazyLock<AgentConfig> = LazyLock::new(AgentConfig::default);

const NODE: &str = "Node";
const NETWORK: &str = "Network and membership";
const RAFT: &str = "Consensus and storage";
const LOGGING: &str = "Logging";
const NOTIFICATIONS: &str = "Notifications";
const METRICS: &str = "Metrics and tracing";
const SECURITY: &str = "Security";
const SCHEDULING: &str = "Scheduling and history (dkron-rs additions)";

/// Open source distributed job scheduling system (dkron-rs, a Rust implementation of Dkron).
#[derive(Debug, Parser)]
#[command(
    name = "dkron",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    long_about = "Runs scheduled jobs like cron, with every run decided and recorded \
    durably: after a crash nothing is run twice and nothing is missed silently.\n\n\
    A drop-in replacement for Dkron: same flags, config keys, DKRON_* environment \
    variables and REST API. Run one server (dkron agent --server --bootstrap-expect 1), \
    or a cluster of servers and agents that fail over without doubling or dropping runs."
)]
pub struct Cli {
    /// Config file [default: dkron.{json,toml,yaml,yml} in /etc/dkron, $HOME/.dkron or ./config]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a dkron agent
    #[command(
        long_about = "Start a dkron agent that schedules jobs (as a server), listens \
        for executions and runs them. Servers also serve the REST API.\n\n\
        Settings are read, lowest precedence first, from built-in defaults, the config \
        file, DKRON_* environment variables (DKRON_NODE_NAME for --node-name) and these \
        flags."
    )]
    Agent(Box<AgentArgs>),
    /// Generate a new encryption key for --encrypt
    #[command(
        long_about = "Generate a new gossip encryption key: 16 random bytes in \
        base64, printed on stdout in the form --encrypt and the encrypt key expect."
    )]
    Keygen,
    /// Show version information
    Version,
    /// Ask a node to stop gracefully and leave the cluster
    #[command(
        long_about = "Ask the node at --rpc-addr (a server or an agent) to stop \
        gracefully, as SIGTERM would: it waits for its running jobs, then leaves the \
        cluster and exits."
    )]
    Leave(RpcTarget),
    /// Inspect and change the servers of the Raft configuration
    #[command(subcommand)]
    Raft(RaftCommand),
    /// Save every job to a file that `dkron restore` takes back
    #[command(
        long_about = "Save every job of the cluster, as GET /v1/backup?include_secrets=true \
        returns them, to --output (or stdout). The file holds the jobs' secrets (env values, \
        passwords, Authorization headers) so that it restores into an empty cluster: it is \
        written readable by its owner only. The file is also what POST /v1/restore and \
        Dkron's restore take. Run history is not part of it."
    )]
    Backup(BackupArgs),
    /// Recreate the jobs of a backup file
    #[command(
        long_about = "Send a backup file (from dkron backup, GET /v1/backup or \
        GET /v1/jobs) to POST /v1/restore. The whole file is checked first: one invalid \
        job, a duplicate or a parent loop refuses it all and nothing is created."
    )]
    Restore(RestoreArgs),
    /// Create the certificates of a TLS cluster (CA, node certificates)
    #[command(
        subcommand,
        long_about = "Create a CA for the cluster (dkron tls ca create) and node \
        certificates signed by it (dkron tls cert create), as PEM files for cert-file, \
        key-file and trusted-ca-file. A node certificate is good for both ends of a TLS \
        connection: it serves HTTPS and RPC and is presented as the client certificate."
    )]
    Tls(crate::tls_cmd::TlsCommand),
    /// Control ACL policies and tokens
    #[command(
        subcommand,
        long_about = "Manage access control (see docs/security.md): the one-time \
        bootstrap, policies and tokens. Talks to a server's REST API (--http-addr) with the \
        token from --token or DKRON_TOKEN."
    )]
    Acl(crate::acl_args::AclCommand),
}

/// The server whose REST API a command uses.
#[derive(Debug, Args)]
pub struct HttpTarget {
    /// HTTP address of a server (its --http-addr)
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:8080")]
    pub http_addr: String,

    /// The server's HTTPS certificates.
    #[command(flatten)]
    pub tls: crate::tls_flags::ClientTlsArgs,
    /// ACL token secret, for servers with ACLs enabled
    #[arg(
        long,
        value_name = "SECRET",
        env = "DKRON_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// Flags of `dkron backup`.
#[derive(Debug, Args)]
pub struct BackupArgs {
    /// File to write (replaced if it exists); stdout when absent
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<std::path::PathBuf>,

    /// The server to ask.
    #[command(flatten)]
    pub target: HttpTarget,
}

/// Flags of `dkron restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// Backup file to restore
    #[arg(value_name = "FILE")]
    pub file: std::path::PathBuf,

    /// The server to ask.
    #[command(flatten)]
    pub target: HttpTarget,
}

/// Subcommands of `dkron raft`.
#[derive(Debug, Subcommand)]
pub enum RaftCommand {
    /// List the servers of the Raft configuration
    #[command(
        long_about = "List the servers of the Raft configuration as the server at \
        --rpc-addr sees it: node name, Raft id, RPC address, state (leader or follower) \
        and whether it votes."
    )]
    ListPeers(RpcTarget),
    /// Remove a server from the Raft configuration
    #[command(
        long_about = "Remove a server from the Raft configuration, for example a dead \
        server that will not come back. The request goes to the leader, found through the \
        server at --rpc-addr. The leader cannot remove itself: stop it, and remove it from \
        another server once a new leader is elected."
    )]
    RemovePeer(RemovePeerArgs),
}

/// The node an administration command talks to.
#[derive(Debug, Args)]
pub struct RpcTarget {
    /// RPC address of the node to ask (Dkron's default is this host's private IP; dkron-rs
    /// uses loopback)
    #[arg(long, value_name = "HOST:PORT",
        default_value_t = format!("127.0.0.1:{}", DEFAULTS.rpc_port))]
    pub rpc_addr: String,

    /// Certificates of a TLS cluster.
    #[command(flatten)]
    pub tls: crate::tls_flags::ClientTlsArgs,

    /// Gossip key of a cluster protected by its key alone (as the agents' --encrypt; also
    /// read from the --config file)
    #[arg(long, value_name = "KEY")]
    pub encrypt: Option<String>,
}

/// Flags of `dkron raft remove-peer`.
#[derive(Debug, Args)]
pub struct RemovePeerArgs {
    /// Node name or Raft id of the server to remove (as listed by dkron raft list-peers)
    #[arg(long, value_name = "ID")]
    pub peer_id: String,

    /// The server to ask.
    #[command(flatten)]
    pub target: RpcTarget,
}

/// Flags of `dkron agent`; each long name is a config key.
///
/// Read through [`agent_flag_overrides`], not through these fields, which hold defaults
/// for flags that were not given.
#[derive(Debug, Args)]
pub struct AgentArgs {
    /// Run in server mode: vote in Raft, store state, serve the API and schedule jobs
    #[arg(long, help_heading = NODE, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = DEFAULTS.server)]
    pub server: bool,

    /// Name of this node, unique in the cluster [default: the hostname]
    #[arg(long, help_heading = NODE, value_name = "NAME")]
    pub node_name: Option<String>,

    /// Node tag as key=value, used by job target selection; repeat for more tags
    #[arg(long, help_heading = NODE, value_name = "KEY=VALUE", action = ArgAction::Append)]
    pub tag: Vec<String>,

    /// Datacenter of this node (its dc tag)
    #[arg(long, help_heading = NODE, value_name = "NAME",
        default_value_t = DEFAULTS.datacenter.clone())]
    pub datacenter: String,

    /// Region of this node; scopes leader election and job targets
    #[arg(long, help_heading = NODE, value_name = "NAME",
        default_value_t = DEFAULTS.region.clone())]
    pub region: String,

    /// Serve the web UI (servers only); --ui=false turns it off
    #[arg(long, help_heading = NODE, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = DEFAULTS.ui)]
    pub ui: bool,

    /// Address the gossip layer binds to; its IP is also used for RPC (port 8946 if omitted)
    #[arg(long, help_heading = NETWORK, value_name = "HOST:PORT",
        default_value_t = DEFAULTS.bind_addr.to_string())]
    pub bind_addr: String,

    /// Address advertised to other nodes [default: the bind address]
    #[arg(long, help_heading = NETWORK, value_name = "HOST:PORT")]
    pub advertise_addr: Option<String>,

    /// Address of the HTTP API and web UI (servers only)
    #[arg(long, help_heading = NETWORK, value_name = "HOST:PORT",
        default_value_t = DEFAULTS.http_addr.to_string())]
    pub http_addr: String,

    /// Close an HTTP connection idle this long: no request in progress, no bytes moving (Go
    /// duration; dkron-rs addition)
    #[arg(long, help_heading = NETWORK, value_name = "DURATION",
        default_value_t = format_go_duration(DEFAULTS.http_idle_timeout))]
    pub http_idle_timeout: String,

    /// Close an HTTP connection whose request headers take longer than this (Go duration;
    /// dkron-rs addition)
    #[arg(long, help_heading = NETWORK, value_name = "DURATION",
        default_value_t = format_go_duration(DEFAULTS.http_header_timeout))]
    pub http_header_timeout: String,

    /// Most HTTP connections open at once; 0 = the open-files limit minus a reserve
    /// (dkron-rs addition)
    #[arg(long, help_heading = NETWORK, value_name = "COUNT",
        default_value_t = DEFAULTS.http_max_connections)]
    pub http_max_connections: u32,

    /// Web origin (scheme://host[:port]) whose pages may call the API from a browser; repeat
    /// for more, `*` for any [default: only the server's own pages]
    #[arg(long, help_heading = NETWORK, value_name = "ORIGIN", action = ArgAction::Append)]
    pub cors_allowed_origins: Vec<String>,

    /// Port of the RPC listener (node-to-node gRPC and Raft), bound on the bind IP
    #[arg(long, help_heading = NETWORK, value_name = "PORT",
        default_value_t = DEFAULTS.rpc_port)]
    pub rpc_port: u16,

    /// RPC port advertised to other nodes [default: --rpc-port]
    #[arg(long, help_heading = NETWORK, value_name = "PORT")]
    pub advertise_rpc_port: Option<u16>,

    /// Gossip timing profile
    #[arg(long, help_heading = NETWORK, value_name = "PROFILE",
        value_parser = ["lan", "wan", "local"], default_value_t = DEFAULTS.profile.to_string())]
    pub profile: String,

    /// Address of an agent to join at start (once); repeat for more
    #[arg(long, help_heading = NETWORK, value_name = "ADDR", action = ArgAction::Append)]
    pub join: Vec<String>,

    /// Address of an agent to join at start, retried until it succeeds; repeat for more
    #[arg(long, help_heading = NETWORK, value_name = "ADDR", action = ArgAction::Append)]
    pub retry_join: Vec<String>,

    /// Most join attempts with --retry-join; 0 retries forever
    #[arg(long, help_heading = NETWORK, value_name = "COUNT",
        default_value_t = DEFAULTS.retry_max)]
    pub retry_max: u32,

    /// Wait between join attempts (Go duration: 30s, 1m)
    #[arg(long, help_heading = NETWORK, value_name = "DURATION",
        default_value_t = format_go_duration(DEFAULTS.retry_interval))]
    pub retry_interval: String,

    /// Gossip encryption key: base64 of 16, 24 or 32 bytes (see dkron keygen)
    #[arg(long, help_heading = NETWORK, value_name = "KEY")]
    pub encrypt: Option<String>,

    /// How long a failed node is retried before it is considered gone (Go duration)
    #[arg(long, help_heading = NETWORK, value_name = "DURATION",
        default_value_t = format_go_duration(DEFAULTS.serf_reconnect_timeout))]
    pub serf_reconnect_timeout: String,

    /// Servers to wait for before bootstrapping the cluster; 1 bootstraps this server alone
    #[arg(long, help_heading = RAFT, value_name = "COUNT",
        default_value_t = DEFAULTS.bootstrap_expect)]
    pub bootstrap_expect: u32,

    /// Scale of Raft timeouts, 1 (fastest failure detection) to 10 (most relaxed)
    #[arg(long, help_heading = RAFT, value_name = "N",
        default_value_t = DEFAULTS.raft_multiplier)]
    pub raft_multiplier: u32,

    /// Directory of the replicated log, state and snapshots
    #[arg(long, help_heading = RAFT, value_name = "DIR",
        default_value_t = DEFAULTS.data_dir.display().to_string())]
    pub data_dir: String,

    /// Log level: trace, debug, info, warn, error (Dkron's fatal and panic log errors only)
    #[arg(long, help_heading = LOGGING, value_name = "LEVEL",
        default_value_t = DEFAULTS.log_level.to_string())]
    pub log_level: String,

    /// Log format: text for people, json for log shippers
    #[arg(long, help_heading = LOGGING, value_name = "FORMAT", value_parser = ["text", "json"],
        default_value_t = DEFAULTS.log_format.to_string())]
    pub log_format: String,

    /// SMTP server for notification mail
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "HOST")]
    pub mail_host: Option<String>,

    /// SMTP port
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "PORT")]
    pub mail_port: Option<u16>,

    /// SMTP user name
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "USER")]
    pub mail_username: Option<String>,

    /// SMTP password (prefer DKRON_MAIL_PASSWORD or the config file: flags show in ps)
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "PASSWORD")]
    pub mail_password: Option<String>,

    /// Sender address of notification mail
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "ADDRESS")]
    pub mail_from: Option<String>,

    /// Template of the mail body
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "TEMPLATE")]
    pub mail_payload: Option<String>,

    /// Text put before every mail subject
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "TEXT",
        default_value_t = DEFAULTS.mail_subject_prefix.clone())]
    pub mail_subject_prefix: String,

    /// URL called before each execution
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "URL")]
    pub pre_webhook_endpoint: Option<String>,

    /// Template of the pre-webhook request body
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "TEMPLATE")]
    pub pre_webhook_payload: Option<String>,

    /// Header of the pre-webhook request as "Name: value"; repeat for more
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "HEADER", action = ArgAction::Append)]
    pub pre_webhook_headers: Vec<String>,

    /// URL called after each execution
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "URL")]
    pub webhook_endpoint: Option<String>,

    /// Deprecated and ignored, as in Dkron; use --webhook-endpoint
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "URL")]
    pub webhook_url: Option<String>,

    /// Template of the webhook request body
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "TEMPLATE")]
    pub webhook_payload: Option<String>,

    /// Header of the webhook request as "Name: value"; repeat for more
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "HEADER", action = ArgAction::Append)]
    pub webhook_headers: Vec<String>,

    /// Cronitor ping base URL
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "URL")]
    pub cronitor_endpoint: Option<String>,

    /// StatsD server for metrics
    #[arg(long, help_heading = METRICS, value_name = "HOST:PORT")]
    pub statsd_addr: Option<String>,

    /// DataDog agent (DogStatsD) for metrics
    #[arg(long, help_heading = METRICS, value_name = "HOST:PORT")]
    pub dog_statsd_addr: Option<String>,

    /// DataDog tag as key:value; repeat for more
    #[arg(long, help_heading = METRICS, value_name = "KEY:VALUE", action = ArgAction::Append)]
    pub dog_statsd_tags: Vec<String>,

    /// Serve Prometheus metrics at /metrics
    #[arg(long, help_heading = METRICS, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = DEFAULTS.enable_prometheus)]
    pub enable_prometheus: bool,

    /// Enforce ACL tokens and policies (Dkron Pro's acl.enabled; see docs/security.md)
    #[arg(long, help_heading = SECURITY, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = DEFAULTS.acl_enabled)]
    pub acl_enabled: bool,

    /// OTLP endpoint to export traces to
    #[arg(long, help_heading = METRICS, value_name = "URL")]
    pub otel_endpoint: Option<String>,

    /// Accepted for compatibility; dkron-rs never sends usage statistics
    #[arg(long, help_heading = METRICS, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = DEFAULTS.disable_usage_stats)]
    pub disable_usage_stats: bool,

    /// Executions kept per job; older ones are deleted
    #[arg(long, help_heading = SCHEDULING, value_name = "COUNT",
        default_value_t = DEFAULTS.execution_retention)]
    pub execution_retention: u32,

    /// Most bytes of output stored per execution (the end of the output is kept)
    #[arg(long, help_heading = SCHEDULING, value_name = "BYTES",
        default_value_t = DEFAULTS.max_output_bytes)]
    pub max_output_bytes: u64,

    /// How late a missed run may still start after the scheduler was down (Go duration)
    #[arg(long, help_heading = SCHEDULING, value_name = "DURATION",
        default_value_t = format_go_duration(DEFAULTS.catch_up_window))]
    pub catch_up_window: String,

    /// What to do with runs missed while no scheduler ran
    #[arg(long, help_heading = SCHEDULING, value_name = "POLICY",
        value_parser = ["run_once", "skip", "run_all"],
        default_value_t = DEFAULTS.misfire_policy.to_string())]
    pub misfire_policy: String,

    /// Ledger entries (one per scheduled run and its outcome) kept per job
    #[arg(long, help_heading = SCHEDULING, value_name = "COUNT",
        default_value_t = DEFAULTS.ledger_retention)]
    pub ledger_retention: u32,

    /// Delete executions and ledger entries older than this (Go duration; 0s keeps them)
    #[arg(long, help_heading = SCHEDULING, value_name = "DURATION",
        default_value_t = format_go_duration(DEFAULTS.history_max_age))]
    pub history_max_age: String,

    /// Most audit log entries kept (the oldest go first)
    #[arg(long, help_heading = SCHEDULING, value_name = "COUNT",
        default_value_t = DEFAULTS.audit_retention)]
    pub audit_retention: u64,

    /// Delete audit log entries older than this (Go duration; 0s keeps them)
    #[arg(long, help_heading = SCHEDULING, value_name = "DURATION",
        default_value_t = format_go_duration(DEFAULTS.audit_max_age))]
    pub audit_max_age: String,

    /// Which finished executions are notified: always (as Dkron), failure or change
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "WHEN",
        value_parser = ["always", "failure", "change"],
        default_value_t = DEFAULTS.notify_on.to_string())]
    pub notify_on: String,

    /// How mail is protected: auto (STARTTLS when offered, as Dkron), starttls, tls or none
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "MODE",
        value_parser = ["auto", "starttls", "tls", "none"],
        default_value_t = DEFAULTS.mail_tls.to_string())]
    pub mail_tls: String,

    /// PEM file of extra root certificates to trust for mail (an internal CA)
    #[arg(long, help_heading = NOTIFICATIONS, value_name = "FILE")]
    pub mail_ca_file: Option<String>,

    /// HTTPS and node RPC certificates.
    #[command(flatten)]
    pub tls: crate::tls_flags::AgentTlsArgs,
}

/// Returns the `agent` flags given on the command line, keyed by config key, with their
/// values as typed (one per occurrence). Flags left at their defaults are not included.
pub fn agent_flag_overrides(agent_matches: &ArgMatches) -> BTreeMap<String, Vec<String>> {
    let mut overrides = BTreeMap::new();
    for id in agent_matches.ids() {
        let id = id.as_str();
        let key = id.replace('_', "-");
        // Skips `--config` (global, not a key) and the argument group clap adds for the struct.
        if !known_keys().contains(&key.as_str()) {
            continue;
        }
        if agent_matches.value_source(id) != Some(ValueSource::CommandLine) {
            continue;
        }
        let Some(raw_values) = agent_matches.get_raw(id) else {
            continue;
        };
        let values = raw_values
            .map(|value| value.to_string_lossy().into_owned())
            .collect();
        overrides.insert(key, values);
    }
    overrides
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;

    fn agent_overrides(args: &[&str]) -> BTreeMap<String, Vec<String>> {
        let argv = ["dkron", "agent"].iter().chain(args);
        let matches = Cli::command().try_get_matches_from(argv).unwrap();
        let agent = matches.subcommand_matches("agent").unwrap();
        agent_flag_overrides(agent)
    }

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn only_flags_given_are_overrides() {
        assert!(agent_overrides(&[]).is_empty());
        let overrides = agent_overrides(&[
            "--server",
            "--ui=false",
            "--bootstrap-expect",
            "1",
            "--node-name=n1",
            "--rpc-port",
            "6868",
        ]);
        let expected = BTreeMap::from([
            ("server".to_string(), vec!["true".to_string()]),
            ("ui".to_string(), vec!["false".to_string()]),
            ("bootstrap-expect".to_string(), vec!["1".to_string()]),
            ("node-name".to_string(), vec!["n1".to_string()]),
            ("rpc-port".to_string(), vec!["6868".to_string()]),
        ]);
        assert_eq!(
            overrides, expected,
            "a flag given with its default value still counts"
        );
    }

    #[test]
    fn repeatable_flags_keep_every_occurrence() {
        let overrides = agent_overrides(&[
            "--tag",
            "role=web",
            "--tag=rack=r1",
            "--join",
            "a:8946",
            "--join",
            "b:8946",
            "--webhook-headers",
            "X-A: 1",
        ]);
        assert_eq!(overrides["tag"], ["role=web", "rack=r1"]);
        assert_eq!(overrides["join"], ["a:8946", "b:8946"]);
        assert_eq!(overrides["webhook-headers"], ["X-A: 1"]);
    }

    #[test]
    fn config_is_global_and_not_a_key() {
        for argv in [
            ["dkron", "--config", "/tmp/d.yml", "agent"],
            ["dkron", "agent", "--config", "/tmp/d.yml"],
        ] {
            let matches = Cli::command().try_get_matches_from(argv).unwrap();
            let cli = Cli::from_arg_matches(&matches).unwrap();
            assert_eq!(cli.config, Some(PathBuf::from("/tmp/d.yml")));
            let agent = matches.subcommand_matches("agent").unwrap();
            assert!(agent_flag_overrides(agent).is_empty());
        }
    }

    #[test]
    fn every_agent_flag_is_a_config_key_and_every_flag_key_has_a_flag() {
        let command = Cli::command();
        let agent = command.find_subcommand("agent").unwrap();
        let flags: Vec<&str> = agent
            .get_arguments()
            .filter_map(|arg| arg.get_long())
            .filter(|long| !matches!(*long, "config" | "help" | "version"))
            .collect();
        for flag in &flags {
            assert!(known_keys().contains(flag), "--{flag} is not a config key");
        }
        // Dkron reads these keys from the config file (and environment) only.
        let file_only = ["tags", "bootstrap", "devmode", "reconcileinterval", "acl"];
        for key in known_keys() {
            assert!(
                flags.contains(key) || file_only.contains(key),
                "config key {key} has no flag"
            );
        }
    }

    #[test]
    fn bad_flags_are_usage_errors() {
        for argv in [
            vec!["dkron", "agent", "--no-such-flag"],
            vec!["dkron", "agent", "--rpc-port", "http"],
            vec!["dkron", "agent", "--log-format", "xml"],
            vec!["dkron", "agent", "--server", "true"],
        ] {
            assert!(Cli::try_parse_from(&argv).is_err(), "{argv:?}");
        }
        let cli = Cli::try_parse_from(["dkron", "agent", "--ui=false", "--server=yes"]).unwrap();
        let Command::Agent(args) = cli.command else {
            panic!("parsed as another command");
        };
        assert!(!args.ui && args.server);
    }

    #[test]
    fn help_lists_dkron_flags_with_defaults() {
        let help = Cli::command()
            .find_subcommand_mut("agent")
            .unwrap()
            .render_long_help()
            .to_string();
        for expected in [
            "--bootstrap-expect <COUNT>",
            "--tag <KEY=VALUE>",
            "--ui[=<BOOL>]",
            "[default: 6868]",
            "[default: :8080]",
            "[default: 24h]",
            "Scheduling and history",
        ] {
            assert!(help.contains(expected), "help lacks {expected:?}:\n{help}");
        }
        let top = Cli::command().render_help().to_string();
        for subcommand in ["agent", "keygen", "version", "leave", "raft"] {
            assert!(top.contains(subcommand), "{top}");
        }
    }

    #[test]
    fn admin_commands_default_to_the_loopback_rpc_address() {
        let cli = Cli::try_parse_from(["dkron", "leave"]).unwrap();
        let Command::Leave(target) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(target.rpc_addr, "127.0.0.1:6868");

        let cli =
            Cli::try_parse_from(["dkron", "raft", "list-peers", "--rpc-addr", "10.0.0.1:7000"])
                .unwrap();
        let Command::Raft(RaftCommand::ListPeers(target)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(target.rpc_addr, "10.0.0.1:7000");

        let cli = Cli::try_parse_from(["dkron", "raft", "remove-peer", "--peer-id", "s3"]).unwrap();
        let Command::Raft(RaftCommand::RemovePeer(args)) = cli.command else {
            panic!("parsed as another command");
        };
        assert_eq!(args.peer_id, "s3");
        assert_eq!(args.target.rpc_addr, "127.0.0.1:6868");
    }

    #[test]
    fn remove_peer_requires_a_peer_id_and_raft_a_subcommand() {
        for argv in [
            vec!["dkron", "raft", "remove-peer"],
            vec!["dkron", "raft"],
            vec!["dkron", "raft", "no-such-verb"],
        ] {
            assert!(Cli::try_parse_from(&argv).is_err(), "{argv:?}");
        }
        let help = Cli::command()
            .find_subcommand_mut("leave")
            .unwrap()
            .render_long_help()
            .to_string();
        assert!(help.contains("[default: 127.0.0.1:6868]"), "{help}");
        assert!(help.contains("loopback"), "{help}");
    }
}
