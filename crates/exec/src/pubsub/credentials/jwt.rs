//! The signed assertion a service account exchanges for an access token (RFC 7523): a JWT
//! signed RS256 with the account's PKCS#8 key.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use serde_json::json;

use super::file::ServiceAccount;

/// The OAuth scope Pub/Sub publishing needs.
pub(super) const PUBSUB_SCOPE: &str = "https://www.googleapis.com/auth/pubsub";
/// How long the assertion is valid; Google accepts at most an hour.
const ASSERTION_LIFETIME_SECONDS: i64 = 3600;

/// Returns the assertion for `account`, issued at `now` (Unix seconds), or why the key
/// cannot sign (never the key itself).
pub(super) fn signed_assertion(account: &ServiceAccount, now: i64) -> Result<String, String> {
    let key_der = pkcs8_der_from_pem(&account.private_key_pem)?;
    let key_pair = RsaKeyPair::from_pkcs8(&key_der)
        .map_err(|rejected| format!("private_key is not an RSA PKCS#8 key: {rejected}"))?;
    let mut header = json!({"alg": "RS256", "typ": "JWT"});
    if let Some(key_id) = &account.private_key_id {
        header["kid"] = json!(key_id);
    }
    let claims = json!({
        "iss": account.client_email,
        "scope": PUBSUB_SCOPE,
        "aud": account.token_uri,
        "iat": now,
        "exp": now + ASSERTION_LIFETIME_SECONDS,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let mut signature = vec![0; key_pair.public().modulus_len()];
    key_pair
        .sign(
            &RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            signing_input.as_bytes(),
            &mut signature,
        )
        .map_err(|_| "signing the token request failed".to_owned())?;
    Ok(format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature)
    ))
}

/// Decodes the body of a `-----BEGIN PRIVATE KEY-----` block.
fn pkcs8_der_from_pem(pem: &str) -> Result<Vec<u8>, String> {
    const BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
    const END: &str = "-----END PRIVATE KEY-----";
    let body = pem
        .split_once(BEGIN)
        .and_then(|(_, rest)| rest.split_once(END))
        .map(|(body, _)| body)
        .ok_or_else(|| "private_key is not a PEM \"PRIVATE KEY\" block".to_owned())?;
    let base64_text: String = body.split_whitespace().collect();
    STANDARD
        .decode(base64_text)
        .map_err(|_| "private_key's PEM block is not valid base64".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_that_is_not_pem_is_refused_without_showing_it() {
        let account = ServiceAccount {
            client_email: "a@p".to_owned(),
            private_key_pem: "s3cret".to_owned(),
            private_key_id: None,
            token_uri: "http://t".to_owned(),
        };
        let error = signed_assertion(&account, 0).unwrap_err();
        assert_eq!(error, "private_key is not a PEM \"PRIVATE KEY\" block");
        let not_rsa = ServiceAccount {
            private_key_pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
                .to_owned(),
            ..account
        };
        let error = signed_assertion(&not_rsa, 0).unwrap_err();
        assert!(
            error.starts_with("private_key is not an RSA PKCS#8 key"),
            "{error}"
        );
    }
}
