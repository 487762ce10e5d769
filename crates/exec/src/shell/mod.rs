//! The `shell` executor: runs a command (directly or through `/bin/sh -c`) in its own process
//! group, streams stdout and stderr, and kills the whole group on timeout, memory limit or
//! cancellation.

mod config;
mod memory;
mod process;
mod split;
mod status;
mod user;

use std::sync::Arc;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio_util::sync::CancellationToken;

pub use config::{ShellConfig, SwitchUser};

use crate::{ExecReport, ExecRequest, Executor, OutputSink};
use process::{ProcessPlan, run_process};

/// Variable Dkron sets to the job name.
const ENV_JOB_NAME: &str = "ENV_JOB_NAME";
/// Job name, under our own prefix.
const DKRON_JOB_NAME: &str = "DKRON_JOB_NAME";
/// Execution id of this run.
const DKRON_EXECUTION_ID: &str = "DKRON_EXECUTION_ID";
/// Nominal time of the occurrence, RFC 3339 in UTC.
const DKRON_NOMINAL_TIME: &str = "DKRON_NOMINAL_TIME";

/// Runs a job's command as a local process (Dkron's `shell` executor).
#[derive(Debug, Clone, Default)]
pub struct ShellExecutor {
    /// Changes to the environment jobs inherit from this process, applied before the job's
    /// own variables: a value sets the variable, `None` removes it.
    inherited_changes: Arc<Vec<(String, Option<String>)>>,
}

impl ShellExecutor {
    /// Returns a shell executor whose jobs inherit this process's environment as it is.
    pub fn new() -> Self {
        ShellExecutor::default()
    }

    /// Returns a shell executor whose jobs inherit this process's environment with
    /// `changes` applied (a value sets a variable, `None` removes it).
    pub fn with_inherited_changes(changes: Vec<(String, Option<String>)>) -> Self {
        ShellExecutor {
            inherited_changes: Arc::new(changes),
        }
    }

    async fn run_request(
        &self,
        request: &ExecRequest,
        output: &mut OutputSink,
        cancel: &CancellationToken,
    ) -> ExecReport {
        let config = match ShellConfig::from_map(&request.config) {
            Ok(config) => config,
            Err(error) => return ExecReport::failed(error.to_string()),
        };
        for entry in &config.ignored_env_entries {
            output.write_line(&format!(
                "shell: ignoring env entry {entry:?}: expected KEY=VALUE"
            ));
        }
        let credentials = match &config.su {
            Some(switch_user) => match user::resolve_switch_user(switch_user).await {
                Ok(credentials) => Some(credentials),
                Err(error) => return ExecReport::failed(error.to_string()),
            },
            None => None,
        };
        let mut env = config.env;
        env.extend(job_variables(request));
        let plan = ProcessPlan {
            command_text: config.command,
            argv: config.argv,
            inherited_changes: Arc::clone(&self.inherited_changes),
            env,
            cwd: config.cwd,
            timeout: config.timeout,
            mem_limit_bytes: config.mem_limit_bytes,
            payload: config.payload,
            credentials,
        };
        run_process(plan, output, cancel).await
    }
}

/// The variables every job sees, set after the user's `env` so they cannot be overridden.
fn job_variables(request: &ExecRequest) -> [(String, String); 4] {
    let nominal_time = request
        .nominal_time
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    [
        (ENV_JOB_NAME.to_string(), request.job_name.clone()),
        (DKRON_JOB_NAME.to_string(), request.job_name.clone()),
        (DKRON_EXECUTION_ID.to_string(), request.execution_id.clone()),
        (DKRON_NOMINAL_TIME.to_string(), nominal_time),
    ]
}

impl Executor for ShellExecutor {
    fn run<'run>(
        &'run self,
        request: &'run ExecRequest,
        output: &'run mut OutputSink,
        cancel: &'run CancellationToken,
    ) -> BoxFuture<'run, ExecReport> {
        self.run_request(request, output, cancel).boxed()
    }
}
