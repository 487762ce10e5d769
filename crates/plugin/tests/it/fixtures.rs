//! The fixture plugins: Go programs in `crates/plugin/fixtures/<binary name>/`, built from
//! source against Debian's go-plugin by `scripts/build-test-plugins` (once per test process;
//! the script takes a lock and Go's cache makes a rebuild cheap).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the fixtures (first call only) and returns the path of the binary `name`. Fails the
/// test when the build fails: the fixtures are part of the suite, never skipped.
pub fn fixture_plugin(name: &str) -> PathBuf {
    static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let output = std::process::Command::new(repo_root().join("scripts/build-test-plugins"))
            .output()
            .map_err(|error| format!("cannot run scripts/build-test-plugins: {error}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "scripts/build-test-plugins failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    });
    if let Err(error) = built {
        panic!("{error}");
    }
    let path = repo_root().join("target/test-plugins").join(name);
    assert!(
        path.is_file(),
        "fixture plugin {} was not built",
        path.display()
    );
    path
}

/// Copies fixture `name` into `dir` under `file_name` (as a user would install it) and
/// returns the copy's path.
pub fn install_fixture(name: &str, dir: &Path, file_name: &str) -> PathBuf {
    let target = dir.join(file_name);
    std::fs::copy(fixture_plugin(name), &target).expect("copy fixture plugin");
    target
}

/// Whether process `pid` runs: an exited process not yet reaped (a zombie) counts as gone.
pub fn process_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // The state follows the command name, which is in parentheses and may hold spaces.
        stat.rfind(')')
            .and_then(|end| stat[end + 1..].split_whitespace().next())
            .is_some_and(|state| state != "Z")
    })
}
