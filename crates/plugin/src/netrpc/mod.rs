//! Processor plugins: go-plugin's net/rpc protocol, as Dkron's processors speak it. One
//! connection to the plugin carries a yamux session ([`yamux`]); on its streams, Go's net/rpc
//! ([`rpc_codec`]) sends gob-encoded calls ([`gob`]). [`NetRpcPlugin`] is the plugin as the
//! node uses it: `Plugin.Process(ProcessorArgs) → Execution`.

mod dkron_types;
mod gob;
mod rpc_codec;
