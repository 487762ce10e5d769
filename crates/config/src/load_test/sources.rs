//! Where values come from: defaults, the hostname, config files and their discovery,
//! `DKRON_*` variables, flags, their precedence, and the warnings about unknown keys.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{flag_map, sources, with_env, with_file, with_flags, write_file};
use crate::{
    AgentConfig, ConfigError, ConfigSources, ConfigWarning, HostPort, LogLevel, MisfirePolicy,
    ValueOrigin, load, load_with_warnings,
};

#[test]
fn defaults_match_dkron_and_take_the_hostname() {
    let config = load(sources()).unwrap();
    let expected = AgentConfig {
        node_name: "test-host".to_string(),
        ..AgentConfig::default()
    };
    assert_eq!(config, expected);
    assert_eq!(config.http_addr.to_string(), ":8080");
    assert_eq!(config.bind_addr.to_string(), "0.0.0.0:8946");
    assert_eq!(config.rpc_port, 6868);
    assert_eq!(config.advertised_rpc_port(), 6868);
    assert_eq!(config.data_dir, PathBuf::from("dkron.data"));
    assert_eq!(
        (config.region.as_str(), config.datacenter.as_str()),
        ("global", "dc1")
    );
    assert!(config.ui && !config.server);
    assert_eq!(config.retry_interval, Duration::from_secs(30));
    assert_eq!(config.serf_reconnect_timeout, Duration::from_secs(86_400));
    assert_eq!(config.mail_subject_prefix, "[Dkron]");
    assert_eq!(config.catch_up_window, Duration::from_secs(3600));
    assert_eq!(config.misfire_policy, MisfirePolicy::RunOnce);
    assert_eq!(
        (
            config.execution_retention,
            config.max_output_bytes,
            config.ledger_retention
        ),
        (100, 256_000, 500)
    );
}

#[test]
fn flags_beat_env_beat_file_beat_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "\
datacenter: file-dc
region: file-region
rpc-port: 7001
log-level: debug
";
    let path = write_file(dir.path(), "dkron.yml", yaml);
    let sources = ConfigSources {
        config_file: Some(path),
        env: with_env(&[
            ("DKRON_REGION", "env-region"),
            ("DKRON_RPC_PORT", "7002"),
            ("DKRON_LOG_LEVEL", "warn"),
        ])
        .env,
        flags: flag_map(&[("rpc-port", &["7003"]), ("log-level", &["error"])]),
        ..sources()
    };
    let config = load(sources).unwrap();
    assert_eq!(config.data_dir, PathBuf::from("dkron.data"), "default");
    assert_eq!(config.datacenter, "file-dc", "file over default");
    assert_eq!(config.region, "env-region", "env over file");
    assert_eq!(config.rpc_port, 7003, "flag over env");
    assert_eq!(config.log_level, LogLevel::Error, "flag over env");
}

#[test]
fn toml_and_json_files_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let toml = "\
server = true
bootstrap-expect = 3
retry-join = [\"10.0.0.1\", \"10.0.0.2\"]
retry-interval = \"5s\"

[tags]
rack = \"r1\"
zone = 2
";
    let config = load(with_file(&write_file(dir.path(), "dkron.toml", toml))).unwrap();
    assert!(config.server);
    assert_eq!(config.bootstrap_expect, 3);
    assert_eq!(config.retry_join, ["10.0.0.1", "10.0.0.2"]);
    assert_eq!(config.retry_interval, Duration::from_secs(5));
    let expected_tags = BTreeMap::from([
        ("rack".to_string(), "r1".to_string()),
        ("zone".to_string(), "2".to_string()),
    ]);
    assert_eq!(config.tags, expected_tags);

    let json = r#"{"server": true, "http-addr": "127.0.0.1:9090", "ui": false}"#;
    let config = load(with_file(&write_file(dir.path(), "dkron.json", json))).unwrap();
    assert_eq!(config.http_addr, HostPort::new("127.0.0.1", 9090));
    assert!(!config.ui);
}

#[test]
fn search_dirs_are_tried_in_order_and_the_first_file_wins() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("etc");
    let home = dir.path().join("home");
    write_file(&home, "dkron.yml", "region: from-home-yml\n");
    write_file(&home, "dkron.json", r#"{"region": "from-home-json"}"#);
    let sources = ConfigSources {
        search_dirs: vec![etc.clone(), home.clone(), dir.path().join("missing")],
        ..sources()
    };
    let loaded = load_with_warnings(sources.clone()).unwrap();
    assert_eq!(
        loaded.config.region, "from-home-json",
        "json is tried before yml"
    );
    assert_eq!(loaded.file, Some(home.join("dkron.json")));

    write_file(&etc, "dkron.yaml", "region: from-etc\n");
    assert_eq!(load(sources).unwrap().region, "from-etc");

    let nothing = ConfigSources {
        search_dirs: vec![dir.path().join("missing")],
        ..self::sources()
    };
    assert_eq!(load_with_warnings(nothing).unwrap().file, None);
}

#[test]
fn standard_search_dirs_are_dkrons() {
    let dirs = ConfigSources::standard_search_dirs(Some(Path::new("/home/ops")));
    let expected = ["/etc/dkron", "/home/ops/.dkron", "./config"].map(PathBuf::from);
    assert_eq!(dirs, expected);
}

