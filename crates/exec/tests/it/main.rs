//! Integration tests for dkron-exec: real processes and real HTTP servers on 127.0.0.1.

// Test helpers outside #[test] functions unwrap too; a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

mod contract;
#[cfg(feature = "grpc")]
mod grpc;
mod http;
mod http_server;
#[cfg(feature = "kafka")]
mod kafka;
#[cfg(feature = "kafka")]
mod kafka_tls;
#[cfg(feature = "nats")]
mod nats;
#[cfg(feature = "gcppubsub")]
mod pubsub;
#[cfg(feature = "gcppubsub")]
mod pubsub_adc;
#[cfg(feature = "gcppubsub")]
mod pubsub_tokens;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
mod registry;
mod shell;
mod shell_limits;
mod support;
mod tls;
