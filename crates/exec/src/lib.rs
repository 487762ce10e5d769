//! dkron-exec: the executors that turn a Dkron job into a process (`shell`) or a request (`http`).
//!
//! Callers build a [`Registry`] once (usually [`Registry::builtin`]) and hand it one
//! [`ExecRequest`] per run. [`Registry::run`] always returns exactly one [`ExecOutcome`]: output is
//! streamed live while the run goes on and stored as a capped tail, and the run is killed on
//! timeout, memory limit or cancellation. The contract every executor keeps is written down in
//! this crate's `README.md`; user-facing keys are documented in `docs/executors.md`.

#![warn(missing_docs)]

mod byte_tail;
mod error;
mod error_chain;
mod executor;
mod gobool;
#[cfg(feature = "grpc")]
mod grpc;
mod http;
#[cfg(feature = "kafka")]
mod kafka;
mod live;
#[cfg(feature = "nats")]
mod nats;
mod output;
mod processors;
#[cfg(feature = "gcppubsub")]
mod pubsub;
#[cfg(feature = "rabbitmq")]
mod rabbitmq;
mod registry;
mod request;
mod shell;

pub use error::{
    FluentError, HttpClientError, HttpConfigError, ProcessorError, RegistryError, ShellConfigError,
};
pub use error_chain::{error_chain, with_causes};
pub use executor::{ExecReport, Executor};
#[cfg(feature = "grpc")]
pub use grpc::{GrpcCallError, GrpcConfig, GrpcConfigError, GrpcExecutor, GrpcHeader, GrpcTarget};
pub use http::{HttpConfig, HttpExecutor, TlsSettings};
#[cfg(feature = "kafka")]
pub use kafka::{KafkaConfigError, KafkaExecutor, KafkaRunError};
#[cfg(feature = "nats")]
pub use nats::{NatsConfigError, NatsDeliveryError, NatsExecutor};
pub use output::OutputSink;
pub use processors::{
    EndedExecution, ExternalProcessor, ExternalProcessors, ProcessorContext, Processors,
};
#[cfg(feature = "gcppubsub")]
pub use pubsub::{
    CredentialError, PubSubConfig, PubSubConfigError, PubSubEnvironment, PubSubExecutor,
    PublishError,
};
#[cfg(feature = "rabbitmq")]
pub use rabbitmq::{
    QueueFlags, RabbitMqConfig, RabbitMqConfigError, RabbitMqExecutor, RabbitMqPublishError,
};
pub use registry::Registry;
pub use request::{DEFAULT_OUTPUT_CAP_BYTES, ExecLimits, ExecOutcome, ExecRequest};
pub use shell::{ShellConfig, ShellExecutor, SwitchUser};
