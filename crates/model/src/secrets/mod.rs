//! Which job fields are secrets, how they are hidden in what the server shows, and how a
//! hidden value sent back is replaced by the stored secret.
//!
//! Secrets live in the string maps of `executor_config` and of each processor: every value
//! of `env`; keys named like credentials (`password`, `saslPassword`, `token`, `api_key`,
//! `client_secret`, `webhook_url`, …); credential headers in `headers` (`Authorization`,
//! `Cookie`, `X-Api-Key`, …); passwords and credential query parameters of URLs (`url`,
//! any key ending in `url`, `uri` or `dsn`). [`redact_job`] replaces each with
//! [`REDACTED`]; [`restore_redacted_secrets`] turns the placeholders of a submitted job back
//! into the stored values, so that a client that reads a job, edits it and posts it back
//! keeps the secrets it never saw.

mod lists;
mod names;
mod placeholder;
mod shape;
mod url;

#[cfg(test)]
mod props_test;

use std::collections::BTreeMap;

use crate::Job;
pub use placeholder::REDACTED;
use shape::{SecretShape, redact_value, restore_value, shape_of_key};

/// A submitted job holds the placeholder for a secret the stored job does not have, so there
/// is nothing to keep in its place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{field} holds the placeholder \"<redacted>\" for {what}, but the stored job has no such \
     secret to keep; send the real value"
)]
pub struct UnknownSecret {
    /// The job field at fault, as a JSON path (`executor_config.env`,
    /// `processors.mail.password`).
    pub field: String,
    /// Which secret inside the field (`variable TOKEN`, `header Authorization`, `its value`).
    pub what: String,
}

/// Returns a copy of `job` with every secret replaced by [`REDACTED`].
pub fn redact_job(job: &Job) -> Job {
    let mut redacted = job.clone();
    if let Some(config) = redacted.executor_config.as_mut() {
        redact_map(config);
    }
    if let Some(processors) = redacted.processors.as_mut() {
        for config in processors.values_mut() {
            redact_map(config);
        }
    }
    redacted
}

/// Returns a copy of an executor's or processor's string map with every secret replaced by
/// [`REDACTED`] (for output and log lines that show a configuration).
pub fn redact_config(config: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut redacted = config.clone();
    redact_map(&mut redacted);
    redacted
}

/// Returns `text` (one URL or a comma-separated list, such as a NATS server list) with the
/// password of every user info and every credential query parameter replaced by
/// [`REDACTED`], for error and log lines that name the server a run talked to.
pub fn redact_urls_in(text: &str) -> String {
    url::redact_urls(text)
}

/// Returns `text` (an error line, a log message) with every secret of `config` that it
/// contains replaced by [`REDACTED`]: URL passwords wherever they appear, and the values of
/// secret keys (`password`, `saslUsername`, a token in a URL's user info …) should a client
/// library or a server echo them back. A value is replaced where it stands as a word of its
/// own, so a short secret (`u`) does not eat the letters of other words (`must`).
pub fn hide_secrets_in(text: &str, config: &BTreeMap<String, String>) -> String {
    let mut shown = url::redact_urls(text);
    for (key, value) in config {
        let secrets = match shape_of_key(key) {
            Some(SecretShape::Whole) => vec![value.as_str()],
            Some(SecretShape::UrlCredentials) => url::url_secrets(value),
            _ => Vec::new(),
        };
        for secret in secrets.into_iter().filter(|secret| !secret.is_empty()) {
            shown = replace_standalone(&shown, secret);
        }
    }
    shown
}

/// Replaces each occurrence of `secret` in `text` that no letter or digit touches.
fn replace_standalone(text: &str, secret: &str) -> String {
    let touches = |character: Option<char>| character.is_some_and(char::is_alphanumeric);
    let mut shown = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, _) in text.match_indices(secret) {
        let end = start + secret.len();
        if start < copied
            || touches(text[..start].chars().next_back())
            || touches(text[end..].chars().next())
        {
            continue;
        }
        shown.push_str(&text[copied..start]);
        shown.push_str(REDACTED);
        copied = end;
    }
    shown.push_str(&text[copied..]);
    shown
}

