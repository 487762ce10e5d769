//! The set of keys: every setting round-trips through a file under a known key, secrets never
//! print, Dkron's keys are all known, and the documented example loads cleanly.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use super::{with_file, with_flags, write_file};
use crate::{
    AgentConfig, HostPort, LogFormat, MisfirePolicy, known_keys, load, load_with_warnings,
};

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
