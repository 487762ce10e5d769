//! The environment jobs get: the one this process had before it restarted itself for its
//! allocator, without the node's own configuration.
//!
//! The `dkron` binary starts itself again, once, with one glibc malloc arena (see
//! `dkron_agent::allocator` and ADR 9); the restart records what [`GLIBC_TUNABLES`] was in
//! [`ORIGINAL_TUNABLES`]. Jobs must not inherit that setting: the shell executor puts the
//! original value back for every job process.
//!
//! Every `DKRON_*` variable of this process is configuration of the node (such as
//! `DKRON_MAIL_PASSWORD` or `DKRON_ENCRYPT`), and none of it is the job's business: a job
//! that prints its environment must not print the node's secrets (issue 13, ADR 0017). The
//! shell executor removes them all before it adds the job's own `env` and then its own
//! `DKRON_JOB_NAME`, `DKRON_EXECUTION_ID` and `DKRON_NOMINAL_TIME`.

use std::collections::BTreeMap;
use std::sync::Arc;

use dkron_exec::Registry;

/// glibc's tunables variable.
pub const GLIBC_TUNABLES: &str = "GLIBC_TUNABLES";
/// Set by the restart: `GLIBC_TUNABLES` as it was before (empty when it was not set). Its
/// presence also says the restart happened, so it never happens twice.
pub const ORIGINAL_TUNABLES: &str = "DKRON_RS_ORIGINAL_GLIBC_TUNABLES";

/// Prefix of the node's configuration variables, which jobs do not inherit.
const CONFIG_PREFIX: &str = "DKRON_";

/// Returns the changes that give job processes the environment this process had before the
/// restart, without any `DKRON_*` variable (a value sets a variable, `None` removes it);
/// empty when there was no restart and no `DKRON_*` variable.
pub fn job_environment_changes(env: &BTreeMap<String, String>) -> Vec<(String, Option<String>)> {
    let mut changes: Vec<(String, Option<String>)> = env
        .keys()
        .filter(|name| name.starts_with(CONFIG_PREFIX))
        .map(|name| (name.clone(), None))
        .collect();
    if let Some(original) = env.get(ORIGINAL_TUNABLES) {
        let tunables = (!original.is_empty()).then(|| original.clone());
        changes.push((GLIBC_TUNABLES.to_string(), tunables));
    }
    changes
}

/// [`job_environment_changes`] of this process's own environment: what the shell executor
/// and the plugin host apply to the processes they start.
pub fn this_process_job_environment_changes() -> Vec<(String, Option<String>)> {
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    job_environment_changes(&env)
}

/// The built-in executors, with the shell executor giving jobs the environment this process
/// had before it restarted itself for its allocator, without the node's `DKRON_*` settings.
pub(crate) fn builtin_registry() -> Registry {
    let changes = this_process_job_environment_changes();
    let mut registry = Registry::builtin();
    if !changes.is_empty() {
        registry.register(
            "shell",
            Arc::new(dkron_exec::ShellExecutor::with_inherited_changes(changes)),
        );
    }
    registry
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(key, value)| (key.to_string(), value.to_string()))
            .collect()
    }

    #[test]
    fn jobs_get_the_environment_from_before_the_restart() {
        assert_eq!(job_environment_changes(&env(&[("PATH", "/bin")])), vec![]);
        assert_eq!(
            job_environment_changes(&env(&[
                (GLIBC_TUNABLES, "glibc.malloc.arena_max=1"),
                (ORIGINAL_TUNABLES, "")
            ])),
            vec![
                (ORIGINAL_TUNABLES.to_string(), None),
                (GLIBC_TUNABLES.to_string(), None)
            ]
        );
        assert_eq!(
            job_environment_changes(&env(&[
                (GLIBC_TUNABLES, "a=1:glibc.malloc.arena_max=1"),
                (ORIGINAL_TUNABLES, "a=1")
            ]))[1],
            (GLIBC_TUNABLES.to_string(), Some("a=1".to_string()))
        );
    }

    #[test]
    fn jobs_do_not_inherit_the_nodes_configuration() {
        let changes = job_environment_changes(&env(&[
            ("PATH", "/bin"),
            ("DKRON_MAIL_PASSWORD", "hunter2"),
            ("DKRON_ENCRYPT", "key"),
            ("DKRONISH", "kept"),
        ]));
        assert_eq!(
            changes,
            vec![
                ("DKRON_ENCRYPT".to_string(), None),
                ("DKRON_MAIL_PASSWORD".to_string(), None)
            ]
        );
    }
}
