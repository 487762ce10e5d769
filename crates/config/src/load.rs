//! Finding and merging the configuration sources: defaults < config file < `DKRON_*`
//! environment variables < command-line flags.
//!
//! Each source becomes one figment provider holding plain values; figment merges them and
//! remembers which provider supplied each key, so errors can name the source.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use figment::providers::{Format, Json, Toml, Yaml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use crate::agent_config::AgentConfig;
use crate::error::{ConfigError, ConfigWarning, ValidationError, ValueOrigin};
use crate::lenient::{ListSeparators, split_list, struct_field_names};
use crate::raw::RawAgentConfig;

/// Prefix of the environment variables the agent reads.
const ENV_PREFIX: &str = "DKRON_";

/// File name searched for, without extension.
const CONFIG_FILE_STEM: &str = "dkron";

/// Extensions tried in each search directory, in viper's order.
const CONFIG_FILE_EXTENSIONS: [&str; 4] = ["json", "toml", "yaml", "yml"];

/// Keys whose value is a list.
const LIST_KEYS: [&str; 7] = [
    "tag",
    "cors-allowed-origins",
    "join",
    "retry-join",
    "pre-webhook-headers",
    "webhook-headers",
    "dog-statsd-tags",
];

/// Keys read only from the config file, never from the environment or flags.
const FILE_ONLY_KEYS: [&str; 2] = ["tags", "acl"];

/// Names of the figment providers, used to tell where a value came from.
const HOSTNAME_LAYER: &str = "hostname";
const FILE_LAYER: &str = "config file";
const ENV_LAYER: &str = "environment";
const FLAG_LAYER: &str = "command line";

/// Everything `load` reads, gathered by the caller so that tests control every input.
#[derive(Debug, Clone, Default)]
pub struct ConfigSources {
    /// A config file named with `--config`; it must exist. `None` searches `search_dirs`.
    pub config_file: Option<PathBuf>,
    /// Directories searched in order for `dkron.{json,toml,yaml,yml}`; the first file found
    /// is used.
    pub search_dirs: Vec<PathBuf>,
    /// Environment variables by name; only `DKRON_*` ones for known keys are read.
    pub env: BTreeMap<String, String>,
    /// Flags the user passed, by key without the leading `--` (`rpc-port`), each with its
    /// values as typed, one per occurrence. Flags left at their default must not appear.
    pub flags: BTreeMap<String, Vec<String>>,
    /// The default `node-name`: the machine's hostname.
    pub hostname: Option<String>,
}

impl ConfigSources {
    /// Returns the sources of this process: its environment, Dkron's search directories and
    /// the hostname. No config file is named and no flags are set.
    pub fn from_process() -> Self {
        let env: BTreeMap<String, String> = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .collect();
        let home = env.get("HOME").map(PathBuf::from);
        let hostname = system_hostname(&env);
        ConfigSources {
            config_file: None,
            search_dirs: Self::standard_search_dirs(home.as_deref()),
            env,
            flags: BTreeMap::new(),
            hostname,
        }
    }

    /// Returns Dkron's search directories: `/etc/dkron`, `$HOME/.dkron`, `./config`.
    pub fn standard_search_dirs(home: Option<&Path>) -> Vec<PathBuf> {
        let mut dirs = vec![PathBuf::from("/etc/dkron")];
        if let Some(home) = home {
            dirs.push(home.join(".dkron"));
        }
        dirs.push(PathBuf::from("./config"));
        dirs
    }
}

/// Returns the machine's hostname as Go's `os.Hostname` finds it on Linux, falling back to
/// `/etc/hostname` and then the `HOSTNAME` variable.
fn system_hostname(env: &BTreeMap<String, String>) -> Option<String> {
    let from_files = ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .filter_map(|path| fs::read_to_string(path).ok())
        .map(|text| text.trim().to_string())
        .find(|name| !name.is_empty());
    from_files.or_else(|| {
        env.get("HOSTNAME")
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
    })
}

/// A loaded configuration with what the caller should log about it.
#[derive(Debug, Clone)]
pub struct LoadedConfig {
    /// The validated configuration.
    pub config: AgentConfig,
    /// Ignored settings that are probably mistakes, to be logged as warnings.
    pub warnings: Vec<ConfigWarning>,
    /// The config file that was read, if any.
    pub file: Option<PathBuf>,
}

