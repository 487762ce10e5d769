//! `dkron`: the dkron-rs binary.
//!
//! Exit codes: 0 on success, 1 when the configuration is invalid, the agent fails or an
//! administration command fails, 2 for command-line usage errors (clap's convention).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use dkron::cli::{self, Cli, Command};
use dkron::oneshot::{self, Report};
use dkron::{admin, allocator_restart, jobs_file, keygen, logging, tls_cmd, version};
use dkron_config::ConfigSources;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    match cli.command {
        Command::Version => {
            print!("{}", version::version_text());
            ExitCode::SUCCESS
        }
        Command::Keygen => match keygen::generate_key() {
            Ok(key) => {
                println!("{key}");
                ExitCode::SUCCESS
            }
            Err(error) => {
                eprintln!("error: {error:#}");
                ExitCode::FAILURE
            }
        },
        Command::Leave(target) => {
            oneshot::run(admin::leave(target, cli.config.as_deref()), Report::Stdout)
        }
        Command::Raft(raft) => {
            oneshot::run(admin::raft(raft, cli.config.as_deref()), Report::Stdout)
        }
        Command::Tls(command) => oneshot::run(async { tls_cmd::run(command) }, Report::Stdout),
        Command::Backup(args) => oneshot::run(jobs_file::backup(args), Report::Stderr),
        Command::Restore(args) => oneshot::run(jobs_file::restore(args), Report::Stdout),
        Command::Acl(command) => oneshot::run(dkron::acl::run(command), Report::Stdout),
        Command::Agent(_) => {
            // Before any thread exists: glibc reads its tunables only at process start.
            allocator_restart::restart_with_one_arena();
            let agent_matches = matches
                .subcommand_matches("agent")
                .expect("clap parsed the agent subcommand, so its matches exist");
            start_agent(cli.config, cli::agent_flag_overrides(agent_matches))
        }
    }
}

/// Loads the configuration, starts logging and runs the agent until it stops.
fn start_agent(config_file: Option<PathBuf>, flags: BTreeMap<String, Vec<String>>) -> ExitCode {
    let sources = ConfigSources {
        config_file,
        flags,
        ..ConfigSources::from_process()
    };
    let rust_log = sources.env.get("RUST_LOG").cloned();
    let loaded = match dkron_config::load_with_warnings(sources) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprintln!("error: invalid configuration: {error}");
            return ExitCode::FAILURE;
        }
    };
    let agent_config = loaded.config;
    if let Err(error) = logging::init(
        agent_config.log_level,
        agent_config.log_format,
        rust_log.as_deref(),
    ) {
        eprintln!("error: {error:#}");
        return ExitCode::FAILURE;
    }
    match &loaded.file {
        Some(path) => tracing::info!(file = %path.display(), "configuration file loaded"),
        None => tracing::info!("no config file found, using defaults, environment and flags"),
    }
    for warning in &loaded.warnings {
        tracing::warn!(%warning, "configuration warning");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(error = %error, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    let binary = std::env::current_exe().ok();
    let plugin_dirs = dkron_plugin::plugin_dirs(loaded.file.as_deref(), binary.as_deref());
    match runtime.block_on(dkron_agent::run(agent_config, plugin_dirs)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "agent stopped with an error");
            ExitCode::FAILURE
        }
    }
}
