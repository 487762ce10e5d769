//! dkron-plugin: runs Dkron's plugin binaries unchanged. A Dkron plugin is a Go program built
//! on HashiCorp's go-plugin and named `dkron-executor-<name>` or `dkron-processor-<name>`;
//! this crate finds them where Dkron does, starts them with Dkron's handshake, and speaks
//! their protocols: gRPC (with go-plugin's broker, for the `StatusHelper` live output) to
//! executors, and Go's net/rpc over yamux with gob encoding to processors. User and author
//! documentation: `docs/plugins.md`.

#![warn(missing_docs)]

mod discovery;
mod executor;
#[cfg(test)]
#[path = "../tests/it/fixtures.rs"]
#[allow(
    dead_code,
    reason = "shared with tests/it, which also installs fixtures"
)]
mod fixtures;
mod grpc;
mod handshake;
mod host;
mod netrpc;
mod orphans;
mod process;
mod processor;
mod slot;

pub use discovery::{
    DEFAULT_PLUGIN_DIR, FoundPlugin, PluginKind, discover, parse_file_name, plugin_dirs,
};
pub use handshake::{Handshake, HandshakeError, PluginAddress, WireProtocol, parse_handshake};
pub use host::PluginHost;
pub use process::{LaunchSettings, MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE, StartError};
