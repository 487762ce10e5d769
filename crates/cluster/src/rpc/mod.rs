//! gRPC between nodes, typed: every other crate calls a node through [`NodeCalls`],
//! [`LeaderCalls`] or [`ServerCalls`] and serves one through [`NodeHandler`],
//! [`LeaderHandler`] and [`RpcServer`], in Rust types only.
//!
//! The generated code of `proto/dkron.proto` (`proto`), the JSON framing of payloads
//! (`json.rs`) and the mapping between gRPC statuses and our errors (`status.rs`, the only
//! place that reads or picks a status code) are private to this crate (DESIGN §3, STYLE
//! rules 7 and 8): a failed call is an [`RpcError`], a handler's refusal a [`ServiceError`].

mod call;
mod channels;
mod code;
mod error;
#[cfg(test)]
#[path = "fuzz_test.rs"]
mod fuzz;
mod json;
mod leader_calls;
mod leader_handler;
mod node_calls;
mod node_handler;
mod recent;
mod run_stream;
mod server;
mod server_calls;
mod service_error;
mod status;
mod tls_connection;

pub use channels::{BadAddress, Channels};
pub use code::RpcCode;
pub use error::RpcError;
pub use leader_calls::{LeaderCalls, RunJobAnswer};
pub use leader_handler::LeaderHandler;
pub use node_calls::NodeCalls;
pub use node_handler::NodeHandler;
pub use run_stream::{RunEventStream, RunStreamEvent};
pub use server::{RpcServer, ServeError};
pub use server_calls::ServerCalls;
pub use service_error::ServiceError;

pub(crate) use json::{from_json, json_status, to_json};
pub(crate) use server_calls::{FORWARDED, WriteAnswer};
pub(crate) use status::rpc_error;

/// Code generated from `proto/dkron.proto`; crate-private, so no other crate names it.
#[allow(
    missing_docs,
    dead_code,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used
)]
pub(crate) mod proto {
    tonic::include_proto!("dkronrs.v1");
}
