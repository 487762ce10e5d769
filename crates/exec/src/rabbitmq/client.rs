//! One publish: connect (bounded), open a channel in confirm mode, declare the queue when
//! asked, publish, wait for the broker's acknowledgement, close.
//!
//! lapin runs each connection's I/O on a thread of its own. Dropping lapin's handles does not
//! stop that thread while the handshake is still going on, so a broker that accepts the TCP
//! connection and never answers would keep it (and the socket) forever. The socket is
//! therefore opened here and a second handle on it is kept in [`BrokerSocket`]: shutting it
//! down ends lapin's thread on cancellation, timeout, or when the run's future is dropped.

use std::io;
use std::net::{Shutdown, TcpStream as StdTcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_compat::Compat;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::tcp::{AsyncTcpStream, OwnedTLSConfig};
use lapin::types::FieldTable;
use lapin::uri::AMQPUri;
use lapin::{BasicProperties, Confirmation, Connection, ConnectionProperties, ErrorKind};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::config::RabbitMqConfig;
use super::error::RabbitMqPublishError;
use super::url::{broker_address, wants_tls};

/// Bound on TCP connect plus the AMQP handshake: Go's amqp client dials with 30 s too.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on channel setup, declare, publish and the broker's acknowledgement (a broker under a
/// memory alarm blocks publishers without a word).
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on the polite close after a publish; the socket is shut down either way.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// RabbitMQ's reply code for a refused login, and the text Go's client reports for it.
const ACCESS_REFUSED: u16 = 403;
const LOGIN_REFUSED_TEXT: &str = "username or password not allowed";

/// The socket of one run, shared with the connector lapin calls on its I/O thread.
#[derive(Clone, Default)]
pub(super) struct BrokerSocket {
    slot: Arc<Mutex<SocketSlot>>,
    ended: CancellationToken,
}

#[derive(Default)]
enum SocketSlot {
    #[default]
    NotYet,
    Open(StdTcpStream),
    ShutDown,
}

impl BrokerSocket {
    /// Returns a guard that shuts the socket down when dropped (the run is over).
    pub(super) fn closer(&self) -> SocketCloser {
        SocketCloser(self.clone())
    }

    fn slot(&self) -> MutexGuard<'_, SocketSlot> {
        // A panic while holding it leaves a valid slot: keep using it.
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn keep(&self, stream: StdTcpStream) -> io::Result<()> {
        let mut slot = self.slot();
        if let SocketSlot::ShutDown = *slot {
            stream.shutdown(Shutdown::Both).ok();
            return Err(run_over());
        }
        *slot = SocketSlot::Open(stream);
        Ok(())
    }

    fn shut_down(&self) {
        self.ended.cancel();
        let previous = std::mem::replace(&mut *self.slot(), SocketSlot::ShutDown);
        if let SocketSlot::Open(stream) = previous {
            // Already closed by the peer is fine: the point is that nothing stays open.
            stream.shutdown(Shutdown::Both).ok();
        }
    }
}

/// Shuts the run's socket down when dropped.
pub(super) struct SocketCloser(BrokerSocket);

impl Drop for SocketCloser {
    fn drop(&mut self) {
        self.0.shut_down();
    }
}

fn run_over() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionAborted, "the run is over")
}

/// Publishes the configured message and returns once the broker has acknowledged it.
pub(super) async fn publish(
    config: &RabbitMqConfig,
    socket: &BrokerSocket,
) -> Result<(), RabbitMqPublishError> {
    let address = broker_address(&config.broker);
    let connecting = connect(config.broker.clone(), socket.clone());
    let connection = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
        .await
        .map_err(|_| timed_out(&address, CONNECT_TIMEOUT))?
        .map_err(|error| describe(&error, &address, Stage::Handshake))?;
    let sent = tokio::time::timeout(PUBLISH_TIMEOUT, send(&connection, config)).await;
    // Closed politely whatever happened, so the broker logs no abrupt disconnect.
    let closing = connection.close(200, "OK".into());
    if let Ok(Err(error)) = tokio::time::timeout(CLOSE_TIMEOUT, closing).await {
        tracing::debug!(error = %error, "rabbitmq connection close");
    }
    let confirmation = sent
        .map_err(|_| timed_out(&address, PUBLISH_TIMEOUT))?
        .map_err(|error| describe(&error, &address, Stage::Session))?;
    match confirmation {
        Confirmation::Ack(_) => Ok(()),
        Confirmation::Nack(_) => Err(RabbitMqPublishError::NotAccepted),
        Confirmation::NotRequested => Err(RabbitMqPublishError::Client {
            reason: "the publish was not confirmed".to_owned(),
        }),
    }
}

