//! A local OAuth2 token endpoint and GCE metadata server for the Application Default
//! Credentials tests: the token endpoint checks a service account's RS256 assertion (its
//! signature against the test key, its claims and grant type) or a refresh-token grant,
//! and hands out a fixed access token.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::signature::{KeyPair, RSA_PKCS1_2048_8192_SHA256, RsaKeyPair, UnparsedPublicKey};
use serde_json::{Value, json};

/// A 2048-bit RSA key made for these tests only (PKCS#8 PEM).
pub const TEST_KEY_PEM: &str = include_str!("pubsub_test_only_key.pem");
/// The access token the endpoint hands out.
pub const ISSUED_TOKEN: &str = "ya29.issued-by-the-test-endpoint";
/// The user credentials the endpoint accepts.
pub const REFRESH_TOKEN: &str = "1//refresh-secret-value";
pub const CLIENT_SECRET: &str = "client-secret-value";

/// What the token endpoint does with a request.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Checks the request and issues [`ISSUED_TOKEN`].
    Issue,
    /// Answers 400 `invalid_grant`, as Google does for a revoked key.
    Refuse,
}

#[derive(Clone)]
struct Shared {
    mode: Mode,
    public_key: Vec<u8>,
    own_url: String,
    calls: Arc<Mutex<Vec<String>>>,
}

/// A running token endpoint (and metadata server, at the same address).
pub struct TokenServer {
    pub address: SocketAddr,
    calls: Arc<Mutex<Vec<String>>>,
}

impl TokenServer {
    /// Returns the token endpoint's URL.
    pub fn token_uri(&self) -> String {
        format!("http://{}/token", self.address)
    }

    /// Returns one line per request received (`grant <type>` or `metadata`).
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

/// Starts the endpoint on a free port of 127.0.0.1.
pub async fn start(mode: Mode) -> TokenServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let pem_body: String = TEST_KEY_PEM
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let key_pair = RsaKeyPair::from_pkcs8(&STANDARD.decode(pem_body).unwrap()).unwrap();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let shared = Shared {
        mode,
        public_key: key_pair.public_key().as_ref().to_vec(),
        own_url: format!("http://{address}/token"),
        calls: calls.clone(),
    };
    let router = Router::new()
        .route("/token", post(token))
        .route(
            "/computeMetadata/v1/instance/service-accounts/default/token",
            get(metadata_token),
        )
        .with_state(shared);
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    TokenServer { address, calls }
}

/// Returns the JSON of a service-account key file whose tokens come from `token_uri`.
pub fn service_account_json(token_uri: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "project-id",
        "private_key_id": "test-key-1",
        "private_key": TEST_KEY_PEM,
        "client_email": "dkron@project-id.iam.gserviceaccount.com",
        "client_id": "1234",
        "token_uri": token_uri,
    })
    .to_string()
}

/// Returns the JSON gcloud writes after `gcloud auth application-default login`.
pub fn authorized_user_json(token_uri: &str) -> String {
    json!({
        "type": "authorized_user",
        "client_id": "client-id.apps.googleusercontent.com",
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH_TOKEN,
        "token_uri": token_uri,
    })
    .to_string()
}

async fn token(State(shared): State<Shared>, body: String) -> (StatusCode, String) {
    let form = parse_form(&body);
    let grant = form.get("grant_type").cloned().unwrap_or_default();
    shared.calls.lock().unwrap().push(format!("grant {grant}"));
    if shared.mode == Mode::Refuse {
        let refusal = json!({"error": "invalid_grant", "error_description": "Invalid JWT"});
        return (StatusCode::BAD_REQUEST, refusal.to_string());
    }
    let accepted = match grant.as_str() {
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => check_assertion(
            &shared,
            form.get("assertion").map(String::as_str).unwrap_or(""),
        ),
        "refresh_token" => {
            form.get("refresh_token").map(String::as_str) == Some(REFRESH_TOKEN)
                && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET)
        }
        _ => false,
    };
    if !accepted {
        return (
            StatusCode::UNAUTHORIZED,
            json!({"error": "unauthorized_client"}).to_string(),
        );
    }
    let issued = json!({"access_token": ISSUED_TOKEN, "expires_in": 3599, "token_type": "Bearer"});
    (StatusCode::OK, issued.to_string())
}

/// The signature verifies against the test key, and the claims are those Google requires.
fn check_assertion(shared: &Shared, assertion: &str) -> bool {
    let parts: Vec<&str> = assertion.split('.').collect();
    let [header, claims, signature] = parts[..] else {
        return false;
    };
    let signed = format!("{header}.{claims}");
    let signature = URL_SAFE_NO_PAD.decode(signature).unwrap();
    let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &shared.public_key);
    if key.verify(signed.as_bytes(), &signature).is_err() {
        return false;
    }
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let (header, claims) = (decode(header), decode(claims));
    let now = chrono::Utc::now().timestamp();
    header["alg"] == "RS256"
        && header["kid"] == "test-key-1"
        && claims["iss"] == "dkron@project-id.iam.gserviceaccount.com"
        && claims["aud"] == shared.own_url.as_str()
        && claims["scope"] == "https://www.googleapis.com/auth/pubsub"
        && claims["iat"]
            .as_i64()
            .is_some_and(|iat| (now - iat).abs() < 60)
        && claims["exp"].as_i64() == claims["iat"].as_i64().map(|iat| iat + 3600)
}

async fn metadata_token(State(shared): State<Shared>, headers: HeaderMap) -> (StatusCode, String) {
    shared.calls.lock().unwrap().push("metadata".to_owned());
    if headers.get("metadata-flavor").map(|value| value.as_bytes()) != Some(b"Google") {
        return (StatusCode::FORBIDDEN, "missing Metadata-Flavor".to_owned());
    }
    let issued = json!({"access_token": ISSUED_TOKEN, "expires_in": 3599, "token_type": "Bearer"});
    (StatusCode::OK, issued.to_string())
}

fn parse_form(body: &str) -> BTreeMap<String, String> {
    body.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (percent_decoded(name), percent_decoded(value)))
        .collect()
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::new();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[index + 1..index + 3]).unwrap();
            decoded.push(u8::from_str_radix(hex, 16).unwrap());
            index += 3;
        } else {
            decoded.push(if bytes[index] == b'+' {
                b' '
            } else {
                bytes[index]
            });
            index += 1;
        }
    }
    String::from_utf8(decoded).unwrap()
}
