//! Processor plugins: go-plugin's net/rpc protocol, as Dkron's processors speak it. One
//! connection to the plugin carries a yamux session (`yamux`); on its streams, Go's net/rpc
//! (`rpc_codec`, `rpc_connection`) sends gob-encoded calls (`gob`). [`NetRpcPlugin`] is the
//! plugin as the node uses it: `Plugin.Process(ProcessorArgs) → Execution`.

mod client;
mod dkron_types;
mod error;
mod gob;
mod relay;
mod rpc_codec;
mod rpc_connection;
mod yamux;

#[cfg(test)]
mod tests;

pub(crate) use client::NetRpcPlugin;
pub(crate) use dkron_types::{GoExecution, GoTimestamp, ProcessorArgs};
pub(crate) use error::NetRpcError;
#[cfg(test)]
pub(crate) use relay::RelayTargets;
