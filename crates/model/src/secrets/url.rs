//! Secrets inside URLs: the password of the user info (`scheme://user:password@host`) and
//! query parameters named like credentials (`?token=…`, `?api_key=…`).
//!
//! A value may hold several URLs separated by commas (NATS takes a server list). A submitted
//! URL with placeholders takes its secrets from the stored URL it matches: the one that
//! reads the same once hidden, else the one with the same scheme, user and host.

use super::names::is_secret_name;
use super::placeholder::{NoStoredValue, REDACTED};

/// One piece of a URL: text shown as it is, or a secret with a name for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece<'a> {
    Shown(&'a str),
    Secret { label: String, value: &'a str },
}

/// Hides the secrets of every comma-separated URL in `value`.
pub(super) fn redact_urls(value: &str) -> String {
    value
        .split(',')
        .map(redact_url)
        .collect::<Vec<_>>()
        .join(",")
}

fn redact_url(url: &str) -> String {
    pieces(url)
        .iter()
        .map(|piece| match piece {
            Piece::Shown(text) => *text,
            Piece::Secret { value: "", .. } => "",
            Piece::Secret { .. } => REDACTED,
        })
        .collect()
}

/// Returns the secret parts (passwords, tokens, credential parameters) of every
/// comma-separated URL in `value`, non-empty ones only.
pub(super) fn url_secrets(value: &str) -> Vec<&str> {
    value
        .split(',')
        .flat_map(pieces)
        .filter_map(|piece| match piece {
            Piece::Secret { value, .. } if !value.is_empty() => Some(value),
            _ => None,
        })
        .collect()
}

/// Puts the stored secrets back into every submitted URL that holds placeholders.
pub(super) fn restore_urls(submitted: &str, stored: &str) -> Result<String, NoStoredValue> {
    let stored_urls: Vec<&str> = stored.split(',').collect();
    let mut restored = Vec::new();
    for url in submitted.split(',') {
        restored.push(restore_url(url, &stored_urls)?);
    }
    Ok(restored.join(","))
}

fn restore_url(url: &str, stored_urls: &[&str]) -> Result<String, NoStoredValue> {
    if !url.contains(REDACTED) {
        return Ok(url.to_owned());
    }
    if let Some(unchanged) = stored_urls.iter().find(|stored| redact_url(stored) == url) {
        return Ok((*unchanged).to_owned());
    }
    let origin = origin_of(url);
    let same_origin = stored_urls
        .iter()
        .find(|stored| origin_of(stored) == origin);
    let stored_pieces = same_origin.map(|stored| pieces(stored)).unwrap_or_default();
    let mut restored = String::with_capacity(url.len());
    for piece in pieces(url) {
        match piece {
            Piece::Shown(text) => restored.push_str(text),
            Piece::Secret { value, .. } if value != REDACTED => restored.push_str(value),
            Piece::Secret { label, .. } => {
                let stored_value = stored_pieces.iter().find_map(|stored| match stored {
                    Piece::Secret {
                        label: stored_label,
                        value,
                    } if *stored_label == label && !value.is_empty() => Some(*value),
                    _ => None,
                });
                let value =
                    stored_value.ok_or_else(|| NoStoredValue(format!("{label} in {origin}")))?;
                restored.push_str(value);
            }
        }
    }
    Ok(restored)
}

/// Returns the scheme, user and host of `url` without the password (empty when it has no
/// `://`).
fn origin_of(url: &str) -> String {
    let Some((authority_start, authority_end)) = authority_span(url) else {
        return String::new();
    };
    let authority = &url[authority_start..authority_end];
    let without_password = match authority.rfind('@') {
        Some(at) => {
            let user = authority[..at].split(':').next().unwrap_or("");
            format!("{user}@{}", &authority[at + 1..])
        }
        None => authority.to_owned(),
    };
    format!("{}{without_password}", &url[..authority_start])
}

/// Returns where the authority (`user:password@host:port`) of `url` starts and ends.
/// A value without a scheme counts as an authority only when it is one word with user info
/// (`user:password@host:4222`, which NATS accepts as a server entry); a sentence with an `@`
/// in it (an error line) is not one.
fn authority_span(url: &str) -> Option<(usize, usize)> {
    let start = match url.find("://") {
        Some(separator) => separator + 3,
        None if url.contains('@') && !url.trim().contains(char::is_whitespace) => {
            url.len() - url.trim_start().len()
        }
        None => return None,
    };
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |offset| start + offset);
    Some((start, end))
}