/// Returns true when some secret field of `job` holds the placeholder.
pub fn holds_redacted_secrets(job: &Job) -> bool {
    let holds = |config: &BTreeMap<String, String>| {
        config
            .iter()
            .any(|(key, value)| shape_of_key(key).is_some() && value.contains(REDACTED))
    };
    job.executor_config.as_ref().is_some_and(holds)
        || job
            .processors
            .as_ref()
            .is_some_and(|processors| processors.values().any(holds))
}

/// Replaces every placeholder in the secret fields of `submitted` by the secret it stands
/// for in `stored` (the job as stored under the same name, if any). Changes nothing and
/// names the field when a placeholder has no stored secret behind it.
pub fn restore_redacted_secrets(
    submitted: &mut Job,
    stored: Option<&Job>,
) -> Result<(), UnknownSecret> {
    let mut restored = submitted.clone();
    if let Some(config) = restored.executor_config.as_mut() {
        let stored_config = stored.and_then(|job| job.executor_config.as_ref());
        restore_map(config, stored_config, "executor_config")?;
    }
    if let Some(processors) = restored.processors.as_mut() {
        for (name, config) in processors.iter_mut() {
            let stored_config = stored
                .and_then(|job| job.processors.as_ref())
                .and_then(|processors| processors.get(name));
            restore_map(config, stored_config, &format!("processors.{name}"))?;
        }
    }
    *submitted = restored;
    Ok(())
}

fn redact_map(config: &mut BTreeMap<String, String>) {
    for (key, value) in config.iter_mut() {
        if let Some(shape) = shape_of_key(key) {
            *value = redact_value(shape, value);
        }
    }
}

fn restore_map(
    config: &mut BTreeMap<String, String>,
    stored: Option<&BTreeMap<String, String>>,
    field_prefix: &str,
) -> Result<(), UnknownSecret> {
    for (key, value) in config.iter_mut() {
        let Some(shape) = shape_of_key(key) else {
            continue;
        };
        let stored_value = stored
            .and_then(|stored| stored.get(key))
            .map(String::as_str);
        *value = restore_value(shape, value, stored_value).map_err(|missing| UnknownSecret {
            field: format!("{field_prefix}.{key}"),
            what: missing.0,
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_secrets_echoed_in_a_text_are_hidden() {
        let config = BTreeMap::from([
            ("url".to_owned(), "nats://t0ken-42@h:4222".to_owned()),
            ("saslUsername".to_owned(), "api-key-1".to_owned()),
            ("saslPassword".to_owned(), "hunter2".to_owned()),
            ("topic".to_owned(), "jobs".to_owned()),
        ]);
        assert_eq!(
            hide_secrets_in(
                "login as api-key-1 with hunter2 (t0ken-42) at amqp://u:pw@h/ for jobs",
                &config
            ),
            "login as <redacted> with <redacted> (<redacted>) at amqp://u:<redacted>@h/ for jobs"
        );
        let short = BTreeMap::from([("saslUsername".to_owned(), "u".to_owned())]);
        assert_eq!(
            hide_secrets_in("user u: mechanism must be sha256", &short),
            "user <redacted>: mechanism must be sha256"
        );
    }

    #[test]
    fn urls_in_error_text_lose_their_passwords_only() {
        assert_eq!(
            redact_urls_in("nats://app:s3cret@127.0.0.1:4222,nats://127.0.0.1:4223"),
            "nats://app:<redacted>@127.0.0.1:4222,nats://127.0.0.1:4223"
        );
        assert_eq!(
            redact_urls_in("amqp://127.0.0.1:5672/"),
            "amqp://127.0.0.1:5672/"
        );
    }
}
