//! Which web origins may use the API from a browser: the server's own, and those listed in
//! `cors-allowed-origins`.
//!
//! An origin is `scheme://host[:port]` as browsers send it in the `Origin` header. Names are
//! compared case-blind, with a trailing `/` and the scheme's default port ignored.

use std::collections::BTreeSet;
use std::sync::Arc;

/// The allow-list of `cors-allowed-origins`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedOrigins {
    /// `*` was listed: every origin is allowed.
    any: bool,
    /// The listed origins, normalised; shared, since middleware state is cloned per request.
    listed: Arc<BTreeSet<String>>,
}

impl AllowedOrigins {
    /// Builds the allow-list from the configured entries; blank entries are skipped and `*`
    /// allows every origin.
    pub fn new<S: AsRef<str>>(entries: &[S]) -> Self {
        let mut any = false;
        let mut listed = BTreeSet::new();
        for entry in entries.iter().map(|entry| entry.as_ref().trim()) {
            match entry {
                "" => {}
                "*" => any = true,
                origin => {
                    listed.insert(normalized_origin(origin));
                }
            }
        }
        AllowedOrigins {
            any,
            listed: Arc::new(listed),
        }
    }

    /// Returns true when `*` is listed.
    pub fn allows_any(&self) -> bool {
        self.any
    }

    /// Returns true when nothing is listed (the default: no cross-origin use at all).
    pub fn is_empty(&self) -> bool {
        !self.any && self.listed.is_empty()
    }

    /// Returns true when a page from `origin` may call the API.
    pub fn allows(&self, origin: &str) -> bool {
        self.any || self.listed.contains(&normalized_origin(origin))
    }
}

/// Returns true when `origin` names the server the request was sent to (`host` is the
/// request's `Host` header), whatever the scheme.
pub(crate) fn is_own_origin(origin: &str, host: &str) -> bool {
    let origin = normalized_origin(origin);
    let Some((scheme, authority)) = origin.split_once("://") else {
        return false;
    };
    without_default_port(scheme, authority)
        == without_default_port(scheme, &host.to_ascii_lowercase())
}

fn normalized_origin(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    match origin.split_once("://") {
        Some((scheme, authority)) => {
            format!("{scheme}://{}", without_default_port(scheme, authority))
        }
        None => origin,
    }
}

fn without_default_port<'a>(scheme: &str, authority: &'a str) -> &'a str {
    let default_port = match scheme {
        "http" => ":80",
        "https" => ":443",
        _ => return authority,
    };
    authority.strip_suffix(default_port).unwrap_or(authority)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_allowed_by_default() {
        let allowed = AllowedOrigins::new::<&str>(&[]);
        assert!(allowed.is_empty());
        assert!(!allowed.allows("https://example.test"));
    }

    #[test]
    fn listed_origins_match_case_blind_and_without_default_ports() {
        let allowed = AllowedOrigins::new(&["https://Dash.example.test/", " "]);
        assert!(allowed.allows("https://dash.example.test"));
        assert!(allowed.allows("https://dash.example.test:443"));
        assert!(!allowed.allows("http://dash.example.test"));
        assert!(!allowed.allows("https://evil.example.test"));
        assert!(!allowed.allows("null"));
        assert!(AllowedOrigins::new(&["*"]).allows("null"));
    }

    #[test]
    fn the_own_origin_is_the_host_the_request_went_to() {
        assert!(is_own_origin("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(is_own_origin(
            "https://Dkron.example.test",
            "dkron.example.test:443"
        ));
        assert!(!is_own_origin("http://127.0.0.1:9999", "127.0.0.1:8080"));
        assert!(!is_own_origin("http://localhost:8080", "127.0.0.1:8080"));
        assert!(!is_own_origin("null", "127.0.0.1:8080"));
    }
}
