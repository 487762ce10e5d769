//! Dkron Pro's TLS flags: the agent's (`cert-file` … `auto-tls`, each a config key) and the
//! ones the administration commands use to reach a node of a protected cluster.

use std::path::PathBuf;

use clap::builder::BoolishValueParser;
use clap::{ArgAction, Args};

const TLS: &str = "TLS (Dkron Pro's flags)";

/// The agent's TLS flags; each long name is a config key.
#[derive(Debug, Args)]
pub struct AgentTlsArgs {
    /// PEM certificate of this node: served by HTTPS and, with --trusted-ca-file, used on
    /// node RPC in both directions
    #[arg(long, help_heading = TLS, value_name = "FILE")]
    pub cert_file: Option<String>,

    /// PEM private key of --cert-file
    #[arg(long, help_heading = TLS, value_name = "FILE")]
    pub key_file: Option<String>,

    /// PEM certificate of the CA that node (and HTTP client) certificates must chain to
    #[arg(long, help_heading = TLS, value_name = "FILE")]
    pub trusted_ca_file: Option<String>,

    /// Require HTTP clients to present a certificate signed by --trusted-ca-file
    #[arg(long, help_heading = TLS, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = false)]
    pub client_cert_auth: bool,

    /// PEM certificate revocation list checked on client certificates (HTTP and RPC)
    #[arg(long, help_heading = TLS, value_name = "FILE")]
    pub client_crl_file: Option<String>,

    /// Serve the API and UI over plain HTTP even with --cert-file (RPC keeps its TLS)
    #[arg(long, help_heading = TLS, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = false)]
    pub disable_http_tls: bool,

    /// Dkron Pro's generated certificates: not supported, only false is accepted (use
    /// dkron tls ca create / cert create, or --encrypt)
    #[arg(long, help_heading = TLS, action = ArgAction::Set, num_args = 0..=1,
        require_equals = true, default_missing_value = "true", value_name = "BOOL",
        value_parser = BoolishValueParser::new(), default_value_t = false)]
    pub auto_tls: bool,
}

/// How an administration command proves itself to a node of a protected cluster.
#[derive(Debug, Args, Clone, Default)]
pub struct ClientTlsArgs {
    /// PEM certificate to present (signed by the cluster's CA)
    #[arg(long, value_name = "FILE", requires = "key_file")]
    pub cert_file: Option<PathBuf>,

    /// PEM private key of --cert-file
    #[arg(long, value_name = "FILE", requires = "cert_file")]
    pub key_file: Option<PathBuf>,

    /// PEM certificate of the CA the node's certificate must chain to
    #[arg(long, value_name = "FILE")]
    pub trusted_ca_file: Option<PathBuf>,
}
