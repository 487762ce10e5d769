//! Where plugins are looked for and how a file name becomes a plugin, as Dkron does it: files
//! named `dkron-executor-*` and `dkron-processor-*` in the plugin directory (`plugins` beside
//! the configuration file used, or `/etc/dkron/plugins` without one), then in the directory of
//! the `dkron` binary; a later find of the same name wins. The name is what follows the second
//! `-`: `dkron-executor-my-thing` is the executor `my-thing`.

use std::fmt;
use std::path::{Path, PathBuf};

/// The plugin directory used when no configuration file was loaded.
pub const DEFAULT_PLUGIN_DIR: &str = "/etc/dkron/plugins";

/// The two kinds of plugin Dkron has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PluginKind {
    /// Runs jobs; speaks go-plugin's gRPC protocol.
    Executor,
    /// Rewrites or ships a run's output; speaks go-plugin's net/rpc protocol.
    Processor,
}

impl PluginKind {
    /// The word of the file name prefix (`dkron-<word>-`).
    pub fn word(self) -> &'static str {
        match self {
            PluginKind::Executor => "executor",
            PluginKind::Processor => "processor",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.word())
    }
}

/// One plugin binary found on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundPlugin {
    /// Executor or processor.
    pub kind: PluginKind,
    /// The name jobs use (`executor: "<name>"`, `processors: {"<name>": …}`).
    pub name: String,
    /// The binary.
    pub path: PathBuf,
}

/// The directories searched, in order: the plugin directory of the configuration, then the
/// binary's own directory (when it is known and differs).
pub fn plugin_dirs(config_file: Option<&Path>, binary: Option<&Path>) -> Vec<PathBuf> {
    let configured = match config_file.and_then(Path::parent) {
        Some(dir) => dir.join("plugins"),
        None => PathBuf::from(DEFAULT_PLUGIN_DIR),
    };
    let mut dirs = vec![configured];
    if let Some(dir) = binary.and_then(Path::parent)
        && !dirs.iter().any(|known| known == dir)
    {
        dirs.push(dir.to_path_buf());
    }
    dirs
}

/// Reads a file name as Dkron does: `dkron-<kind>-<name>`, with a trailing `.exe` dropped.
/// `None` for any other file, and for an empty name.
pub fn parse_file_name(file_name: &str) -> Option<(PluginKind, String)> {
    let mut parts = file_name.splitn(3, '-');
    if parts.next()? != "dkron" {
        return None;
    }
    let kind = match parts.next()? {
        "executor" => PluginKind::Executor,
        "processor" => PluginKind::Processor,
        _ => return None,
    };
    let name = parts.next()?;
    let name = name.strip_suffix(".exe").unwrap_or(name);
    (!name.is_empty()).then(|| (kind, name.to_string()))
}

/// Lists the plugins in `dirs`, searched in order, a later find of the same kind and name
/// replacing an earlier one (logged). A directory that does not exist is skipped quietly: the
/// default one usually does not. Directories are never plugins; whether a file can run is
/// found out when it is started, where the error is reported with the plugin.
pub fn discover(dirs: &[PathBuf]) -> Vec<FoundPlugin> {
    let mut found: Vec<FoundPlugin> = Vec::new();
    for dir in dirs {
        for plugin in plugins_in(dir) {
            if let Some(earlier) = found
                .iter_mut()
                .find(|known| known.kind == plugin.kind && known.name == plugin.name)
            {
                tracing::info!(kind = %plugin.kind, plugin = %plugin.name,
                    replaced = %earlier.path.display(), by = %plugin.path.display(),
                    "a plugin of the same name found later replaces the earlier one");
                *earlier = plugin;
            } else {
                found.push(plugin);
            }
        }
    }
    found
}

fn plugins_in(dir: &Path) -> Vec<FoundPlugin> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(error) => {
            tracing::warn!(dir = %dir.display(), %error, "plugin directory not readable; no plugin taken from it");
            return Vec::new();
        }
    };
    let mut plugins: Vec<FoundPlugin> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().is_file())
        .filter_map(|entry| {
            let file_name = entry.file_name().into_string().ok()?;
            let (kind, name) = parse_file_name(&file_name)?;
            Some(FoundPlugin {
                kind,
                name,
                path: entry.path(),
            })
        })
        .collect();
    // Glob order, as go-plugin's Discover returns it.
    plugins.sort_by(|a, b| a.path.cmp(&b.path));
    plugins
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_third_dash_separated_part() {
        assert_eq!(
            parse_file_name("dkron-executor-my-thing"),
            Some((PluginKind::Executor, "my-thing".to_string()))
        );
        assert_eq!(
            parse_file_name("dkron-processor-files.exe"),
            Some((PluginKind::Processor, "files".to_string()))
        );
        for other in [
            "dkron",
            "dkron-executor",
            "dkron-executor-",
            "dkron-executor-.exe",
            "dkron-notifier-x",
            "xdkron-executor-x",
            "README.md",
        ] {
            assert_eq!(parse_file_name(other), None, "{other}");
        }
    }

    #[test]
    fn the_config_files_plugins_directory_comes_first_then_the_binarys() {
        assert_eq!(
            plugin_dirs(
                Some(Path::new("/srv/dkron/dkron.yml")),
                Some(Path::new("/usr/local/bin/dkron"))
            ),
            vec![
                PathBuf::from("/srv/dkron/plugins"),
                PathBuf::from("/usr/local/bin")
            ]
        );
        assert_eq!(
            plugin_dirs(None, Some(Path::new("/etc/dkron/plugins/dkron"))),
            vec![PathBuf::from(DEFAULT_PLUGIN_DIR)]
        );
        assert_eq!(
            plugin_dirs(None, None),
            vec![PathBuf::from(DEFAULT_PLUGIN_DIR)]
        );
    }

    #[test]
    fn a_later_directory_wins_and_other_files_are_ignored() {
        let first = tempfile::tempdir().expect("temp dir");
        let second = tempfile::tempdir().expect("temp dir");
        for (dir, file) in [
            (&first, "dkron-executor-echo"),
            (&first, "dkron-processor-upper"),
            (&first, "notes.txt"),
            (&second, "dkron-executor-echo"),
        ] {
            std::fs::write(dir.path().join(file), "").expect("write");
        }
        std::fs::create_dir(first.path().join("dkron-executor-adir")).expect("mkdir");
        let found = discover(&[
            first.path().to_path_buf(),
            second.path().to_path_buf(),
            first.path().join("missing"),
        ]);
        assert_eq!(
            found,
            vec![
                FoundPlugin {
                    kind: PluginKind::Executor,
                    name: "echo".into(),
                    path: second.path().join("dkron-executor-echo"),
                },
                FoundPlugin {
                    kind: PluginKind::Processor,
                    name: "upper".into(),
                    path: first.path().join("dkron-processor-upper"),
                },
            ]
        );
    }
}
