//! Raw query-string access and small URL helpers.
//!
//! gin reads query parameters from the raw query string (first value wins, a key without `=`
//! is present with an empty value); the helpers here do the same so that keys such as
//! `metadata[user]` and value-less flags such as `?pretty` or `?runoncreate` keep their meaning.

use axum::extract::Query;
use axum::http::{HeaderValue, Uri};

/// Returns the decoded `(key, value)` pairs of the request's query string, in order.
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|Query(pairs)| pairs)
        .unwrap_or_default()
}

/// Returns true when `key` appears in the query, with or without a value.
pub(crate) fn has_key(pairs: &[(String, String)], key: &str) -> bool {
    pairs.iter().any(|(name, _)| name == key)
}

/// Returns the first value given for `key`, as gin's `c.Query` does.
pub(crate) fn first_value<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// Returns the canonical path of a job (`/v1/jobs/<name>`), percent-encoding the name so the
/// header value stays ASCII.
pub(crate) fn job_location(name: &str) -> Option<HeaderValue> {
    let mut path = String::from("/v1/jobs/");
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            path.push(char::from(byte));
        } else {
            path.push_str(&format!("%{byte:02X}"));
        }
    }
    HeaderValue::from_str(&path).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_raw_keys_and_flags() {
        let uri: Uri = "/v1/jobs?metadata%5Buser%5D=a%20b&pretty&q=x&q=y"
            .parse()
            .unwrap();
        let pairs = query_pairs(&uri);
        assert_eq!(first_value(&pairs, "metadata[user]"), Some("a b"));
        assert!(has_key(&pairs, "pretty"));
        assert_eq!(first_value(&pairs, "q"), Some("x"));
        assert_eq!(first_value(&pairs, "missing"), None);
    }

    #[test]
    fn location_is_percent_encoded() {
        assert_eq!(job_location("job-1_a").unwrap(), "/v1/jobs/job-1_a");
        assert_eq!(job_location("ñ").unwrap(), "/v1/jobs/%C3%B1");
    }
}