/// NATS reads user info without a password (`nats://s3cr3t@host`, or a bare `s3cr3t@host`
/// server entry) as an authentication token, so for its schemes and for values without a
/// scheme the whole user info is a secret; elsewhere it is a user name.
fn user_info_is_a_token(url: &str) -> bool {
    let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
    ["nats", "tls", ""].contains(&scheme.to_ascii_lowercase().as_str())
}

/// Cuts `url` into shown text and secrets.
fn pieces(url: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut cursor = 0;
    if let Some((start, end)) = authority_span(url) {
        let authority = &url[start..end];
        if let Some(at) = authority.rfind('@') {
            if let Some(colon) = authority[..at].find(':') {
                let password_start = start + colon + 1;
                pieces.push(Piece::Shown(&url[..password_start]));
                pieces.push(Piece::Secret {
                    label: "the password".to_owned(),
                    value: &url[password_start..start + at],
                });
                cursor = start + at;
            } else if user_info_is_a_token(url) {
                pieces.push(Piece::Shown(&url[..start]));
                pieces.push(Piece::Secret {
                    label: "the token".to_owned(),
                    value: &url[start..start + at],
                });
                cursor = start + at;
            }
        }
    }
    if let Some(question) = url[cursor..].find('?') {
        let query_start = cursor + question + 1;
        let query_end = url[query_start..]
            .find('#')
            .map_or(url.len(), |offset| query_start + offset);
        let mut parameter_start = query_start;
        for parameter in url[query_start..query_end].split('&') {
            if let Some((name, value)) = parameter.split_once('=')
                && is_secret_name(name)
            {
                let value_start = parameter_start + name.len() + 1;
                pieces.push(Piece::Shown(&url[cursor..value_start]));
                pieces.push(Piece::Secret {
                    label: format!("query parameter {name}"),
                    value,
                });
                cursor = value_start + value.len();
            }
            parameter_start += parameter.len() + 1;
        }
    }
    pieces.push(Piece::Shown(&url[cursor..]));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_and_credential_parameters_are_hidden() {
        assert_eq!(
            redact_urls("https://bob:pa55@example.test:8443/x?token=t0k&page=2#top"),
            "https://bob:<redacted>@example.test:8443/x?token=<redacted>&page=2#top"
        );
        assert_eq!(
            redact_urls("nats://a:1@h1:4222,nats://h2:4222"),
            "nats://a:<redacted>@h1:4222,nats://h2:4222"
        );
        for plain in [
            "https://example.test/a?b=c",
            "https://bob@example.test",
            "not a url",
        ] {
            assert_eq!(redact_urls(plain), plain);
        }
    }

    #[test]
    fn a_nats_token_in_the_user_info_is_hidden_and_comes_back() {
        let stored = "nats://s3cr3t-token@h1:4222,tls://other-token@h2:4443";
        let shown = redact_urls(stored);
        assert_eq!(shown, "nats://<redacted>@h1:4222,tls://<redacted>@h2:4443");
        assert_eq!(restore_urls(&shown, stored).unwrap(), stored);
        // Other schemes read user info alone as a user name, which stays visible.
        assert_eq!(redact_urls("amqp://guest@h/"), "amqp://guest@h/");
    }

    #[test]
    fn bare_server_entries_with_user_info_are_hidden_too() {
        let stored = "app:pa55@h1:4222, s3cr3t-token@h2:4222,h3:4222";
        let shown = redact_urls(stored);
        assert_eq!(shown, "app:<redacted>@h1:4222, <redacted>@h2:4222,h3:4222");
        assert_eq!(restore_urls(&shown, stored).unwrap(), stored);
        assert_eq!(redact_urls("plain text"), "plain text");
        let sentence = "login as alice@example.test failed";
        assert_eq!(redact_urls(sentence), sentence);
    }

    #[test]
    fn hidden_urls_come_back_whole_or_by_origin() {
        let stored = "https://bob:pa55@example.test/x?token=t0k";
        assert_eq!(restore_urls(&redact_urls(stored), stored).unwrap(), stored);
        assert_eq!(
            restore_urls("https://bob:<redacted>@example.test/other", stored).unwrap(),
            "https://bob:pa55@example.test/other"
        );
        assert_eq!(
            restore_urls("https://eve:<redacted>@example.test/x", stored),
            Err(NoStoredValue(
                "the password in https://eve@example.test".to_owned()
            ))
        );
    }
}
