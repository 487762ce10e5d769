//! `dkron acl …`: Dkron Pro's ACL commands over a server's REST API (`/v1/acl/…`).
//!
//! Pro's commands talk gRPC to `--rpc-addr`; ours use the HTTP API, which already enforces
//! ACLs, so `--rpc-addr` is accepted only to say what to use instead (ADR 16).

use serde_json::{Value, json};

use crate::acl_args::{
    AclCommand, AclTarget, DEFAULT_HTTP_ADDR, NamedPolicy, PolicyCommand, TokenCommand,
};
use crate::cli::HttpTarget;
use crate::jobs_file::{JobsFileError, client, send, url, with_token};

/// Why an ACL command failed.
#[derive(Debug, thiserror::Error)]
pub enum AclCliError {
    /// The request failed or was refused.
    #[error(transparent)]
    Request(#[from] JobsFileError),
    /// `--rpc-addr` was given without `--http-addr`.
    #[error(
        "--rpc-addr {0} is Dkron Pro's gRPC address; dkron-rs' ACL commands use the REST API: \
         pass --http-addr HOST:PORT (the server's http-addr, 127.0.0.1:8080 by default)"
    )]
    RpcAddr(String),
    /// The rules file could not be read.
    #[error("{path}: {message}")]
    RulesFile {
        /// The file.
        path: String,
        /// The reason.
        message: String,
    },
    /// The server's answer is not what the route returns.
    #[error("unreadable answer: {0}")]
    BadAnswer(String),
}

/// Runs an ACL command and returns its text.
pub async fn run(command: AclCommand) -> Result<String, AclCliError> {
    match command {
        AclCommand::Bootstrap(target) => {
            let answer = call(&target, "POST", "/v1/acl/bootstrap", None).await?;
            Ok(token_text(&answer))
        }
        AclCommand::Policy(command) => run_policy(command).await,
        AclCommand::Token(command) => run_token(command).await,
    }
}

async fn run_policy(command: PolicyCommand) -> Result<String, AclCliError> {
    match command {
        PolicyCommand::Apply {
            name,
            rules_file,
            target,
        } => {
            let rules =
                std::fs::read_to_string(&rules_file).map_err(|error| AclCliError::RulesFile {
                    path: rules_file.display().to_string(),
                    message: error.to_string(),
                })?;
            let body = json!({ "Name": name, "Rules": rules });
            let path = format!("/v1/acl/policies/{name}");
            call(&target, "POST", &path, Some(body)).await?;
            Ok(format!("Policy {name} applied\n"))
        }
        PolicyCommand::Delete(named) => {
            let name = named.name();
            let path = format!("/v1/acl/policies/{name}");
            call(&named.target, "DELETE", &path, None).await?;
            Ok(format!("Policy {name} deleted\n"))
        }
        PolicyCommand::Info(named) => {
            let path = format!("/v1/acl/policies/{}", named.name());
            let answer = call(&named.target, "GET", &path, None).await?;
            Ok(policy_text(&answer))
        }
        PolicyCommand::List(target) => {
            let answer = call(&target, "GET", "/v1/acl/policies", None).await?;
            Ok(list_text(&answer, policy_text))
        }
    }
}

async fn run_token(command: TokenCommand) -> Result<String, AclCliError> {
    match command {
        TokenCommand::Create {
            name,
            kind,
            policy,
            expiration_ttl,
            target,
        } => {
            let mut body = json!({ "Name": name, "Type": kind, "Policies": policy });
            if let Some(ttl) = expiration_ttl {
                body["ExpirationTTL"] = Value::from(ttl);
            }
            let answer = call(&target, "POST", "/v1/acl/tokens", Some(body)).await?;
            Ok(token_text(&answer))
        }
        TokenCommand::Info(named) => {
            let path = format!("/v1/acl/tokens/{}", named.accessor);
            Ok(token_text(&call(&named.target, "GET", &path, None).await?))
        }
        TokenCommand::List(target) => {
            let answer = call(&target, "GET", "/v1/acl/tokens", None).await?;
            Ok(list_text(&answer, token_text))
        }
        TokenCommand::Delete(named) => {
            let path = format!("/v1/acl/tokens/{}", named.accessor);
            call(&named.target, "DELETE", &path, None).await?;
            Ok(format!("Token {} deleted\n", named.accessor))
        }
    }
}

impl AclTarget {
    /// The REST API to use. Pro's `--rpc-addr` alone is refused with what to use instead
    /// (its port is gRPC, and the HTTP port cannot be guessed); beside `--http-addr` it is
    /// ignored with a warning.
    fn http_target(&self) -> Result<HttpTarget, AclCliError> {
        let http_addr = match (&self.http_addr, &self.rpc_addr) {
            (None, Some(rpc_addr)) => return Err(AclCliError::RpcAddr(rpc_addr.clone())),
            (Some(http_addr), Some(_)) => {
                eprintln!(
                    "warning: --rpc-addr is not used by dkron-rs' ACL commands; using --http-addr {http_addr}"
                );
                http_addr.clone()
            }
            (Some(http_addr), None) => http_addr.clone(),
            (None, None) => DEFAULT_HTTP_ADDR.to_owned(),
        };
        Ok(HttpTarget {
            http_addr,
            token: self.token.clone(),
            tls: self.tls.clone(),
        })
    }
}

impl NamedPolicy {
    fn name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.positional.as_deref())
            .unwrap_or_default()
    }
}

/// Sends one request and returns the parsed JSON answer.
async fn call(
    target: &AclTarget,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Result<Value, AclCliError> {
    let http = target.http_target()?;
    let url = url(&http, path);
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let mut request = with_token(client(&http)?.request(method, &url), &http);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let text = send(request, &url).await?;
    serde_json::from_str(&text).map_err(|error| AclCliError::BadAnswer(error.to_string()))
}

fn field<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap_or_default()
}

/// A token in Pro's words: `Accessor ID: …`, `Secret: …` (only when just made), ….
fn token_text(token: &Value) -> String {
    let mut text = format!("Accessor ID: {}\n", field(token, "AccessorID"));
    if let Some(secret) = token["SecretID"].as_str() {
        text.push_str(&format!("Secret: {secret}\n"));
    }
    let policies: Vec<&str> = token["Policies"]
        .as_array()
        .map(|names| names.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    text.push_str(&format!(
        "Name: {}\nType: {}\nCreateTime: {}\nPolicies: {}\n",
        field(token, "Name"),
        field(token, "Type"),
        field(token, "CreateTime"),
        policies.join(", ")
    ));
    if let Some(expiry) = token["ExpirationTime"].as_str() {
        text.push_str(&format!("ExpirationTime: {expiry}\n"));
    }
    text
}

fn policy_text(policy: &Value) -> String {
    format!(
        "Name: {}\nRules: {}\n",
        field(policy, "Name"),
        field(policy, "Rules")
    )
}

/// Each item as `render` writes it, separated by blank lines.
fn list_text(items: &Value, render: fn(&Value) -> String) -> String {
    let rendered: Vec<String> = items
        .as_array()
        .map(|items| items.iter().map(render).collect())
        .unwrap_or_default();
    rendered.join("\n")
}
