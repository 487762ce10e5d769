//! The HTTP connection limits (ADR 22): defaults, each source, and refused values.

use std::time::Duration;

use super::{invalid, load, sources, with_env, with_file, with_flags, write_file};
use crate::ValidationError;

#[test]
fn http_limits_have_defaults_and_come_from_every_source() {
    let defaults = load(sources()).unwrap();
    assert_eq!(defaults.http_idle_timeout, Duration::from_secs(60));
    assert_eq!(defaults.http_header_timeout, Duration::from_secs(10));
    assert_eq!(defaults.http_max_connections, 0);
    let from_flags = load(with_flags(&[
        ("http-idle-timeout", &["2s"]),
        ("http-header-timeout", &["1500ms"]),
        ("http-max-connections", &["300"]),
    ]))
    .unwrap();
    assert_eq!(from_flags.http_idle_timeout, Duration::from_secs(2));
    assert_eq!(from_flags.http_header_timeout, Duration::from_millis(1500));
    assert_eq!(from_flags.http_max_connections, 300);
    let from_env = load(with_env(&[
        ("DKRON_HTTP_IDLE_TIMEOUT", "5m"),
        ("DKRON_HTTP_MAX_CONNECTIONS", "40"),
    ]))
    .unwrap();
    assert_eq!(from_env.http_idle_timeout, Duration::from_secs(300));
    assert_eq!(from_env.http_max_connections, 40);
    let dir = tempfile::tempdir().unwrap();
    let file = write_file(
        dir.path(),
        "dkron.yml",
        "http-header-timeout: 3s\nhttp-max-connections: 7\n",
    );
    let from_file = load(with_file(&file)).unwrap();
    assert_eq!(from_file.http_header_timeout, Duration::from_secs(3));
    assert_eq!(from_file.http_max_connections, 7);
}

#[test]
fn http_timeouts_must_be_durations_above_zero() {
    let (error, _) = invalid(with_flags(&[("http-idle-timeout", &["soon"])]));
    assert!(
        matches!(
            error,
            ValidationError::InvalidDuration {
                key: "http-idle-timeout",
                ..
            }
        ),
        "{error:?}"
    );
    let (error, _) = invalid(with_env(&[("DKRON_HTTP_HEADER_TIMEOUT", "0s")]));
    assert!(
        matches!(
            error,
            ValidationError::Zero {
                key: "http-header-timeout"
            }
        ),
        "{error:?}"
    );
}
