//! The `http` executor's keys, parsed and validated from Dkron's string map.
//!
//! Like Dkron, most problems are not fatal: they become `Warning:` lines at the top of the
//! output and the request goes ahead with a default. Only a missing or invalid method or URL,
//! and an invalid `expectBody` pattern, stop the run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::{Method, Url};

use crate::HttpConfigError;
use crate::gobool::parse_go_bool;

/// Request timeout when `timeout` is absent or invalid, as in Dkron.
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The TLS keys; they decide which cached client a request uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsSettings {
    /// `tlsNoVerifyPeer`: accept any server certificate.
    pub no_verify_peer: bool,
    /// `tlsCertificateFile`: client certificate (PEM).
    pub certificate_file: Option<PathBuf>,
    /// `tlsCertificateKeyFile`: private key of the client certificate (PEM).
    pub certificate_key_file: Option<PathBuf>,
    /// `tlsRootCAsFile`: PEM bundle used instead of the system roots.
    pub root_cas_file: Option<PathBuf>,
}

/// A validated `http` executor config.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// `method`: any HTTP method token.
    pub method: Method,
    /// `url`: absolute URL.
    pub url: Url,
    /// `headers`: name and value pairs, from a JSON array of `"Name: value"` strings.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// `body`: request body.
    pub body: String,
    /// `timeout`: whole-request timeout (seconds in the map); `None` when set to 0.
    pub timeout: Option<Duration>,
    /// `expectCode`: accepted status codes; empty accepts any.
    pub expect_codes: Vec<u16>,
    /// `expectBody`: pattern the response body must contain a match of.
    pub expect_body: Option<Regex>,
    /// `debug`: prefix the output with the config.
    pub debug: bool,
    /// TLS keys.
    pub tls: TlsSettings,
    /// Non-fatal problems, written as lines before the response body.
    pub warnings: Vec<String>,
}

impl HttpConfig {
    /// Parses and validates Dkron's `http` keys; unknown keys are ignored as Dkron does.
    pub fn from_map(config: &BTreeMap<String, String>) -> Result<Self, HttpConfigError> {
        let value = |key: &str| config.get(key).map(String::as_str).unwrap_or("");
        let mut warnings = Vec::new();
        let method_text = value("method");
        if method_text.is_empty() {
            return Err(HttpConfigError::MethodMissing);
        }
        let url_text = value("url");
        if url_text.is_empty() {
            return Err(HttpConfigError::UrlMissing);
        }
        let method =
            Method::from_bytes(method_text.as_bytes()).map_err(|_| HttpConfigError::Method {
                method: method_text.to_string(),
            })?;
        let url = Url::parse(url_text).map_err(|error| HttpConfigError::Url {
            url: url_text.to_string(),
            reason: error.to_string(),
        })?;
        let expect_body = match value("expectBody") {
            "" => None,
            pattern => Some(
                Regex::new(pattern).map_err(|error| HttpConfigError::ExpectBody {
                    reason: error.to_string(),
                })?,
            ),
        };
        let headers = parse_headers(value("headers"), &mut warnings);
        let timeout = parse_timeout(value("timeout"), &mut warnings);
        let expect_codes = parse_expect_codes(value("expectCode"), &mut warnings);
        let no_verify_peer = match value("tlsNoVerifyPeer") {
            "" => false,
            text => parse_go_bool(text).unwrap_or_else(|| {
                warnings.push(format!("Warning: invalid tlsNoVerifyPeer value {text:?}"));
                false
            }),
        };
        let path = |key: &str| {
            Some(value(key))
                .filter(|text| !text.is_empty())
                .map(PathBuf::from)
        };
        Ok(HttpConfig {
            method,
            url,
            headers,
            body: value("body").to_string(),
            timeout,
            expect_codes,
            expect_body,
            debug: !value("debug").is_empty(),
            tls: TlsSettings {
                no_verify_peer,
                certificate_file: path("tlsCertificateFile"),
                certificate_key_file: path("tlsCertificateKeyFile"),
                root_cas_file: path("tlsRootCAsFile"),
            },
            warnings,
        })
    }

    /// Returns true when `status` is acceptable under `expectCode`.
    pub fn accepts_status(&self, status: u16) -> bool {
        self.expect_codes.is_empty() || self.expect_codes.contains(&status)
    }
}

/// Reads `["Name: value", ...]`, splitting each entry at its first `:` only.
fn parse_headers(text: &str, warnings: &mut Vec<String>) -> Vec<(HeaderName, HeaderValue)> {
    if text.is_empty() {
        return Vec::new();
    }
    let Ok(entries) = serde_json::from_str::<Vec<String>>(text) else {
        warnings.push("Error: parsing headers failed".to_string());
        return Vec::new();
    };
    let mut headers = Vec::new();
    for entry in entries {
        let Some((name, value)) = entry.split_once(':') else {
            warnings.push(format!("Warning: ignoring header {entry:?}: no ':'"));
            continue;
        };
        let parsed_name = HeaderName::from_bytes(name.trim().as_bytes());
        let parsed_value = HeaderValue::from_str(value.trim());
        match (parsed_name, parsed_value) {
            (Ok(name), Ok(value)) => headers.push((name, value)),
            _ => warnings.push(format!("Warning: ignoring invalid header {entry:?}")),
        }
    }
    headers
}

fn parse_timeout(text: &str, warnings: &mut Vec<String>) -> Option<Duration> {
    if text.is_empty() {
        return Some(DEFAULT_TIMEOUT);
    }
    match text.trim().parse::<u64>() {
        Ok(0) => None,
        Ok(seconds) => Some(Duration::from_secs(seconds)),
        Err(_) => {
            warnings.push(format!(
                "Warning: invalid timeout value {text:?}, using {} seconds",
                DEFAULT_TIMEOUT.as_secs()
            ));
            Some(DEFAULT_TIMEOUT)
        }
    }
}

/// Reads a comma-separated list of status codes; each item must match exactly.
fn parse_expect_codes(text: &str, warnings: &mut Vec<String>) -> Vec<u16> {
    let mut codes = Vec::new();
    for item in text
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
    {
        match item.parse::<u16>() {
            Ok(code) => codes.push(code),
            Err(_) => warnings.push(format!(
                "Warning: ignoring invalid expectCode entry {item:?}"
            )),
        }
    }
    codes
}

#[cfg(test)]
#[path = "config_test.rs"]
mod tests;
