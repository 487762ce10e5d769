//! `dkron tls ca create` and `dkron tls cert create`: a cluster CA and node certificates
//! without other tools (rcgen), as files the agent's `cert-file`, `key-file` and
//! `trusted-ca-file` take. A node certificate serves HTTPS and RPC and is also the client
//! certificate nodes and commands present.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

/// Subcommands of `dkron tls`.
#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Certificate authorities
    #[command(subcommand)]
    Ca(CaCommand),
    /// Node certificates
    #[command(subcommand)]
    Cert(CertCommand),
}

/// Subcommands of `dkron tls ca`.
#[derive(Debug, Subcommand)]
pub enum CaCommand {
    /// Create a CA for the cluster: <name>.pem and <name>-key.pem
    Create(CaCreateArgs),
}

/// Subcommands of `dkron tls cert`.
#[derive(Debug, Subcommand)]
pub enum CertCommand {
    /// Create a node certificate signed by the CA: <name>.pem and <name>-key.pem
    Create(CertCreateArgs),
}

/// Flags of `dkron tls ca create`.
#[derive(Debug, Args)]
pub struct CaCreateArgs {
    /// Common name of the CA
    #[arg(long, default_value = "dkron-rs cluster CA")]
    pub common_name: String,
    /// Days until the CA expires
    #[arg(long, default_value_t = 1825)]
    pub days: u32,
    /// Base name of the files written
    #[arg(long, default_value = "ca")]
    pub name: String,
    /// Directory the files are written to
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
}

/// Flags of `dkron tls cert create`.
#[derive(Debug, Args)]
pub struct CertCreateArgs {
    /// The CA certificate (from dkron tls ca create)
    #[arg(long, value_name = "FILE", default_value = "ca.pem")]
    pub ca_file: PathBuf,
    /// The CA's private key
    #[arg(long, value_name = "FILE", default_value = "ca-key.pem")]
    pub ca_key_file: PathBuf,
    /// Base name of the files written, and the certificate's common name
    #[arg(long, default_value = "server")]
    pub name: String,
    /// Host name or IP the certificate is for; repeat for more [default: localhost,
    /// 127.0.0.1 and ::1]
    #[arg(long = "host", value_name = "NAME_OR_IP")]
    pub hosts: Vec<String>,
    /// Days until the certificate expires
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// Directory the files are written to
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out_dir: PathBuf,
}

/// Why a `dkron tls` command failed.
#[derive(Debug, thiserror::Error)]
pub enum TlsCommandError {
    /// A file could not be read or written (an existing file is never replaced).
    #[error("{}: {message}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The certificate could not be made.
    #[error(transparent)]
    Issue(#[from] dkron_tls::TlsError),
}

/// Runs a `dkron tls` command; returns the lines naming the files written.
pub fn run(command: TlsCommand) -> Result<String, TlsCommandError> {
    match command {
        TlsCommand::Ca(CaCommand::Create(args)) => {
            let issued = dkron_tls::create_ca(&dkron_tls::CaRequest {
                common_name: args.common_name,
                days: args.days,
            })?;
            write_pair(&args.out_dir, &args.name, &issued)
        }
        TlsCommand::Cert(CertCommand::Create(args)) => {
            let hosts = if args.hosts.is_empty() {
                vec!["localhost".into(), "127.0.0.1".into(), "::1".into()]
            } else {
                args.hosts
            };
            let issued = dkron_tls::create_cert(&dkron_tls::CertRequest {
                common_name: args.name.clone(),
                names: hosts,
                days: args.days,
                ca_cert_pem: read(&args.ca_file)?,
                ca_key_pem: read(&args.ca_key_file)?,
            })?;
            write_pair(&args.out_dir, &args.name, &issued)
        }
    }
}

fn read(path: &Path) -> Result<String, TlsCommandError> {
    std::fs::read_to_string(path).map_err(|error| TlsCommandError::File {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}

/// Writes `<name>.pem` and `<name>-key.pem` (the key readable by its owner only); refuses
/// to replace either.
fn write_pair(
    dir: &Path,
    name: &str,
    issued: &dkron_tls::IssuedPem,
) -> Result<String, TlsCommandError> {
    let cert_path = dir.join(format!("{name}.pem"));
    let key_path = dir.join(format!("{name}-key.pem"));
    for path in [&cert_path, &key_path] {
        if std::fs::symlink_metadata(path).is_ok() {
            return Err(TlsCommandError::File {
                path: path.clone(),
                message: "already exists; not replaced".into(),
            });
        }
    }
    write_new(&key_path, &issued.key_pem, 0o600)?;
    write_new(&cert_path, &issued.cert_pem, 0o644)?;
    Ok(format!(
        "wrote {}\nwrote {}\n",
        cert_path.display(),
        key_path.display()
    ))
}

fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), TlsCommandError> {
    use std::os::unix::fs::OpenOptionsExt;

    let failed = |error: std::io::Error| TlsCommandError::File {
        path: path.to_path_buf(),
        message: error.to_string(),
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(failed)?;
    file.write_all(text.as_bytes()).map_err(failed)
}
