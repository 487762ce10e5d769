//! The JSON shapes of the ACL routes: Pro's `{Name, Rules}` for policies, and tokens with
//! Pro's field names (`AccessorID`, `SecretID` — only in the answer that creates it).

use chrono::{DateTime, Utc};
use dkron_acl::{Policy, Token};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::ApiError;

/// A policy as the API shows it.
#[derive(Debug, Serialize)]
pub(crate) struct PolicyView<'a> {
    #[serde(rename = "Name")]
    pub(crate) name: &'a str,
    #[serde(rename = "Rules")]
    pub(crate) rules: &'a str,
}

impl<'a> From<&'a Policy> for PolicyView<'a> {
    fn from(policy: &'a Policy) -> Self {
        PolicyView {
            name: &policy.name,
            rules: &policy.rules,
        }
    }
}

/// A token as the API shows it; the secret only when it was just made.
#[derive(Debug, Serialize)]
pub(crate) struct TokenView<'a> {
    #[serde(rename = "AccessorID")]
    accessor_id: &'a str,
    #[serde(rename = "SecretID", skip_serializing_if = "Option::is_none")]
    secret_id: Option<&'a str>,
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Type")]
    kind: &'static str,
    #[serde(rename = "Policies")]
    policies: &'a [String],
    #[serde(rename = "CreateTime")]
    create_time: DateTime<Utc>,
    #[serde(rename = "ExpirationTime", skip_serializing_if = "Option::is_none")]
    expiration_time: Option<DateTime<Utc>>,
}

impl<'a> TokenView<'a> {
    /// Shows a stored token (no secret).
    pub(crate) fn stored(token: &'a Token) -> Self {
        TokenView {
            accessor_id: &token.accessor_id,
            secret_id: None,
            name: &token.name,
            kind: token.kind.as_str(),
            policies: &token.policies,
            create_time: token.create_time,
            expiration_time: token.expiration_time,
        }
    }

    /// Shows a token just made, with its secret: the only time it is shown.
    pub(crate) fn created(token: &'a Token, secret: &'a str) -> Self {
        TokenView {
            secret_id: Some(secret),
            ..TokenView::stored(token)
        }
    }
}

/// The body of `POST /v1/acl/tokens`.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TokenRequest {
    #[serde(rename = "Name", default)]
    pub(crate) name: String,
    #[serde(rename = "Type", default)]
    pub(crate) kind: Option<String>,
    #[serde(rename = "Policies", default)]
    pub(crate) policies: Vec<String>,
    /// A Go duration (`24h`, `90m`) after which the token stops working.
    #[serde(rename = "ExpirationTTL", default)]
    pub(crate) expiration_ttl: Option<String>,
    /// An RFC 3339 time at which the token stops working.
    #[serde(rename = "ExpirationTime", default)]
    pub(crate) expiration_time: Option<DateTime<Utc>>,
}

/// Reads the rules of a policy body: Pro's `{"Name": .., "Rules": "<document>"}` (the rules
/// may also be given as a JSON object), or the bare policy document itself. A `Name` in the
/// body must agree with the path.
pub(crate) fn policy_rules(name: &str, body: &[u8]) -> Result<String, ApiError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|error| ApiError::BadRequest(format!("Unable to parse payload: {error}.")))?;
    if value.get("path").is_some() {
        return Ok(value.to_string());
    }
    if let Some(given) = value.get("Name").and_then(Value::as_str)
        && !given.is_empty()
        && given != name
    {
        return Err(ApiError::BadRequest(format!(
            "policy name {given:?} in the body differs from {name:?} in the path"
        )));
    }
    match value.get("Rules") {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(rules @ Value::Object(_)) => Ok(rules.to_string()),
        _ => Err(ApiError::BadRequest(
            "the body needs Rules: the policy document as a string, e.g. {\"Name\": \"readonly\", \"Rules\": \"{\\\"path\\\": {...}}\"}".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_bodies_in_every_accepted_form() {
        let document = r#"{"path":{"/v1":{"capabilities":["read"]}}}"#;
        let pro = format!(
            r#"{{"Name":"p","Rules":{}}}"#,
            serde_json::to_string(document).unwrap()
        );
        assert_eq!(policy_rules("p", pro.as_bytes()).unwrap(), document);
        let object = format!(r#"{{"Rules":{document}}}"#);
        assert_eq!(policy_rules("p", object.as_bytes()).unwrap(), document);
        assert_eq!(policy_rules("p", document.as_bytes()).unwrap(), document);
        assert!(policy_rules("p", br#"{"Name":"q","Rules":"{}"}"#).is_err());
        assert!(policy_rules("p", b"{}").is_err());
        assert!(policy_rules("p", b"nope").is_err());
    }
}
