//! The HTTP calls that yield an access token: an OAuth2 token endpoint (form POST) and the
//! GCE metadata server.

use std::time::Duration;

use serde_json::Value;

use crate::pubsub::error::CredentialError;

/// How long the metadata server may take: off Google Cloud the name does not resolve or
/// nothing answers, and the run should say so quickly.
const METADATA_TIMEOUT: Duration = Duration::from_secs(3);

/// A bearer token and how long the issuer said it is valid.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct AccessToken {
    pub(super) value: String,
    pub(super) lifetime: Duration,
}

/// Why the metadata server gave no token.
pub(super) enum MetadataFailure {
    /// Nothing answered: this is not a Google Cloud machine.
    Unreachable(String),
    /// It answered, with a refusal.
    Refused(CredentialError),
}

/// POSTs `form` to the token endpoint `uri` and reads the token from its answer.
pub(super) async fn exchange(
    client: &reqwest::Client,
    uri: &str,
    form: &[(&str, &str)],
) -> Result<AccessToken, CredentialError> {
    let failed = |why: String| CredentialError::Exchange {
        uri: dkron_model::secrets::redact_urls_in(uri),
        why,
    };
    let response = client
        .post(uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_encoded(form))
        .send()
        .await
        .map_err(|error| failed(transport_error(&error)))?;
    read_token(response).await.map_err(failed)
}

/// Asks the metadata server at `host` for the default service account's token.
pub(super) async fn from_metadata(
    client: &reqwest::Client,
    host: &str,
) -> Result<AccessToken, MetadataFailure> {
    let uri = format!("http://{host}/computeMetadata/v1/instance/service-accounts/default/token");
    let response = client
        .get(&uri)
        .header("Metadata-Flavor", "Google")
        .timeout(METADATA_TIMEOUT)
        .send()
        .await
        .map_err(|error| MetadataFailure::Unreachable(transport_error(&error)))?;
    read_token(response).await.map_err(|why| {
        MetadataFailure::Refused(CredentialError::Exchange {
            uri: uri.clone(),
            why,
        })
    })
}

/// Reads `{"access_token": .., "expires_in": ..}`, or says which status (and OAuth error
/// code) came back instead. The body is never quoted whole: it may echo credentials.
async fn read_token(response: reqwest::Response) -> Result<AccessToken, String> {
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|error| transport_error(&error))?;
    let parsed: Option<Value> = serde_json::from_str(&body).ok();
    let text_field = |name: &str| {
        parsed
            .as_ref()
            .and_then(|value| value.get(name))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    if !status.is_success() {
        return Err(match text_field("error") {
            Some(code) => format!("{status} ({})", printable_code(&code)),
            None => status.to_string(),
        });
    }
    let value = text_field("access_token")
        .filter(|token| !token.is_empty())
        .ok_or_else(|| format!("{status} without an access_token"))?;
    let seconds = parsed
        .as_ref()
        .and_then(|value| value.get("expires_in"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    Ok(AccessToken {
        value,
        lifetime: Duration::from_secs(seconds),
    })
}

/// OAuth error codes are short words (`invalid_grant`); anything else is cut.
fn printable_code(code: &str) -> String {
    code.chars()
        .filter(|character| character.is_ascii_alphanumeric() || *character == '_')
        .take(64)
        .collect()
}

/// The error and its causes on one line (reqwest's own message hides the interesting part).
fn transport_error(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    dkron_model::secrets::redact_urls_in(&text)
}

/// Encodes `application/x-www-form-urlencoded` pairs.
fn form_encoded(form: &[(&str, &str)]) -> String {
    let encode = |text: &str| {
        let mut encoded = String::with_capacity(text.len());
        for byte in text.bytes() {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                encoded.push(char::from(byte));
            } else {
                encoded.push_str(&format!("%{byte:02X}"));
            }
        }
        encoded
    };
    let pairs: Vec<String> = form
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect();
    pairs.join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_percent_encoded() {
        let form = [("grant_type", "urn:ietf:a b"), ("x", "1/2+3=&")];
        assert_eq!(
            form_encoded(&form),
            "grant_type=urn%3Aietf%3Aa%20b&x=1%2F2%2B3%3D%26"
        );
    }

    #[test]
    fn odd_error_codes_are_cut_to_a_word() {
        assert_eq!(printable_code("invalid_grant"), "invalid_grant");
        assert_eq!(printable_code("bad <token=abc>"), "badtokenabc");
    }
}
