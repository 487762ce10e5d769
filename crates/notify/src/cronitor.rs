//! Cronitor pings (Dkron §9.5): a `GET` to `<endpoint>/<job>` when an execution starts
//! (`state=run`) and when it ends (`complete` or `fail`), with Dkron's query parameters.

use std::time::Duration;

use dkron_model::Execution;

use crate::error::SendError;

/// Longest a ping may take.
const PING_DEADLINE: Duration = Duration::from_secs(30);

/// What a ping reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ping {
    /// The execution started.
    Run,
    /// It ended, successfully or not.
    Done {
        /// Whether it succeeded.
        success: bool,
    },
}

/// The ping's URL, with the parameters in Dkron's (alphabetical) order. Dkron's message says
/// `complete` for a failure too; we keep that, as monitors may match on it.
pub fn url(endpoint: &str, execution: &Execution, ping: Ping) -> String {
    let (message, state) = match ping {
        Ping::Run => ("Job run by Dkron", "run"),
        Ping::Done { success: true } => ("Job complete by Dkron", "complete"),
        Ping::Done { success: false } => ("Job complete by Dkron", "fail"),
    };
    format!(
        "{}/{}?host={}&message={}&series={}&state={}",
        endpoint.trim_end_matches('/'),
        execution.job_name,
        query_escape(&execution.node_name),
        query_escape(message),
        query_escape(&execution.id),
        state,
    )
}

/// Sends one ping; the answer is only logged, as in Dkron, except a server error (5xx),
/// which is tried again.
pub async fn send(client: &reqwest::Client, url: &str) -> Result<(), SendError> {
    let response = client
        .get(url)
        .timeout(PING_DEADLINE)
        .send()
        .await
        .map_err(|error| SendError::Unreachable {
            channel: "cronitor",
            url: url.to_string(),
            message: error.to_string(),
        })?;
    let status = response.status();
    if status.is_server_error() {
        return Err(SendError::ServerError {
            channel: "cronitor",
            url: url.to_string(),
            status: status.to_string(),
        });
    }
    tracing::debug!(%url, status = status.as_u16(), "cronitor answered");
    Ok(())
}

/// Go's `url.QueryEscape`: unreserved characters stay, a space becomes `+`, every other byte
/// is `%XX`.
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(byte));
            }
            b' ' => out.push('+'),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execution() -> Execution {
        Execution {
            id: "1766194200000000000-node 1".into(),
            job_name: "backup".into(),
            node_name: "node 1".into(),
            ..Execution::default()
        }
    }

    #[test]
    fn writes_dkrons_parameters_in_order() {
        assert_eq!(
            url("https://cronitor.link/p/key/", &execution(), Ping::Run),
            "https://cronitor.link/p/key/backup?host=node+1&message=Job+run+by+Dkron&series=1766194200000000000-node+1&state=run"
        );
        assert_eq!(
            url(
                "https://cronitor.link/p/key",
                &execution(),
                Ping::Done { success: false }
            ),
            "https://cronitor.link/p/key/backup?host=node+1&message=Job+complete+by+Dkron&series=1766194200000000000-node+1&state=fail"
        );
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(query_escape("a~b.c_d-e"), "a~b.c_d-e");
        assert_eq!(query_escape("a/b&c=d é"), "a%2Fb%26c%3Dd+%C3%A9");
    }
}
