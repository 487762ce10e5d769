//! Secrets inside lists: the `env` key's `KEY=VALUE,…` and the `headers` key's JSON array of
//! `"Name: value"` strings.
//!
//! A placeholder in a list stands for the entry of the same name in the stored list; when a
//! name appears more than once, the n-th placeholder for it stands for the n-th stored entry
//! of that name.

use std::collections::BTreeMap;

use super::names::is_secret_header;
use super::placeholder::{NoStoredValue, REDACTED};

/// Hides every non-empty value of a comma-separated `KEY=VALUE` list, keeping the keys and
/// every separator as written.
pub(super) fn redact_env(value: &str) -> String {
    value
        .split(',')
        .map(|entry| match env_entry(entry) {
            Some((key, secret)) if !secret.is_empty() => format!("{key}={REDACTED}"),
            _ => entry.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Puts the stored values back where `submitted` holds placeholders.
pub(super) fn restore_env(submitted: &str, stored: &str) -> Result<String, NoStoredValue> {
    let mut stored_entries = NamedEntries::new(stored.split(','), |entry| {
        env_entry(entry).map(|(key, _)| key.to_owned())
    });
    let mut restored = Vec::new();
    for entry in submitted.split(',') {
        match env_entry(entry) {
            Some((key, REDACTED)) => {
                let stored_entry = stored_entries
                    .next_for(key)
                    .ok_or_else(|| NoStoredValue(format!("variable {key}")))?;
                restored.push(stored_entry);
            }
            Some((key, _)) => {
                stored_entries.skip(key);
                restored.push(entry.to_owned());
            }
            None => restored.push(entry.to_owned()),
        }
    }
    Ok(restored.join(","))
}

/// Splits `KEY=VALUE` at the first `=`; entries without a key are not variables.
fn env_entry(entry: &str) -> Option<(&str, &str)> {
    entry.split_once('=').filter(|(key, _)| !key.is_empty())
}

/// Hides the values of credential headers. A value that is not a JSON array of strings but
/// names a credential header anywhere is hidden whole: it cannot be read entry by entry.
pub(super) fn redact_headers(value: &str) -> String {
    let Ok(entries) = serde_json::from_str::<Vec<String>>(value) else {
        return if is_secret_header(value) {
            REDACTED.to_owned()
        } else {
            value.to_owned()
        };
    };
    let mut changed = false;
    let redacted: Vec<String> = entries
        .iter()
        .map(|entry| match header_entry(entry) {
            Some((name, secret)) if is_secret_header(name) && !secret.trim().is_empty() => {
                changed = true;
                format!("{}: {REDACTED}", name.trim())
            }
            _ => entry.clone(),
        })
        .collect();
    if !changed {
        return value.to_owned();
    }
    serde_json::to_string(&redacted).unwrap_or_else(|_| REDACTED.to_owned())
}

/// Puts the stored headers back where `submitted` holds placeholders; when the result is the
/// stored list, returns the stored text as it was written.
pub(super) fn restore_headers(submitted: &str, stored: &str) -> Result<String, NoStoredValue> {
    let Ok(entries) = serde_json::from_str::<Vec<String>>(submitted) else {
        return Ok(submitted.to_owned());
    };
    let stored_list = serde_json::from_str::<Vec<String>>(stored).unwrap_or_default();
    let mut stored_entries = NamedEntries::new(stored_list.iter().map(String::as_str), |entry| {
        header_entry(entry).map(|(name, _)| name.trim().to_ascii_lowercase())
    });
    let mut restored = Vec::with_capacity(entries.len());
    for entry in &entries {
        let Some((name, value)) = header_entry(entry) else {
            restored.push(entry.clone());
            continue;
        };
        let key = name.trim().to_ascii_lowercase();
        if value.trim() == REDACTED && is_secret_header(name) {
            let stored_entry = stored_entries
                .next_for(&key)
                .ok_or_else(|| NoStoredValue(format!("header {}", name.trim())))?;
            restored.push(stored_entry);
        } else {
            stored_entries.skip(&key);
            restored.push(entry.clone());
        }
    }
    if restored == stored_list {
        return Ok(stored.to_owned());
    }
    Ok(serde_json::to_string(&restored).unwrap_or_else(|_| submitted.to_owned()))
}

/// Splits `Name: value` at the first `:`.
fn header_entry(entry: &str) -> Option<(&str, &str)> {
    entry.split_once(':')
}

/// Stored entries by name, handed out in order so that repeated names pair up by position.
struct NamedEntries {
    by_name: BTreeMap<String, std::collections::VecDeque<String>>,
}

impl NamedEntries {
    fn new<'a>(
        entries: impl Iterator<Item = &'a str>,
        name_of: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let mut by_name: BTreeMap<String, std::collections::VecDeque<String>> = BTreeMap::new();
        for entry in entries {
            if let Some(name) = name_of(entry) {
                by_name.entry(name).or_default().push_back(entry.to_owned());
            }
        }
        NamedEntries { by_name }
    }

    /// Returns the next stored entry named `name`.
    fn next_for(&mut self, name: &str) -> Option<String> {
        self.by_name
            .get_mut(name)
            .and_then(|queue| queue.pop_front())
    }

    /// Passes over the next stored entry named `name` (the submitted one replaces it).
    fn skip(&mut self, name: &str) {
        let _skipped = self.next_for(name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_are_hidden_and_come_back() {
        let stored = "TOKEN=abc,EMPTY=,PLAIN=x=y,,odd";
        let redacted = redact_env(stored);
        assert_eq!(redacted, "TOKEN=<redacted>,EMPTY=,PLAIN=<redacted>,,odd");
        assert_eq!(restore_env(&redacted, stored).unwrap(), stored);
        let edited = "TOKEN=<redacted>,PLAIN=new,ADDED=1";
        assert_eq!(
            restore_env(edited, stored).unwrap(),
            "TOKEN=abc,PLAIN=new,ADDED=1"
        );
        assert_eq!(
            restore_env("NEW=<redacted>", stored),
            Err(NoStoredValue("variable NEW".to_owned()))
        );
    }

    #[test]
    fn repeated_env_names_pair_up_in_order() {
        let stored = "A=1,A=2";
        assert_eq!(restore_env(&redact_env(stored), stored).unwrap(), stored);
    }

    #[test]
    fn credential_headers_are_hidden_and_come_back() {
        let stored = r#"["Content-Type: application/json", "authorization: Bearer s3cr3t"]"#;
        let redacted = redact_headers(stored);
        assert_eq!(
            redacted,
            r#"["Content-Type: application/json","authorization: <redacted>"]"#
        );
        assert!(!redacted.contains("s3cr3t"));
        assert_eq!(restore_headers(&redacted, stored).unwrap(), stored);
        let edited = r#"["Authorization: <redacted>","Accept: text/plain"]"#;
        assert_eq!(
            restore_headers(edited, stored).unwrap(),
            r#"["authorization: Bearer s3cr3t","Accept: text/plain"]"#
        );
        assert_eq!(
            restore_headers(r#"["Cookie: <redacted>"]"#, stored),
            Err(NoStoredValue("header Cookie".to_owned()))
        );
    }

    #[test]
    fn unreadable_headers_naming_a_credential_are_hidden_whole() {
        assert_eq!(redact_headers("Authorization: Bearer x"), REDACTED);
        assert_eq!(redact_headers("not json"), "not json");
        assert_eq!(
            redact_headers(r#"["Accept: text/plain"]"#),
            r#"["Accept: text/plain"]"#
        );
    }
}
