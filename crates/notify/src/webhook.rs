//! The webhook and pre-webhook: `POST` of the rendered payload with the configured headers.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::SendError;

/// Longest a webhook call may take.
const WEBHOOK_DEADLINE: Duration = Duration::from_secs(30);

/// Where a webhook goes and what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The URL called.
    pub endpoint: String,
    /// The body template.
    pub payload: String,
    /// `Name: value` headers, as configured (validated at startup).
    pub headers: Vec<String>,
}

/// Turns `Name: value` lines into headers; the value is everything after the first colon,
/// trimmed (Dkron drops text after a second colon; we keep it, so URLs survive). Lines that
/// are not valid headers are skipped with a warning.
pub fn header_map(lines: &[String]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        match (
            HeaderName::from_bytes(name.trim().as_bytes()),
            HeaderValue::from_str(value.trim()),
        ) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => tracing::warn!(header = %line, "webhook header skipped: not a valid header"),
        }
    }
    headers
}

/// Sends one webhook call. A server error (5xx) is an error, so the call is tried again;
/// any other answer is only logged, as in Dkron.
pub async fn send(client: &reqwest::Client, hook: &Hook, body: String) -> Result<(), SendError> {
    let response = client
        .post(&hook.endpoint)
        .headers(header_map(&hook.headers))
        .timeout(WEBHOOK_DEADLINE)
        .body(body)
        .send()
        .await
        .map_err(|error| SendError::Unreachable {
            channel: "webhook",
            url: hook.endpoint.clone(),
            message: error.to_string(),
        })?;
    let status = response.status();
    if status.is_server_error() {
        return Err(SendError::ServerError {
            channel: "webhook",
            url: hook.endpoint.clone(),
            status: status.to_string(),
        });
    }
    tracing::debug!(endpoint = %hook.endpoint, status = status.as_u16(), "webhook answered");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_value_lines() {
        let headers = header_map(&[
            "Content-Type: application/x-www-form-urlencoded".to_string(),
            "X-Link: http://example.test/a".to_string(),
            "no colon".to_string(),
        ]);
        assert_eq!(headers["content-type"], "application/x-www-form-urlencoded");
        assert_eq!(headers["x-link"], "http://example.test/a");
        assert_eq!(headers.len(), 2);
    }
}
