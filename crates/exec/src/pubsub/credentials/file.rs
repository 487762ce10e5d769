//! The two kinds of credentials file Application Default Credentials read: a service
//! account's key, and a user's refresh token (what `gcloud auth application-default login`
//! writes).

use serde_json::Value;

use crate::pubsub::error::CredentialError;

/// Google's OAuth2 token endpoint, for files that do not name one.
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";

/// A parsed credentials file. The secret fields are kept only to be sent to the token
/// endpoint; `Debug` never shows them.
#[derive(Clone, PartialEq, Eq)]
pub(super) enum CredentialFile {
    /// `"type": "service_account"`.
    ServiceAccount(ServiceAccount),
    /// `"type": "authorized_user"`.
    AuthorizedUser(AuthorizedUser),
}

/// A service account's key: a JWT signed with it is exchanged for a token.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct ServiceAccount {
    pub(super) client_email: String,
    pub(super) private_key_pem: String,
    pub(super) private_key_id: Option<String>,
    pub(super) token_uri: String,
}

/// A user's refresh token and the OAuth client it belongs to.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct AuthorizedUser {
    pub(super) client_id: String,
    pub(super) client_secret: String,
    pub(super) refresh_token: String,
    pub(super) token_uri: String,
}

impl std::fmt::Debug for CredentialFile {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CredentialFile::ServiceAccount(account) => {
                write!(formatter, "ServiceAccount({})", account.client_email)
            }
            CredentialFile::AuthorizedUser(_) => write!(formatter, "AuthorizedUser"),
        }
    }
}

/// Parses the JSON of a credentials file; `path` only names it in errors.
pub(super) fn parse(text: &str, path: &str) -> Result<CredentialFile, CredentialError> {
    let invalid = |why: String| CredentialError::Invalid {
        path: path.to_owned(),
        why,
    };
    // serde_json's message names a line and column, never the content.
    let value: Value =
        serde_json::from_str(text).map_err(|error| invalid(format!("not JSON: {error}")))?;
    let field = |name: &str| value.get(name).and_then(Value::as_str).map(str::to_owned);
    let required = |name: &str| field(name).ok_or_else(|| invalid(format!("no \"{name}\"")));
    let token_uri = field("token_uri").unwrap_or_else(|| GOOGLE_TOKEN_URI.to_owned());
    match field("type").as_deref() {
        Some("service_account") => Ok(CredentialFile::ServiceAccount(ServiceAccount {
            client_email: required("client_email")?,
            private_key_pem: required("private_key")?,
            private_key_id: field("private_key_id"),
            token_uri,
        })),
        Some("authorized_user") => Ok(CredentialFile::AuthorizedUser(AuthorizedUser {
            client_id: required("client_id")?,
            client_secret: required("client_secret")?,
            refresh_token: required("refresh_token")?,
            token_uri,
        })),
        Some(other) => Err(invalid(format!(
            "credentials of type {other:?} are not supported (use service_account or \
             authorized_user)"
        ))),
        None => Err(invalid("no \"type\"".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_kinds_with_googles_default_token_uri() {
        let user = r#"{"type":"authorized_user","client_id":"id","client_secret":"s3cret",
                       "refresh_token":"r3fresh"}"#;
        let CredentialFile::AuthorizedUser(user) = parse(user, "f").unwrap() else {
            panic!("not a user");
        };
        assert_eq!(user.token_uri, GOOGLE_TOKEN_URI);
        let account = r#"{"type":"service_account","client_email":"a@p.iam","private_key":"k",
                          "token_uri":"http://127.0.0.1:1/token"}"#;
        let parsed = parse(account, "f").unwrap();
        assert_eq!(format!("{parsed:?}"), "ServiceAccount(a@p.iam)");
    }

    #[test]
    fn errors_name_the_file_and_never_the_secrets() {
        let missing = r#"{"type":"authorized_user","client_secret":"s3cret"}"#;
        let error = parse(missing, "/etc/adc.json").unwrap_err().to_string();
        assert_eq!(
            error,
            "invalid credentials in /etc/adc.json: no \"client_id\""
        );
        let broken = parse("{\"private_key\": \"s3cret", "/etc/adc.json").unwrap_err();
        assert!(!broken.to_string().contains("s3cret"), "{broken}");
        let other = parse(r#"{"type":"external_account"}"#, "f").unwrap_err();
        assert!(
            other
                .to_string()
                .contains("\"external_account\" are not supported")
        );
    }
}
