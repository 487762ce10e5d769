//! The broker URL, read the way Dkron's Go client reads it.
//!
//! Two readings differ from lapin's own parser and matter to users moving jobs over: Go takes
//! both `amqp://host:5672` and `amqp://host:5672/` to mean the default virtual host `/` (lapin
//! reads the trailing slash as the empty virtual host, which RabbitMQ does not have), and Go
//! refuses a URL holding a space.

use lapin::uri::{AMQPScheme, AMQPUri};
use reqwest::Url;

use super::error::RabbitMqConfigError;

const SCHEME_ERROR: &str = "AMQP scheme must be either 'amqp://' or 'amqps://'";

/// Parses `text` into the address lapin connects to. Errors never repeat the URL.
pub(super) fn parse_broker_url(text: &str) -> Result<AMQPUri, RabbitMqConfigError> {
    let invalid = |reason: String| RabbitMqConfigError::InvalidUrl { reason };
    if text.contains(' ') {
        return Err(invalid("URI must not contain whitespace".to_owned()));
    }
    let url =
        Url::parse(text).map_err(|error| invalid(format!("invalid RabbitMQ url: {error}")))?;
    if !matches!(url.scheme(), "amqp" | "amqps") {
        return Err(invalid(SCHEME_ERROR.to_owned()));
    }
    let mut uri: AMQPUri = text
        .parse()
        .map_err(|_: String| invalid("invalid RabbitMQ url".to_owned()))?;
    if uri.vhost.is_empty() {
        uri.vhost = "/".to_owned();
    }
    // lapin only takes a host name from the URL; an IP literal would fall back to localhost.
    if let Some(host) = url.host_str().filter(|host| !host.is_empty()) {
        uri.authority.host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
    }
    Ok(uri)
}

/// Returns `host:port` of a parsed URL, for messages (it holds no user info).
pub(super) fn broker_address(uri: &AMQPUri) -> String {
    let host = &uri.authority.host;
    if host.contains(':') {
        format!("[{host}]:{}", uri.authority.port)
    } else {
        format!("{host}:{}", uri.authority.port)
    }
}

/// Returns true when the URL asks for TLS (`amqps`).
pub(super) fn wants_tls(uri: &AMQPUri) -> bool {
    uri.scheme == AMQPScheme::AMQPS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> AMQPUri {
        parse_broker_url(text).unwrap()
    }

    #[test]
    fn a_trailing_slash_is_the_default_virtual_host_as_in_go() {
        assert_eq!(parsed("amqp://guest:guest@localhost:5672/").vhost, "/");
        assert_eq!(parsed("amqp://guest:guest@localhost:5672").vhost, "/");
        assert_eq!(parsed("amqp://localhost/%2f").vhost, "/");
        assert_eq!(parsed("amqp://localhost/orders").vhost, "orders");
    }

    #[test]
    fn user_host_and_port_come_from_the_url() {
        let uri = parsed("amqps://app:s%40cret@127.0.0.1:5999/");
        assert_eq!(uri.authority.userinfo.username, "app");
        assert_eq!(uri.authority.userinfo.password, "s@cret");
        assert_eq!(uri.authority.host, "127.0.0.1");
        assert_eq!(uri.authority.port, 5999);
        assert!(wants_tls(&uri));
        assert_eq!(broker_address(&uri), "127.0.0.1:5999");
    }

    #[test]
    fn ipv6_hosts_and_default_ports_and_users() {
        let uri = parsed("amqp://[::1]/");
        assert_eq!(broker_address(&uri), "[::1]:5672");
        assert_eq!(uri.authority.userinfo.username, "guest");
        assert_eq!(parsed("amqps://broker.example").authority.port, 5671);
        assert!(!wants_tls(&parsed("amqp://broker.example")));
    }

    #[test]
    fn other_schemes_spaces_and_garbage_are_refused_without_the_password() {
        let message = |text: &str| parse_broker_url(text).unwrap_err().to_string();
        assert_eq!(
            message("http://u:hunter2@localhost/"),
            "AMQP scheme must be either 'amqp://' or 'amqps://'"
        );
        assert_eq!(
            message("amqp://u:hunter2@local host/"),
            "URI must not contain whitespace"
        );
        for bad in ["hunter2@localhost", "amqp://u:hunter2@localhost:99999/"] {
            let text = message(bad);
            assert!(text.starts_with("invalid RabbitMQ url"), "{text}");
            assert!(!text.contains("hunter2"), "{text}");
        }
    }
}
