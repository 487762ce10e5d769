//! Tests of configuration loading: precedence, file discovery, warnings, tags and every
//! validation error. Sources are in-memory maps and temp files; the process environment is
//! never read. The shared helpers are here, the tests in one child module per topic.

mod acl;
mod http_limits;
mod keys;
mod sources;
mod tls;
mod values;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::{ConfigError, ConfigSources, ValidationError, ValueOrigin, load};

fn sources() -> ConfigSources {
    ConfigSources {
        hostname: Some("test-host".to_string()),
        ..ConfigSources::default()
    }
}

fn with_env(pairs: &[(&str, &str)]) -> ConfigSources {
    ConfigSources {
        env: pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        ..sources()
    }
}

fn with_flags(pairs: &[(&str, &[&str])]) -> ConfigSources {
    ConfigSources {
        flags: flag_map(pairs),
        ..sources()
    }
}

fn flag_map(pairs: &[(&str, &[&str])]) -> BTreeMap<String, Vec<String>> {
    pairs
        .iter()
        .map(|(key, values)| {
            let values = values.iter().map(|value| value.to_string()).collect();
            (key.to_string(), values)
        })
        .collect()
}

fn write_file(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().expect("file paths have a parent")).unwrap();
    std::fs::write(&path, contents).unwrap();
    path
}

fn with_file(path: &Path) -> ConfigSources {
    ConfigSources {
        config_file: Some(path.to_path_buf()),
        ..sources()
    }
}

fn invalid(sources: ConfigSources) -> (ValidationError, ValueOrigin) {
    match load(sources) {
        Err(ConfigError::Invalid { error, origin }) => (error, origin),
        other => panic!("expected a validation error, got {other:?}"),
    }
}