/// Returns every key the agent accepts (config file keys; flags and `DKRON_*` use the same).
pub fn known_keys() -> &'static [&'static str] {
    static KEYS: OnceLock<&'static [&'static str]> = OnceLock::new();
    KEYS.get_or_init(struct_field_names::<RawAgentConfig>)
}

/// Loads and validates the configuration; warnings are dropped (see [`load_with_warnings`]).
pub fn load(sources: ConfigSources) -> Result<AgentConfig, ConfigError> {
    load_with_warnings(sources).map(|loaded| loaded.config)
}

/// Loads and validates the configuration, returning the warnings and the file read.
pub fn load_with_warnings(sources: ConfigSources) -> Result<LoadedConfig, ConfigError> {
    let file = match &sources.config_file {
        Some(path) => Some(path.clone()),
        None => find_config_file(&sources.search_dirs)?,
    };
    let mut warnings = Vec::new();
    let mut figment = Figment::new();
    if let Some(hostname) = sources.hostname.as_deref().filter(|name| !name.is_empty()) {
        let mut values = Dict::new();
        values.insert("node-name".to_string(), Value::from(hostname));
        figment = figment.merge(Layer::new(Metadata::named(HOSTNAME_LAYER), values));
    }
    if let Some(path) = &file {
        let values = read_config_file(path)?;
        warnings.extend(unknown_key_warnings(&values, path));
        let metadata = Metadata::from(FILE_LAYER, path.as_path());
        figment = figment.merge(Layer::new(metadata, values));
    }
    figment = figment
        .merge(Layer::new(
            Metadata::named(ENV_LAYER),
            env_values(&sources.env),
        ))
        .merge(Layer::new(
            Metadata::named(FLAG_LAYER),
            flag_values(&sources.flags),
        ));

    let raw: RawAgentConfig = figment.extract_lossy().map_err(wrong_type_error)?;
    if raw.webhook_url.is_some() {
        warnings.push(ConfigWarning::DeprecatedWebhookUrl {
            origin: origin_of_key(&figment, "webhook-url"),
        });
    }
    let invalid = |error: ValidationError| {
        let origin = origin_of_key(&figment, error.key());
        ConfigError::Invalid { error, origin }
    };
    let config = raw.into_config(AgentConfig::default()).map_err(invalid)?;
    config.validate().map_err(invalid)?;
    Ok(LoadedConfig {
        config,
        warnings,
        file,
    })
}

/// One source of values, named so that errors can say where a value came from.
struct Layer {
    metadata: Metadata,
    values: Dict,
}

impl Layer {
    fn new(metadata: Metadata, values: Dict) -> Self {
        Layer { metadata, values }
    }
}

impl Provider for Layer {
    fn metadata(&self) -> Metadata {
        self.metadata.clone()
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.values.clone()))
    }
}

/// Returns the first `dkron.<ext>` file in the search directories.
fn find_config_file(search_dirs: &[PathBuf]) -> Result<Option<PathBuf>, ConfigError> {
    for dir in search_dirs {
        for extension in CONFIG_FILE_EXTENSIONS {
            let candidate = dir.join(format!("{CONFIG_FILE_STEM}.{extension}"));
            match fs::metadata(&candidate) {
                Ok(metadata) if metadata.is_file() => return Ok(Some(candidate)),
                Ok(_) => {}
                Err(error)
                    if matches!(
                        error.kind(),
                        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                    ) => {}
                Err(source) => {
                    return Err(ConfigError::ReadFile {
                        path: candidate,
                        source,
                    });
                }
            }
        }
    }
    Ok(None)
}

/// Reads a config file in the format its extension names (YAML for any other extension).
fn read_config_file(path: &Path) -> Result<Dict, ConfigError> {
    let text = fs::read_to_string(path).map_err(|source| ConfigError::ReadFile {
        path: path.to_path_buf(),
        source,
    })?;
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    let parsed: Result<Value, String> = match extension.as_deref() {
        Some("json") => Json::from_str(&text).map_err(|error| error.to_string()),
        Some("toml") => Toml::from_str(&text).map_err(|error| error.to_string()),
        _ => Yaml::from_str(&text).map_err(|error| error.to_string()),
    };
    let parse_error = |message: String| ConfigError::ParseFile {
        path: path.to_path_buf(),
        message,
    };
    match parsed.map_err(parse_error)? {
        Value::Dict(_, values) => Ok(values),
        // A file with nothing but comments, like Dkron's example file.
        Value::Empty(..) => Ok(Dict::new()),
        _ => Err(parse_error(
            "the top level must be a map of keys".to_string(),
        )),
    }
}

