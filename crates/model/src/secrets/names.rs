//! Which names (of configuration keys, headers and query parameters) mark a credential.

/// Parts of a key name that mark its whole value as a secret (compared after lowercasing
/// and dropping everything but letters and digits, so `saslPassword`, `api-key` and
/// `API_KEY` all match). `saslUsername` is one because hosted Kafka services use an API key
/// as the SASL user name.
const SECRET_NAME_PARTS: [&str; 11] = [
    "saslusername",
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "credential",
    "privatekey",
    "authorization",
    "webhookurl",
    "signature",
];

/// Returns the name lowercased with everything but ASCII letters and digits removed.
pub(super) fn normalized(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|character| character.to_ascii_lowercase())
        .collect()
}

/// Returns true when a key, header or query parameter of this name holds a credential.
pub(super) fn is_secret_name(name: &str) -> bool {
    let name = normalized(name);
    SECRET_NAME_PARTS.iter().any(|part| name.contains(part))
}

/// Returns true when a request header of this name carries a credential (`Authorization`,
/// `Proxy-Authorization`, `Cookie`, `X-Api-Key`, `X-Auth-Token`, …).
pub(super) fn is_secret_header(name: &str) -> bool {
    let name = normalized(name);
    is_secret_name(&name)
        || ["auth", "cookie", "session"]
            .iter()
            .any(|part| name.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn executor_credentials_are_recognised() {
        for name in ["password", "saslPassword", "saslUsername", "api_key"] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in ["userName", "topic", "brokerAddress", "queue.name"] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn credential_headers_are_recognised() {
        for name in [
            "Authorization",
            "proxy-authorization",
            "Cookie",
            "X-Api-Key",
            "X-Auth-Token",
        ] {
            assert!(is_secret_header(name), "{name}");
        }
        for name in ["Content-Type", "Accept", "User-Agent"] {
            assert!(!is_secret_header(name), "{name}");
        }
    }
}
