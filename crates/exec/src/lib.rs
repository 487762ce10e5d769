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
mod executor;
mod gobool;
mod http;
#[cfg(feature = "kafka")]
mod kafka;
mod live;
mod output;
mod processors;
mod registry;
mod request;
mod shell;

pub use error::{
    FluentError, HttpClientError, HttpConfigError, ProcessorError, RegistryError, ShellConfigError,
};
pub use executor::{ExecReport, Executor};
pub use http::{HttpConfig, HttpExecutor, TlsSettings};
#[cfg(feature = "kafka")]
pub use kafka::{KafkaConfigError, KafkaExecutor, KafkaRunError};
pub use output::OutputSink;
pub use processors::{ProcessorContext, Processors};
pub use registry::Registry;
pub use request::{DEFAULT_OUTPUT_CAP_BYTES, ExecLimits, ExecOutcome, ExecRequest};
pub use shell::{ShellConfig, ShellExecutor, SwitchUser};
