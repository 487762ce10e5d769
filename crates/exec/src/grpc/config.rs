//! The `grpc` executor's keys, parsed and validated from Dkron's string map without the
//! network. The same parse serves the submission check (`check_config`) and the run, so a job
//! refused at creation would also be refused by a run.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use tonic::Code;
use tonic::codegen::http::Uri;
use tonic::metadata::{AsciiMetadataKey, AsciiMetadataValue, BinaryMetadataKey, MetadataMap};

use super::error::GrpcConfigError;

/// Call timeout when `timeout` is absent, as in Dkron.
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The highest gRPC status code (`Unauthenticated`); codes above it are never returned.
const HIGHEST_STATUS_CODE: u32 = 16;

/// Where the call goes: `host:port/package.Service/Method` split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrpcTarget {
    /// `host:port` of the server (plain-text HTTP/2).
    pub address: String,
    /// Fully qualified service name, e.g. `dkrontest.v1.Greeter`.
    pub service: String,
    /// Method name within the service, e.g. `Greet`.
    pub method: String,
}

/// One metadata entry of `headers`, checked and ready to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrpcHeader {
    /// A text entry (the usual case).
    Ascii(AsciiMetadataKey, AsciiMetadataValue),
    /// A `-bin` entry: its value was given in base64, as grpcurl reads it.
    Binary(BinaryMetadataKey, Vec<u8>),
}

/// A validated `grpc` executor config.
#[derive(Debug, Clone)]
pub struct GrpcConfig {
    /// `url`: the server and the method.
    pub target: GrpcTarget,
    /// `body`: the request message as JSON (an object, or empty for the default message).
    pub body: String,
    /// `headers`: metadata sent with the reflection requests and the call.
    pub headers: Vec<GrpcHeader>,
    /// `timeout`: bound of the whole run (connect, reflection, call), also sent to the server
    /// as the call's deadline; `None` when set to 0.
    pub timeout: Option<Duration>,
    /// `expectCode`: the status code that counts as success.
    pub expect_code: Code,
}

impl GrpcConfig {
    /// Parses and validates Dkron's `grpc` keys; unknown keys are ignored as Dkron does.
    pub fn from_map(config: &BTreeMap<String, String>) -> Result<Self, GrpcConfigError> {
        let value = |key: &str| config.get(key).map(String::as_str).unwrap_or("");
        let target = parse_url(value("url"))?;
        let timeout = parse_timeout(value("timeout"))?;
        let expect_code = parse_expect_code(value("expectCode"))?;
        let headers = parse_headers(value("headers"))?;
        let body = value("body");
        check_body(body)?;
        Ok(GrpcConfig {
            target,
            body: body.to_string(),
            headers,
            timeout,
            expect_code,
        })
    }

    /// Returns the `headers` as gRPC metadata.
    pub fn metadata(&self) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        for header in &self.headers {
            match header {
                GrpcHeader::Ascii(key, value) => {
                    metadata.append(key.clone(), value.clone());
                }
                GrpcHeader::Binary(key, bytes) => {
                    let value = tonic::metadata::BinaryMetadataValue::from_bytes(bytes);
                    metadata.append_bin(key.clone(), value);
                }
            }
        }
        metadata
    }
}

/// Splits `host:port/package.Service/Method`. The method may also be joined with a dot
/// (`package.Service.Method`), which grpcurl, and so Dkron, accepts too.
fn parse_url(url: &str) -> Result<GrpcTarget, GrpcConfigError> {
    if url.is_empty() {
        return Err(GrpcConfigError::UrlMissing);
    }
    let Some((address, path)) = url.split_once('/') else {
        return Err(GrpcConfigError::UrlWithoutPath);
    };
    check_address(address)?;
    let split_at = path.rfind('/').or_else(|| path.rfind('.'));
    let bad_path = || GrpcConfigError::MethodPath {
        path: path.to_string(),
    };
    let (service, method) = split_at
        .map(|index| (&path[..index], &path[index + 1..]))
        .ok_or_else(bad_path)?;
    let service_ok = !service.is_empty() && service.split('.').all(is_proto_identifier);
    if !service_ok || !is_proto_identifier(method) {
        return Err(bad_path());
    }
    Ok(GrpcTarget {
        address: address.to_string(),
        service: service.to_string(),
        method: method.to_string(),
    })
}