async fn connect(broker: AMQPUri, socket: BrokerSocket) -> lapin::Result<Connection> {
    let runtime = lapin::runtime::default_runtime()?;
    let properties = ConnectionProperties::default().with_connection_name("dkron".into());
    let open = async move |uri: AMQPUri, _runtime| open_stream(uri, socket.clone()).await;
    Connection::connector(broker, runtime, open, properties).await
}

/// Opens the TCP connection (and TLS for `amqps`) the way lapin's own connector does, keeping
/// a second handle on the socket in `socket`.
async fn open_stream(
    uri: AMQPUri,
    socket: BrokerSocket,
) -> lapin::Result<AsyncTcpStream<Compat<TcpStream>>> {
    let host = uri.authority.host.clone();
    let connecting = tokio::time::timeout(
        CONNECT_TIMEOUT,
        TcpStream::connect((host.clone(), uri.authority.port)),
    );
    let tcp = tokio::select! {
        connected = connecting => connected
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??,
        () = socket.ended.cancelled() => return Err(run_over().into()),
    };
    tcp.set_nodelay(true)?;
    let std_stream = tcp.into_std()?;
    socket.keep(std_stream.try_clone()?)?;
    let plain = AsyncTcpStream::Plain(Compat::new(TcpStream::from_std(std_stream)?));
    if !wants_tls(&uri) {
        return Ok(plain);
    }
    let tls = OwnedTLSConfig::default();
    Ok(plain.into_tls(&host, tls.as_ref()).await?)
}

async fn send(connection: &Connection, config: &RabbitMqConfig) -> lapin::Result<Confirmation> {
    let channel = connection.create_channel().await?;
    channel
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    if let Some(flags) = config.declare {
        let options = QueueDeclareOptions {
            durable: flags.durable,
            auto_delete: flags.auto_delete,
            exclusive: flags.exclusive,
            ..QueueDeclareOptions::default()
        };
        let queue = config.queue_name.as_str().into();
        channel
            .queue_declare(queue, options, FieldTable::default())
            .await?;
    }
    let confirm = channel
        .basic_publish(
            config.exchange.as_str().into(),
            config.queue_name.as_str().into(),
            BasicPublishOptions::default(),
            &config.body,
            message_properties(config),
        )
        .await?;
    confirm.await
}

/// The message's properties; like Go's client, a zero delivery mode and an empty id are left
/// out rather than sent.
fn message_properties(config: &RabbitMqConfig) -> BasicProperties {
    let mut properties =
        BasicProperties::default().with_content_type(config.content_type.as_str().into());
    if config.delivery_mode > 0 {
        properties = properties.with_delivery_mode(config.delivery_mode);
    }
    if !config.message_id.is_empty() {
        properties = properties.with_message_id(config.message_id.as_str().into());
    }
    properties
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Handshake,
    Session,
}

fn timed_out(address: &str, bound: Duration) -> RabbitMqPublishError {
    RabbitMqPublishError::TimedOut {
        address: address.to_owned(),
        seconds: bound.as_secs(),
    }
}

fn describe(error: &lapin::Error, address: &str, stage: Stage) -> RabbitMqPublishError {
    match error.kind() {
        ErrorKind::ProtocolError(amqp)
            if stage == Stage::Handshake && amqp.get_id() == ACCESS_REFUSED =>
        {
            RabbitMqPublishError::Refused {
                code: ACCESS_REFUSED,
                reason: LOGIN_REFUSED_TEXT.to_owned(),
            }
        }
        ErrorKind::ProtocolError(amqp) => RabbitMqPublishError::Refused {
            code: amqp.get_id(),
            reason: amqp.get_message().as_str().to_owned(),
        },
        ErrorKind::IOError(io_error) if stage == Stage::Handshake => RabbitMqPublishError::Dial {
            address: address.to_owned(),
            reason: io_error.to_string(),
        },
        _ => RabbitMqPublishError::Client {
            reason: dkron_model::secrets::redact_urls_in(&error.to_string()),
        },
    }
}
