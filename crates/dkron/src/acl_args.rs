//! The command line of `dkron acl …` (Dkron Pro's flag names); `acl.rs` runs it.

use clap::{Args, Subcommand};

/// The REST API address used when none is given.
pub(crate) const DEFAULT_HTTP_ADDR: &str = "127.0.0.1:8080";

/// The server an ACL command talks to.
#[derive(Debug, Args)]
pub struct AclTarget {
    /// HTTP address of a server (its --http-addr) [default: 127.0.0.1:8080]
    #[arg(long, value_name = "HOST:PORT")]
    pub http_addr: Option<String>,

    /// ACL token secret (a management token for everything but bootstrap)
    #[arg(
        long,
        value_name = "SECRET",
        env = "DKRON_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,

    /// Pro's gRPC address flag: not used (dkron-rs' ACL commands use the HTTP API); give
    /// --http-addr instead
    #[arg(long, value_name = "HOST:PORT")]
    pub rpc_addr: Option<String>,

    /// The server's HTTPS certificates (Pro's flags).
    #[command(flatten)]
    pub tls: crate::tls_flags::ClientTlsArgs,
}

/// `dkron acl` subcommands.
#[derive(Debug, Subcommand)]
pub enum AclCommand {
    /// Make the first management token (works once per cluster)
    Bootstrap(AclTarget),
    /// Operate ACL policies
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Operate ACL tokens
    #[command(subcommand)]
    Token(TokenCommand),
}

/// `dkron acl policy` subcommands.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Create or replace a policy from a rules file
    Apply {
        /// Policy name
        #[arg(long, short)]
        name: String,
        /// Path to the file containing the policy rules (JSON)
        #[arg(long, short, value_name = "FILE")]
        rules_file: std::path::PathBuf,
        /// The server.
        #[command(flatten)]
        target: AclTarget,
    },
    /// Delete a policy
    Delete(NamedPolicy),
    /// Print a policy
    Info(NamedPolicy),
    /// List the policies
    List(AclTarget),
}

/// A policy named on the command line, positionally or with --name.
#[derive(Debug, Args)]
pub struct NamedPolicy {
    /// Policy name
    #[arg(value_name = "NAME", required_unless_present = "name")]
    pub positional: Option<String>,
    /// Policy name (the same as the positional argument)
    #[arg(long, short)]
    pub name: Option<String>,
    /// The server.
    #[command(flatten)]
    pub target: AclTarget,
}

/// `dkron acl token` subcommands.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is printed once
    Create {
        /// Sets the human readable name for the ACL token
        #[arg(long, short)]
        name: String,
        /// Sets the type of token: "client" or "management"
        #[arg(long = "type", short = 't', default_value = "client")]
        kind: String,
        /// A policy for a client token; repeat for more
        #[arg(long, short, default_value = "default")]
        policy: Vec<String>,
        /// A Go duration (24h, 90m) after which the token stops working
        #[arg(long, value_name = "DURATION")]
        expiration_ttl: Option<String>,
        /// The server.
        #[command(flatten)]
        target: AclTarget,
    },
    /// Print a token (never its secret)
    Info(NamedToken),
    /// List the tokens
    List(AclTarget),
    /// Delete a token
    Delete(NamedToken),
}

/// A token named by its accessor id.
#[derive(Debug, Args)]
pub struct NamedToken {
    /// The token's accessor id
    #[arg(value_name = "ACCESSOR_ID")]
    pub accessor: String,
    /// The server.
    #[command(flatten)]
    pub target: AclTarget,
}
