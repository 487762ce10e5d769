//! Tests of configuration loading: precedence, file discovery, warnings, tags and every
//! validation error. Sources are in-memory maps and temp files; the process environment is
//! never read.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::*;

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
fn the_tag_list_replaces_the_file_tags_map() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "dkron.yml", "tags:\n  rack: r1\n  zone: z1\n");
    let file_only = load(with_file(&path)).unwrap();
    assert_eq!(file_only.tags.len(), 2);

    let sources = ConfigSources {
        flags: flag_map(&[("tag", &["expr=a=b", "empty="])]),
        ..with_file(&path)
    };
    let replaced = load(sources).unwrap();
    let expected = BTreeMap::from([
        ("expr".to_string(), "a=b".to_string()),
        ("empty".to_string(), String::new()),
    ]);
    assert_eq!(
        replaced.tags, expected,
        "split at the first '=', file map dropped"
    );
}

#[test]
fn yaml_tags_may_be_a_list_of_single_entry_maps() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "dkron.yml",
        "tags:\n  - rack: r1\n  - zone: 3\n",
    );
    let config = load(with_file(&path)).unwrap();
    assert_eq!(config.tags["rack"], "r1");
    assert_eq!(config.tags["zone"], "3");
}

#[test]
fn bad_tags_are_rejected_with_dkrons_message() {
    for bad in ["novalue", "=value"] {
        let (error, origin) = invalid(with_flags(&[("tag", &[bad])]));
        assert_eq!(error.to_string(), format!("invalid tag: '{bad}'"));
        assert_eq!(
            origin,
            ValueOrigin::Flag {
                flag: "--tag".to_string()
            }
        );
    }
    let (error, origin) = invalid(with_env(&[("DKRON_TAG", "ok=1 broken")]));
    assert_eq!(
        error,
        ValidationError::InvalidTag {
            tag: "broken".to_string()
        }
    );
    assert_eq!(
        origin,
        ValueOrigin::Env {
            var: "DKRON_TAG".to_string()
        }
    );
}

#[test]
fn raft_multiplier_must_be_between_1_and_10() {
    let error = load(with_flags(&[("raft-multiplier", &["20"])])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "raft-multiplier cannot be 20. Must be between 1 and 10 \
         (set by flag --raft-multiplier)"
    );
    for bad in ["0", "-1", "11"] {
        let (error, _) = invalid(with_env(&[("DKRON_RAFT_MULTIPLIER", bad)]));
        assert_eq!(
            error.to_string(),
            format!("raft-multiplier cannot be {bad}. Must be between 1 and 10")
        );
    }
    assert_eq!(
        load(with_flags(&[("raft-multiplier", &["10"])]))
            .unwrap()
            .raft_multiplier,
        10
    );
}

#[test]
fn encrypt_must_be_base64_of_16_24_or_32_bytes() {
    let key16 = "AAECAwQFBgcICQoLDA0ODw==";
    let config = load(with_env(&[("DKRON_ENCRYPT", key16)])).unwrap();
    assert_eq!(config.encrypt.unwrap().as_bytes().len(), 16);
    for bad in ["not base64!", "AAECAwQFBgcICQ=="] {
        let (error, origin) = invalid(with_env(&[("DKRON_ENCRYPT", bad)]));
        assert!(
            error.to_string().starts_with("invalid encryption key"),
            "{error}"
        );
        assert_eq!(
            origin,
            ValueOrigin::Env {
                var: "DKRON_ENCRYPT".to_string()
            }
        );
    }
}

#[test]
fn named_values_are_checked() {
    let cases: [(&str, &str, &str); 4] = [
        ("log-level", "verbose", "unknown log-level 'verbose'"),
        ("log-format", "xml", "unknown log-format 'xml'"),
        ("profile", "moon", "unknown profile 'moon'"),
        (
            "misfire-policy",
            "sometimes",
            "unknown misfire-policy 'sometimes'",
        ),
    ];
    for (key, value, message) in cases {
        let (error, _) = invalid(with_flags(&[(key, &[value])]));
        assert_eq!(error.key(), key);
        assert!(error.to_string().starts_with(message), "{error}");
    }
    let config = load(with_flags(&[
        ("log-level", &["fatal"]),
        ("log-format", &["json"]),
        ("profile", &["wan"]),
        ("misfire-policy", &["skip"]),
    ]))
    .unwrap();
    assert_eq!(config.log_level, LogLevel::Fatal);
    assert_eq!(config.log_format, LogFormat::Json);
    assert_eq!(config.profile, GossipProfile::Wan);
    assert_eq!(config.misfire_policy, MisfirePolicy::Skip);
}

