//! Starts `dkron agent` again, once, with one glibc malloc arena (see
//! `dkron_agent::allocator` for why and how jobs get their environment back).

use std::collections::BTreeMap;
use std::os::unix::process::CommandExt;

/// Replaces this process with the same program, arguments and environment plus the
/// one-arena tunable, unless it already runs that way. Returns only when no restart is
/// needed or the restart failed (then the agent goes on as it is, with a warning).
pub fn restart_with_one_arena() {
    if !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return;
    }
    let env: BTreeMap<String, String> = std::env::vars_os()
        .filter_map(|(key, value)| Some((key.into_string().ok()?, value.into_string().ok()?)))
        .collect();
    let Some(variables) = dkron_agent::allocator::one_arena_restart(&env) else {
        return;
    };
    let program = match std::env::current_exe() {
        Ok(program) => program,
        Err(error) => {
            eprintln!("warning: cannot find this program to limit its malloc arenas: {error}");
            return;
        }
    };
    let mut args = std::env::args_os();
    let arg0 = args
        .next()
        .unwrap_or_else(|| program.clone().into_os_string());
    let error = std::process::Command::new(&program)
        .arg0(arg0)
        .args(args)
        .envs(variables)
        .exec();
    eprintln!(
        "warning: cannot restart {} with one malloc arena ({error}); memory may grow more under load",
        program.display()
    );
}
