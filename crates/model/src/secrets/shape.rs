//! Which configuration keys hold secrets, and in what form.
//!
//! The rules read key names only, so they cover every executor and processor, including
//! ones this build does not run (a Dkron job for `kafka` or `nats` keeps its password
//! hidden too).

use super::lists::{redact_env, redact_headers, restore_env, restore_headers};
use super::names::{is_secret_name, normalized};
use super::placeholder::{NoStoredValue, REDACTED};
use super::url::{redact_urls, restore_urls};

/// How a key's value carries secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SecretShape {
    /// The whole value is secret (`password`, `saslPassword`, `token`, …).
    Whole,
    /// A comma-separated `KEY=VALUE` list whose every value is secret (the `env` key).
    EnvList,
    /// A JSON array of `"Name: value"` headers; credential headers' values are secret.
    HeaderList,
    /// One or more comma-separated URLs; passwords in their user info and credential query
    /// parameters are secret.
    UrlCredentials,
}

/// Returns how the value of configuration key `key` holds secrets, if it does.
pub(super) fn shape_of_key(key: &str) -> Option<SecretShape> {
    let name = normalized(key);
    if name == "env" {
        Some(SecretShape::EnvList)
    } else if name == "headers" {
        Some(SecretShape::HeaderList)
    } else if is_secret_name(&name) {
        Some(SecretShape::Whole)
    } else if ["url", "uri", "dsn"].iter().any(|end| name.ends_with(end)) {
        Some(SecretShape::UrlCredentials)
    } else {
        None
    }
}

/// Returns `value` with its secrets replaced by [`REDACTED`]; empty secrets stay empty.
pub(super) fn redact_value(shape: SecretShape, value: &str) -> String {
    match shape {
        SecretShape::Whole if value.is_empty() => String::new(),
        SecretShape::Whole => REDACTED.to_owned(),
        SecretShape::EnvList => redact_env(value),
        SecretShape::HeaderList => redact_headers(value),
        SecretShape::UrlCredentials => redact_urls(value),
    }
}

/// Returns `submitted` with each placeholder replaced by the secret it stands for in
/// `stored` (the value of the same key in the stored job).
pub(super) fn restore_value(
    shape: SecretShape,
    submitted: &str,
    stored: Option<&str>,
) -> Result<String, NoStoredValue> {
    if !submitted.contains(REDACTED) {
        return Ok(submitted.to_owned());
    }
    let stored = stored.filter(|value| !value.is_empty());
    if submitted == REDACTED {
        // Whole values, and lists that could not be read and were hidden whole.
        return stored
            .map(str::to_owned)
            .ok_or_else(|| NoStoredValue("its value".to_owned()));
    }
    let stored = stored.unwrap_or("");
    match shape {
        // Only the exact placeholder stands for a secret; other text is the user's own.
        SecretShape::Whole => Ok(submitted.to_owned()),
        SecretShape::EnvList => restore_env(submitted, stored),
        SecretShape::HeaderList => restore_headers(submitted, stored),
        SecretShape::UrlCredentials => restore_urls(submitted, stored),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_decide_the_shape() {
        assert_eq!(shape_of_key("env"), Some(SecretShape::EnvList));
        assert_eq!(shape_of_key("headers"), Some(SecretShape::HeaderList));
        for key in [
            "password",
            "saslPassword",
            "api_key",
            "X-API-KEY",
            "token",
            "client_secret",
            "webhook_url",
        ] {
            assert_eq!(shape_of_key(key), Some(SecretShape::Whole), "{key}");
        }
        assert_eq!(shape_of_key("url"), Some(SecretShape::UrlCredentials));
        assert_eq!(
            shape_of_key("databaseUrl"),
            Some(SecretShape::UrlCredentials)
        );
        for key in [
            "command",
            "shell",
            "body",
            "tlsCertificateKeyFile",
            "key",
            "topic",
            "method",
        ] {
            assert_eq!(shape_of_key(key), None, "{key}");
        }
    }

    #[test]
    fn a_lone_placeholder_without_a_stored_value_is_refused() {
        assert_eq!(
            restore_value(SecretShape::Whole, REDACTED, Some("")),
            Err(NoStoredValue("its value".to_owned()))
        );
        assert_eq!(
            restore_value(SecretShape::Whole, REDACTED, Some("hunter2")).as_deref(),
            Ok("hunter2")
        );
        assert_eq!(
            restore_value(SecretShape::Whole, "new-password", Some("hunter2")).as_deref(),
            Ok("new-password")
        );
    }
}
