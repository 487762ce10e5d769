//! gRPC between nodes: the generated code of `proto/dkron.proto`, JSON framing helpers and a
//! pool of client channels.

mod channels;
mod json;
mod recent;

pub use channels::Channels;
pub use json::{from_json, json_status, to_json};

/// Code generated from `proto/dkron.proto`.
#[allow(missing_docs, clippy::all, clippy::pedantic, clippy::unwrap_used)]
pub mod proto {
    tonic::include_proto!("dkronrs.v1");
}
