//! The host side of Dkron's executor plugin protocol over go-plugin's gRPC: connecting to a
//! started plugin, its broker (through which the plugin reaches the host's per-call
//! `StatusHelper` for live output), Execute, graceful shutdown, and the relay of the
//! plugin's standard output (go-plugin 1.3+).
//!
//! The wire names are Dkron v4's (`types.v1.ExecutorService`, `types.v1.StatusHelperService`),
//! with Dkron v3's (`types.Executor`, `types.StatusHelper`) as a fallback.

mod broker;
mod channel;
mod error;
mod plugin;
mod proto;
mod status_server;
mod stdio;

#[cfg(test)]
mod fixture_test;

pub(crate) use error::GrpcError;
pub(crate) use plugin::{ExecuteReply, GrpcPlugin};
pub(crate) use status_server::StatusUpdate;
#[cfg(test)]
pub(crate) use stdio::{StdioChunk, StdioStream, StdioTarget};

/// The largest message accepted from a plugin (an Execute reply or a status update), as
/// bytes: a job's output beyond this is refused rather than held in memory.
const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
