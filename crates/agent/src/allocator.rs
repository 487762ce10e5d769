//! One glibc malloc arena for the agent; jobs keep the environment as it was.
//!
//! glibc gives every thread that allocates its own arena (up to eight per core), and memory
//! freed in one arena is not reused by another: under a steady run load the server's RSS
//! grew about 45 MiB more in two minutes than with a single arena, for the same heap and the
//! same lateness and CPU (bench/RESULTS.md; ADR 9). glibc reads its tunables only when a
//! process starts, so the `dkron` binary starts itself again, once, with
//! `glibc.malloc.arena_max=1` added to `GLIBC_TUNABLES`, before anything else runs.
//!
//! Jobs must not inherit that setting: the restart records what `GLIBC_TUNABLES` was in
//! [`ORIGINAL_TUNABLES`], and the worker's shell executor puts it back for every job process
//! (`dkron_worker::job_environment_changes`, which owns both variable names).
//!
//! An operator who sets `MALLOC_ARENA_MAX`, or `glibc.malloc.arena_max` in
//! `GLIBC_TUNABLES`, keeps their choice: nothing is restarted.

use std::collections::BTreeMap;

pub use dkron_worker::{GLIBC_TUNABLES, ORIGINAL_TUNABLES};

/// The tunable the restart adds.
const ONE_ARENA: &str = "glibc.malloc.arena_max=1";

/// Returns the variables to start the agent again with, or `None` when it runs as it should
/// already: restarted before, or the operator chose the arena count.
pub fn one_arena_restart(env: &BTreeMap<String, String>) -> Option<[(String, String); 2]> {
    if env.contains_key(ORIGINAL_TUNABLES) || env.contains_key("MALLOC_ARENA_MAX") {
        return None;
    }
    let original = env.get(GLIBC_TUNABLES).cloned().unwrap_or_default();
    if original.contains("glibc.malloc.arena_max") {
        return None;
    }
    let tunables = if original.is_empty() {
        ONE_ARENA.to_string()
    } else {
        format!("{original}:{ONE_ARENA}")
    };
    Some([
        (GLIBC_TUNABLES.to_string(), tunables),
        (ORIGINAL_TUNABLES.to_string(), original),
    ])
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
    fn a_plain_start_restarts_once_with_one_arena() {
        let restart = one_arena_restart(&env(&[("PATH", "/bin")])).unwrap();
        assert_eq!(
            restart,
            [
                (GLIBC_TUNABLES.into(), "glibc.malloc.arena_max=1".into()),
                (ORIGINAL_TUNABLES.into(), String::new()),
            ]
        );
        let after: BTreeMap<String, String> = restart.into_iter().collect();
        assert_eq!(one_arena_restart(&after), None, "never twice");
    }

    #[test]
    fn other_tunables_are_kept_and_the_operators_choice_wins() {
        let restart =
            one_arena_restart(&env(&[(GLIBC_TUNABLES, "glibc.malloc.tcache_count=0")])).unwrap();
        assert_eq!(
            restart[0].1,
            "glibc.malloc.tcache_count=0:glibc.malloc.arena_max=1"
        );
        assert_eq!(restart[1].1, "glibc.malloc.tcache_count=0");
        assert_eq!(one_arena_restart(&env(&[("MALLOC_ARENA_MAX", "4")])), None);
        assert_eq!(
            one_arena_restart(&env(&[(GLIBC_TUNABLES, "glibc.malloc.arena_max=8")])),
            None
        );
    }
}