fn is_proto_identifier(word: &str) -> bool {
    let mut characters = word.chars();
    let starts_well = characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_');
    starts_well && characters.all(|next| next.is_ascii_alphanumeric() || next == '_')
}

fn check_address(address: &str) -> Result<(), GrpcConfigError> {
    let bad_address = |reason: &str| GrpcConfigError::Address {
        address: address.to_string(),
        reason: reason.to_string(),
    };
    if address.contains('@') {
        return Err(bad_address("user information is not allowed"));
    }
    let uri: Uri = format!("http://{address}/")
        .parse()
        .map_err(|_| bad_address("not a host:port"))?;
    if uri.host().is_none_or(str::is_empty) {
        return Err(bad_address("the host is missing"));
    }
    match uri.port_u16() {
        Some(port) if port > 0 => Ok(()),
        _ => Err(bad_address("the port is missing")),
    }
}

fn parse_timeout(text: &str) -> Result<Option<Duration>, GrpcConfigError> {
    if text.is_empty() {
        return Ok(Some(DEFAULT_TIMEOUT));
    }
    // At most u32::MAX seconds (136 years): the deadline sent to the server must stay
    // within what gRPC's `grpc-timeout` header can carry.
    let seconds: u32 = text.parse().map_err(|_| GrpcConfigError::Timeout {
        value: text.to_string(),
    })?;
    Ok(Some(Duration::from_secs(u64::from(seconds))).filter(|timeout| !timeout.is_zero()))
}

fn parse_expect_code(text: &str) -> Result<Code, GrpcConfigError> {
    if text.is_empty() {
        return Ok(Code::Ok);
    }
    match text.parse::<u32>() {
        Ok(number) if number <= HIGHEST_STATUS_CODE => {
            Ok(Code::from_i32(i32::try_from(number).unwrap_or(i32::MAX)))
        }
        _ => Err(GrpcConfigError::ExpectCode {
            value: text.to_string(),
        }),
    }
}

/// Reads the JSON array of `"name: value"` strings. As grpcurl does, the name is trimmed and
/// lower-cased, an entry without `:` has an empty value, and empty entries are skipped.
fn parse_headers(text: &str) -> Result<Vec<GrpcHeader>, GrpcConfigError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let entries: Vec<String> =
        serde_json::from_str(text).map_err(|_| GrpcConfigError::HeadersNotJson)?;
    let mut headers = Vec::with_capacity(entries.len());
    for entry in entries.iter().filter(|entry| !entry.is_empty()) {
        let (name, value) = entry.split_once(':').unwrap_or((entry.as_str(), ""));
        headers.push(parse_header(
            &name.trim().to_ascii_lowercase(),
            value.trim(),
        )?);
    }
    Ok(headers)
}

fn parse_header(name: &str, value: &str) -> Result<GrpcHeader, GrpcConfigError> {
    let bad_name = || GrpcConfigError::HeaderName {
        name: name.to_string(),
    };
    if name.ends_with("-bin") {
        let key = BinaryMetadataKey::from_bytes(name.as_bytes()).map_err(|_| bad_name())?;
        // grpcurl sends the text itself when it is not base64.
        let bytes = STANDARD
            .decode(value)
            .or_else(|_| STANDARD_NO_PAD.decode(value))
            .unwrap_or_else(|_| value.as_bytes().to_vec());
        return Ok(GrpcHeader::Binary(key, bytes));
    }
    let key = AsciiMetadataKey::from_bytes(name.as_bytes()).map_err(|_| bad_name())?;
    // The value is never part of the error: it may be a credential.
    let value = AsciiMetadataValue::try_from(value).map_err(|_| GrpcConfigError::HeaderValue {
        name: name.to_string(),
    })?;
    Ok(GrpcHeader::Ascii(key, value))
}

/// The body must be one JSON object; its fields are checked against the method's request
/// type only at run time, once reflection has given the type.
fn check_body(body: &str) -> Result<(), GrpcConfigError> {
    if body.trim().is_empty() {
        return Ok(());
    }
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(_)) => Ok(()),
        Ok(_) => Err(GrpcConfigError::Body {
            reason: "a JSON object is expected".to_string(),
        }),
        Err(error) => Err(GrpcConfigError::Body {
            reason: error.to_string(),
        }),
    }
}

#[cfg(test)]
#[path = "config_test.rs"]
mod tests;
