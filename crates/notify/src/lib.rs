//! The notifiers of dkron-rs (Dkron §9): the webhook after each execution and the pre-webhook
//! when one starts, mail to a job's owner and Cronitor pings, with Dkron's templates and
//! report. Each channel is a module whose `send` delivers one message; [`NotifySettings`]
//! says which channels are on, read from the agent's configuration.
//!
//! Which executions are notified and when (the replicated outbox that carries notifications
//! across a leader change) is the agent's wiring, in `crates/agent/src/notices/`.

pub mod cronitor;
mod error;
pub mod mail;
pub mod report;
mod settings;
pub mod template;
pub mod webhook;

pub use error::SendError;
pub use settings::NotifySettings;
