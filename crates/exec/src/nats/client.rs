//! Connecting to a NATS server of the list, publishing one message and waiting until the
//! server has it. Everything here is bounded in time; cancellation is the caller's `select!`
//! (dropping these futures closes the connection: nothing is left running).

use std::time::Duration;

use async_nats::{Client, ConnectOptions};

use super::config::{Credentials, NatsConfig};
use super::error::NatsDeliveryError;
use crate::error_chain::error_chain;

/// How long one server of the list may take to accept the TCP connection and finish the
/// handshake (INFO, TLS, CONNECT, PONG). nats.go's default is 2 s; a little more leaves
/// room for a TLS handshake on a busy host.
pub(super) const CONNECT_TIMEOUT_PER_SERVER: Duration = Duration::from_secs(5);

/// How long the server may take to confirm (PONG to our PING) that it has the message.
pub(super) const CONFIRM_TIMEOUT: Duration = Duration::from_secs(10);

/// Connects, publishes `config.message` on `config.subject` and flushes, so that success
/// means the server received the message (Dkron does not wait and ignores publish errors).
pub(super) async fn deliver(config: &NatsConfig) -> Result<(), NatsDeliveryError> {
    let client = connect(config).await?;
    let confirmed = tokio::time::timeout(CONFIRM_TIMEOUT, publish_and_flush(&client, config));
    let result = match confirmed.await {
        Ok(result) => result,
        Err(_) => Err(NatsDeliveryError::Publish {
            detail: format!(
                "the server did not confirm the message within {}s",
                CONFIRM_TIMEOUT.as_secs()
            ),
        }),
    };
    // Closes the connection once what was published is written; the client's tasks end
    // when the last handle (this one) is dropped.
    client.drain().await.ok();
    result
}

async fn connect(config: &NatsConfig) -> Result<Client, NatsDeliveryError> {
    let mut options = ConnectOptions::new()
        .name("dkron")
        .connection_timeout(CONNECT_TIMEOUT_PER_SERVER)
        // Dkron's list order is tried as given; one pass over it (plus servers the first one
        // announces), then give up instead of reconnecting forever in the background.
        .retain_servers_order()
        .max_reconnects(config.servers.len().max(1));
    options = match &config.credentials {
        Credentials::None => options,
        Credentials::UserPassword { user, password } => {
            options.user_and_password(user.clone(), password.clone())
        }
        Credentials::Token(token) => options.token(token.clone()),
    };
    options
        .connect(config.servers.clone())
        .await
        .map_err(|error| NatsDeliveryError::Connect {
            detail: error_chain(&error),
        })
}

async fn publish_and_flush(client: &Client, config: &NatsConfig) -> Result<(), NatsDeliveryError> {
    let failed = |detail: String| NatsDeliveryError::Publish { detail };
    client
        .publish(config.subject.clone(), config.message.clone().into())
        .await
        .map_err(|error| failed(error_chain(&error)))?;
    client
        .flush()
        .await
        .map_err(|error| failed(error_chain(&error)))
}
