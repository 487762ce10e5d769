//! How values are read and checked: tags, named values, durations, addresses, headers,
//! counts and sizes, and the errors that name the key and its source.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{flag_map, invalid, with_env, with_file, with_flags, write_file};
use crate::{
    ConfigError, ConfigSources, GossipProfile, HostPort, LogFormat, LogLevel, MisfirePolicy,
    ValidationError, ValueOrigin, load,
};

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
        "audit-retention",
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
fn the_audit_log_keeps_ten_thousand_entries_for_ninety_days_unless_told_otherwise() {
    let defaults = load(with_flags(&[])).unwrap();
    assert_eq!(defaults.audit_retention, 10_000);
    assert_eq!(defaults.audit_max_age, Duration::from_secs(90 * 24 * 3600));
    let set = load(with_flags(&[
        ("audit-retention", &["50"]),
        ("audit-max-age", &["0s"]),
    ]))
    .unwrap();
    assert_eq!(set.audit_retention, 50);
    assert_eq!(set.audit_max_age, Duration::ZERO);
    let (error, _) = invalid(with_flags(&[("audit-max-age", &["soon"])]));
    assert_eq!(error.key(), "audit-max-age");
    let from_env = load(with_env(&[
        ("DKRON_AUDIT_RETENTION", "7"),
        ("DKRON_AUDIT_MAX_AGE", "24h"),
    ]))
    .unwrap();
    assert_eq!(from_env.audit_retention, 7);
    assert_eq!(from_env.audit_max_age, Duration::from_secs(24 * 3600));
}
