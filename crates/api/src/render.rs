//! Response rendering exactly as Dkron's Go server produces it.
//!
//! Go's `encoding/json` writes compact JSON without a trailing newline and escapes `<`, `>`,
//! `&`, U+2028 and U+2029 so that the output can be embedded in HTML. serde_json already
//! escapes control characters the way Go does (`\b`, `\f`, `\n`, `\r`, `\t`, otherwise
//! `\u00xx` in lowercase hex); the formatter below adds the HTML-safe escapes. `?pretty`
//! switches to 4-space indentation like gin's `IndentedJSON`.

use std::convert::Infallible;
use std::io;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use dkron_model::Job;
use dkron_model::secrets::redact_job;
use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};

use crate::error::ApiError;
use crate::headers::X_TOTAL_COUNT;
use crate::query::{job_location, query_pairs};

/// Content type of every JSON response, as gin sends it.
pub(crate) const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

/// A serde_json formatter that adds Go's HTML-safe string escapes to an inner formatter.
struct GoEscaping<F>(F);

impl<F: Formatter> Formatter for GoEscaping<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut pending_start = 0;
        for (index, character) in fragment.char_indices() {
            let escape = match character {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(&fragment.as_bytes()[pending_start..index])?;
            writer.write_all(escape.as_bytes())?;
            pending_start = index + character.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[pending_start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }

    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }

    fn end_object_key<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_key(writer)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

/// Serialises `value` as Go's `json.Marshal` would (or `json.MarshalIndent` with four spaces
/// when `pretty`).
pub fn to_go_json<T: Serialize + ?Sized>(
    value: &T,
    pretty: bool,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut buffer = Vec::with_capacity(256);
    if pretty {
        let formatter = GoEscaping(PrettyFormatter::with_indent(b"    "));
        let mut serializer = serde_json::Serializer::with_formatter(&mut buffer, formatter);
        value.serialize(&mut serializer)?;
    } else {
        let mut serializer =
            serde_json::Serializer::with_formatter(&mut buffer, GoEscaping(CompactFormatter));
        value.serialize(&mut serializer)?;
    }
    Ok(buffer)
}

/// How the client asked for JSON: compact, or indented when the `pretty` query key is present
/// (with any value, even none).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Format {
    /// True when `?pretty` was given.
    pub(crate) pretty: bool,
}

impl Format {
    /// Renders `value` with `status` and the JSON content type.
    pub(crate) fn json<T: Serialize + ?Sized>(
        self,
        status: StatusCode,
        value: &T,
    ) -> Result<Response, ApiError> {
        let body = to_go_json(value, self.pretty)
            .map_err(|error| ApiError::Render(format!("cannot encode the response: {error}")))?;
        Ok(json_bytes(status, body))
    }

    /// Renders one job as every answer shows jobs: with its secrets hidden.
    pub(crate) fn job(self, status: StatusCode, job: &Job) -> Result<Response, ApiError> {
        self.json(status, &redact_job(job))
    }

    /// Renders jobs as every answer shows them: with their secrets hidden.
    pub(crate) fn jobs(self, status: StatusCode, jobs: &[Job]) -> Result<Response, ApiError> {
        let shown: Vec<Job> = jobs.iter().map(redact_job).collect();
        self.json(status, &shown)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Format {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let pretty = query_pairs(&parts.uri)
            .iter()
            .any(|(key, _)| key == "pretty");
        Ok(Format { pretty })
    }
}

/// Builds a response from already encoded JSON bytes.
pub(crate) fn json_bytes(status: StatusCode, body: Vec<u8>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(JSON_CONTENT_TYPE),
        )],
        body,
    )
        .into_response()
}

/// Adds `X-Total-Count: <total>` to a list response.
pub(crate) fn with_total_count(mut response: Response, total: usize) -> Response {
    response
        .headers_mut()
        .insert(X_TOTAL_COUNT, HeaderValue::from(total));
    response
}

/// Adds `Location: /v1/jobs/<name>` to a response about one job.
pub(crate) fn with_job_location(mut response: Response, name: &str) -> Response {
    if let Some(location) = job_location(name) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    response
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn compact<T: Serialize>(value: &T) -> String {
        String::from_utf8(to_go_json(value, false).unwrap()).unwrap()
    }

    #[test]
    fn escapes_html_characters_like_go() {
        assert_eq!(
            compact(&"a<b>&c\u{2028}\u{2029}é"),
            r#""a\u003cb\u003e\u0026c\u2028\u2029é""#
        );
        let map = BTreeMap::from([("<key>", "x")]);
        assert_eq!(compact(&map), r#"{"\u003ckey\u003e":"x"}"#);
    }

    #[test]
    fn escapes_control_characters_like_go() {
        assert_eq!(
            compact(&"\u{8}\u{c}\n\r\t\u{1}\u{1f}\"\\\u{7f}"),
            "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\\"\\\\\u{7f}\""
        );
    }

    #[test]
    fn pretty_uses_four_spaces_and_keeps_empty_containers_compact() {
        let value = serde_json::json!({"a": [1, 2], "b": {}, "c": []});
        let text = String::from_utf8(to_go_json(&value, true).unwrap()).unwrap();
        assert_eq!(
            text,
            "{\n    \"a\": [\n        1,\n        2\n    ],\n    \"b\": {},\n    \"c\": []\n}"
        );
    }
}