#[test]
fn durations_use_go_syntax() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(
        dir.path(),
        "dkron.yml",
        "catch-up-window: 90m\nserf-reconnect-timeout: 5s\n",
    );
    let config = load(with_file(&path)).unwrap();
    assert_eq!(config.catch_up_window, Duration::from_secs(5400));
    assert_eq!(config.serf_reconnect_timeout, Duration::from_secs(5));

    let bad_path = write_file(dir.path(), "bad.yml", "retry-interval: 30\n");
    let (error, origin) = invalid(with_file(&bad_path));
    assert_eq!(error.key(), "retry-interval");
    assert!(error.to_string().contains("missing unit"), "{error}");
    assert_eq!(
        origin,
        ValueOrigin::File {
            path: bad_path.clone()
        }
    );
    let message = load(with_file(&bad_path)).unwrap_err().to_string();
    let expected_suffix = format!(
        "(set by `retry-interval` in config file {})",
        bad_path.display()
    );
    assert!(message.ends_with(&expected_suffix), "{message}");
    for key in [
        "serf-reconnect-timeout",
        "catch-up-window",
        "reconcileinterval",
    ] {
        let (error, _) = invalid(with_flags(&[(key, &["soon"])]));
        assert_eq!(error.key(), key);
    }
}

#[test]
fn addresses_are_host_port() {
    let config = load(with_flags(&[
        ("http-addr", &["127.0.0.1:9000"]),
        ("bind-addr", &["10.0.0.5"]),
        ("advertise-addr", &["node1.example:7946"]),
        ("advertise-rpc-port", &["7000"]),
    ]))
    .unwrap();
    assert_eq!(config.http_addr, HostPort::new("127.0.0.1", 9000));
    assert_eq!(
        config.bind_addr,
        HostPort::new("10.0.0.5", 8946),
        "gossip port by default"
    );
    assert_eq!(
        config.advertise_addr,
        Some(HostPort::new("node1.example", 7946))
    );
    assert_eq!(config.advertised_rpc_port(), 7000);
    for bad in [
        "8080",
        "localhost",
        ":0",
        "host:http",
        "{{ GetPrivateIP }}:8080",
    ] {
        let (error, _) = invalid(with_flags(&[("http-addr", &[bad])]));
        assert_eq!(error.key(), "http-addr", "{bad}");
    }
}

#[test]
fn headers_need_a_name_and_a_colon() {
    let (error, _) = invalid(with_flags(&[("webhook-headers", &["no colon here"])]));
    assert_eq!(error.key(), "webhook-headers");
    let (error, _) = invalid(with_flags(&[("pre-webhook-headers", &[": value"])]));
    assert_eq!(error.key(), "pre-webhook-headers");
}

#[test]
fn counts_sizes_and_ports_must_not_be_zero() {
    for key in [
        "execution-retention",
        "ledger-retention",
        "max-output-bytes",
        "rpc-port",
    ] {
        let (error, _) = invalid(with_flags(&[(key, &["0"])]));
        assert_eq!(error, ValidationError::Zero { key });
    }
}

#[test]
fn max_output_bytes_has_an_upper_bound() {
    let (error, _) = invalid(with_flags(&[("max-output-bytes", &["8388609"])]));
    assert_eq!(
        error,
        ValidationError::TooLarge {
            key: "max-output-bytes",
            value: 8_388_609,
            max: 8_388_608,
        }
    );
    assert_eq!(
        error.to_string(),
        "max-output-bytes cannot be 8388609: the most accepted is 8388608"
    );
    let largest = load(with_flags(&[("max-output-bytes", &["8388608"])])).unwrap();
    assert_eq!(largest.max_output_bytes, 8_388_608);
}

#[test]
fn node_name_needs_a_hostname_or_a_value() {
    let no_hostname = ConfigSources {
        hostname: None,
        ..ConfigSources::default()
    };
    let (error, origin) = invalid(no_hostname);
    assert_eq!(error, ValidationError::Empty { key: "node-name" });
    assert_eq!(origin, ValueOrigin::Default);
    let named = ConfigSources {
        hostname: None,
        flags: flag_map(&[("node-name", &["n1"])]),
        ..ConfigSources::default()
    };
    assert_eq!(load(named).unwrap().node_name, "n1");
}