#[test]
fn a_named_config_file_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let error = load(with_file(&dir.path().join("nope.yml"))).unwrap_err();
    assert!(matches!(error, ConfigError::ReadFile { .. }), "{error:?}");
    assert!(error.to_string().contains("nope.yml"), "{error}");
}

#[test]
fn a_broken_file_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "dkron.yml", "server: [unclosed\n");
    let error = load(with_file(&path)).unwrap_err();
    assert!(matches!(error, ConfigError::ParseFile { .. }), "{error:?}");
    let path = write_file(dir.path(), "list.yml", "- server\n");
    let error = load(with_file(&path)).unwrap_err();
    assert!(error.to_string().contains("map of keys"), "{error}");
}

#[test]
fn a_file_of_comments_only_gives_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "dkron.yml",
        "# server: true\n# bootstrap-expect: 3\n",
    );
    let loaded = load_with_warnings(with_file(&path)).unwrap();
    assert!(!loaded.config.server);
    assert!(loaded.warnings.is_empty());
}

#[test]
fn unknown_file_keys_are_warnings_with_suggestions() {
    let dir = tempfile::tempdir().unwrap();
    let yaml = "server: true\nnode_name: n1\nflux-capacitor: 1\nwebhook-url: http://x\n";
    let path = write_file(dir.path(), "dkron.yml", yaml);
    let loaded = load_with_warnings(with_file(&path)).unwrap();
    assert!(loaded.config.server);
    assert_eq!(
        loaded.config.node_name, "test-host",
        "misspelled keys are ignored"
    );
    let expected = vec![
        ConfigWarning::UnknownKey {
            key: "flux-capacitor".to_string(),
            file: path.clone(),
            suggestion: None,
        },
        ConfigWarning::UnknownKey {
            key: "node_name".to_string(),
            file: path.clone(),
            suggestion: Some("node-name"),
        },
        ConfigWarning::DeprecatedWebhookUrl {
            origin: ValueOrigin::File { path: path.clone() },
        },
    ];
    assert_eq!(loaded.warnings, expected);
    assert!(
        loaded.warnings[1]
            .to_string()
            .contains("did you mean `node-name`")
    );
}

#[test]
fn unknown_env_vars_are_ignored() {
    let loaded = load_with_warnings(with_env(&[
        ("DKRON_NOT_A_KEY", "1"),
        ("DKRON_TAGS", "ignored"),
        ("OTHER_SERVER", "true"),
    ]))
    .unwrap();
    assert!(loaded.warnings.is_empty());
    assert!(!loaded.config.server && loaded.config.tags.is_empty());
}

#[test]
fn env_values_are_parsed_like_dkron() {
    let config = load(with_env(&[
        ("DKRON_SERVER", "T"),
        ("DKRON_UI", "false"),
        ("DKRON_BOOTSTRAP_EXPECT", "3"),
        ("DKRON_JOIN", "10.0.0.1, 10.0.0.2 10.0.0.3"),
        (
            "DKRON_WEBHOOK_HEADERS",
            "Content-Type: application/json,X-Team: on call",
        ),
        ("DKRON_TAG", "role=web  rack=r1"),
        ("DKRON_RECONCILEINTERVAL", "2m"),
        ("DKRON_DEVMODE", "yes"),
        ("DKRON_ENCRYPT", ""),
    ]))
    .unwrap();
    assert!(config.server && !config.ui && config.devmode);
    assert_eq!(config.bootstrap_expect, 3);
    assert_eq!(config.join, ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
    assert_eq!(
        config.webhook_headers,
        ["Content-Type: application/json", "X-Team: on call"]
    );
    assert_eq!(config.tags.len(), 2);
    assert_eq!(config.tags["role"], "web");
    assert_eq!(config.reconcile_interval, Duration::from_secs(120));
    assert_eq!(config.encrypt, None, "an empty variable counts as unset");
}

#[test]
fn repeated_and_comma_separated_flags_are_lists() {
    let config = load(with_flags(&[
        ("join", &["a:8946", "b:8946,c:8946"]),
        ("tag", &["role=web", "rack=r1"]),
        ("server", &["true"]),
        ("ui", &["false"]),
    ]))
    .unwrap();
    assert_eq!(config.join, ["a:8946", "b:8946", "c:8946"]);
    assert_eq!(config.tags.len(), 2);
    assert!(config.server && !config.ui);
}

#[test]
fn cors_allowed_origins_is_a_list_from_env_file_or_flags() {
    assert!(load(sources()).unwrap().cors_allowed_origins.is_empty());
    let from_env = load(with_env(&[(
        "DKRON_CORS_ALLOWED_ORIGINS",
        "https://a.example, https://b.example:8443",
    )]))
    .unwrap();
    assert_eq!(
        from_env.cors_allowed_origins,
        ["https://a.example", "https://b.example:8443"]
    );
    let from_flags = load(with_flags(&[(
        "cors-allowed-origins",
        &["https://a.example", "*"],
    )]))
    .unwrap();
    assert_eq!(from_flags.cors_allowed_origins, ["https://a.example", "*"]);
}