fn unknown_key_warnings(values: &Dict, path: &Path) -> Vec<ConfigWarning> {
    let known = known_keys();
    values
        .keys()
        .filter(|key| !known.contains(&key.as_str()))
        .map(|key| {
            let normalized = key.to_ascii_lowercase().replace('_', "-");
            ConfigWarning::UnknownKey {
                key: key.clone(),
                file: path.to_path_buf(),
                suggestion: known
                    .iter()
                    .copied()
                    .find(|known_key| *known_key == normalized),
            }
        })
        .collect()
}

/// Reads `DKRON_*` variables of known keys; empty values count as unset, as in Dkron.
fn env_values(env: &BTreeMap<String, String>) -> Dict {
    let known = known_keys();
    let mut values = Dict::new();
    for (name, text) in env {
        let Some(suffix) = name.strip_prefix(ENV_PREFIX) else {
            continue;
        };
        let key = suffix.to_ascii_lowercase().replace('_', "-");
        let readable = known.contains(&key.as_str()) && !FILE_ONLY_KEYS.contains(&key.as_str());
        if !readable || text.trim().is_empty() {
            continue;
        }
        let value = match env_list_separators(&key) {
            Some(separators) => Value::from(split_list(text, separators)),
            None => Value::from(text.as_str()),
        };
        values.insert(key, value);
    }
    values
}

/// How a list key's environment variable is cut into items.
fn env_list_separators(key: &str) -> Option<ListSeparators> {
    match key {
        "tag" => Some(ListSeparators::Whitespace),
        "pre-webhook-headers" | "webhook-headers" => Some(ListSeparators::Commas),
        _ if LIST_KEYS.contains(&key) => Some(ListSeparators::CommasAndWhitespace),
        _ => None,
    }
}

/// Turns flags into values: list flags gather every occurrence, each split at commas as
/// Dkron's flag parser does; any other flag keeps its last occurrence.
fn flag_values(flags: &BTreeMap<String, Vec<String>>) -> Dict {
    let mut values = Dict::new();
    for (key, occurrences) in flags {
        debug_assert!(
            known_keys().contains(&key.as_str()),
            "flag --{key} is not a config key"
        );
        let value = if LIST_KEYS.contains(&key.as_str()) {
            let items: Vec<String> = occurrences
                .iter()
                .flat_map(|text| split_list(text, ListSeparators::Commas))
                .collect();
            Value::from(items)
        } else {
            match occurrences.last() {
                Some(text) => Value::from(text.as_str()),
                None => continue,
            }
        };
        values.insert(key.clone(), value);
    }
    values
}

/// Returns the name of the environment variable for a key.
fn env_var_name(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.to_ascii_uppercase().replace('-', "_"))
}

/// Returns where the value of a top-level key came from.
fn origin_of_key(figment: &Figment, key: &str) -> ValueOrigin {
    let metadata = figment.find_metadata(key).or_else(|| match key {
        // An empty tag name can come from the file's `tags` map as well as from `tag`.
        "tag" => figment.find_metadata("tags"),
        _ => None,
    });
    origin_of(metadata, key)
}

fn origin_of(metadata: Option<&Metadata>, key: &str) -> ValueOrigin {
    let Some(metadata) = metadata else {
        return ValueOrigin::Default;
    };
    let top_level_key = key.split('.').next().unwrap_or(key);
    match metadata.name.as_ref() {
        FILE_LAYER => ValueOrigin::File {
            path: metadata
                .source
                .as_ref()
                .and_then(|source| source.file_path())
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        },
        ENV_LAYER => ValueOrigin::Env {
            var: env_var_name(top_level_key),
        },
        FLAG_LAYER => ValueOrigin::Flag {
            flag: format!("--{top_level_key}"),
        },
        HOSTNAME_LAYER => ValueOrigin::Hostname,
        _ => ValueOrigin::Default,
    }
}

/// Turns figment's extraction error (a value of the wrong shape) into a `ConfigError`.
fn wrong_type_error(error: figment::Error) -> ConfigError {
    let key = error.path.join(".");
    ConfigError::WrongType {
        origin: origin_of(error.metadata.as_ref(), &key),
        message: error.kind.to_string(),
        key,
    }
}