#[test]
fn wrong_types_name_the_key_and_source() {
    let error = load(with_env(&[("DKRON_RPC_PORT", "abc")])).unwrap_err();
    let ConfigError::WrongType { key, origin, .. } = &error else {
        panic!("expected a type error, got {error:?}");
    };
    assert_eq!(key, "rpc-port");
    assert_eq!(
        origin,
        &ValueOrigin::Env {
            var: "DKRON_RPC_PORT".to_string()
        }
    );
    assert!(error.to_string().contains("DKRON_RPC_PORT"), "{error}");

    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "dkron.yml", "server: maybe\n");
    let error = load(with_file(&path)).unwrap_err();
    let ConfigError::WrongType { key, origin, .. } = &error else {
        panic!("expected a type error, got {error:?}");
    };
    assert_eq!(
        (key.as_str(), origin),
        ("server", &ValueOrigin::File { path })
    );

    let error = load(with_flags(&[("mail-port", &["70000"])])).unwrap_err();
    assert!(error.to_string().contains("flag --mail-port"), "{error}");
}

#[test]
fn every_setting_has_a_known_key_and_round_trips_through_a_file() {
    let config = AgentConfig {
        server: true,
        node_name: "n1".to_string(),
        tags: BTreeMap::from([("rack".to_string(), "r1".to_string())]),
        advertise_addr: Some(HostPort::new("10.0.0.9", 8946)),
        advertise_rpc_port: Some(7000),
        retry_join: vec!["10.0.0.1".to_string()],
        retry_interval: Duration::from_millis(1500),
        mail_port: Some(587),
        mail_host: Some("smtp.example".to_string()),
        webhook_headers: vec!["X-A: 1".to_string()],
        log_format: LogFormat::Json,
        misfire_policy: MisfirePolicy::RunAll,
        reconcile_interval: Duration::from_secs(90),
        ..AgentConfig::default()
    };
    let text = serde_json::to_string(&config).unwrap();
    let serialized: BTreeMap<String, serde_json::Value> = serde_json::from_str(&text).unwrap();
    for key in serialized.keys() {
        assert!(
            known_keys().contains(&key.as_str()),
            "{key} is not a known key"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "dkron.json", &text);
    let loaded = load_with_warnings(with_file(&path)).unwrap();
    assert_eq!(loaded.config, config);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
}

#[test]
fn secrets_never_print() {
    let config = load(with_flags(&[
        ("mail-password", &["hunter2"]),
        ("encrypt", &["AAECAwQFBgcICQoLDA0ODw=="]),
    ]))
    .unwrap();
    assert_eq!(config.mail_password.as_ref().unwrap().expose(), "hunter2");
    let printed = format!("{config:?} {}", serde_json::to_string(&config).unwrap());
    assert!(
        !printed.contains("hunter2") && !printed.contains("AAECAw"),
        "{printed}"
    );
}

#[test]
fn known_keys_cover_dkrons_list() {
    let dkron_keys = [
        "server",
        "node-name",
        "bind-addr",
        "advertise-addr",
        "http-addr",
        "profile",
        "join",
        "retry-join",
        "retry-max",
        "retry-interval",
        "raft-multiplier",
        "tag",
        "tags",
        "encrypt",
        "log-level",
        "rpc-port",
        "advertise-rpc-port",
        "bootstrap-expect",
        "data-dir",
        "datacenter",
        "region",
        "serf-reconnect-timeout",
        "ui",
        "mail-host",
        "mail-port",
        "mail-username",
        "mail-password",
        "mail-from",
        "mail-payload",
        "mail-subject-prefix",
        "pre-webhook-endpoint",
        "pre-webhook-payload",
        "pre-webhook-headers",
        "webhook-endpoint",
        "webhook-url",
        "webhook-payload",
        "webhook-headers",
        "cronitor-endpoint",
        "dog-statsd-addr",
        "dog-statsd-tags",
        "statsd-addr",
        "enable-prometheus",
        "otel-endpoint",
        "disable-usage-stats",
        "bootstrap",
        "devmode",
        "reconcileinterval",
    ];
    for key in dkron_keys {
        assert!(known_keys().contains(&key), "{key}");
    }
}

#[test]
fn the_example_file_in_the_docs_loads_without_warnings() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/configuration.md");
    let text = std::fs::read_to_string(docs).unwrap();
    let start = text
        .find("```yaml\n# Node\n")
        .expect("the full example is in the docs")
        + 8;
    let length = text[start..].find("```").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "dkron.yml", &text[start..start + length]);
    let loaded = load_with_warnings(with_file(&path)).unwrap();
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config.node_name, "server-1");
    assert_eq!(loaded.config.bootstrap_expect, 3);
    assert_eq!(loaded.config.retry_join.len(), 3);
}
