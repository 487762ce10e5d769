//! The `dkron` command: parsing the command line, logging, and the small subcommands.
//!
//! `main.rs` dispatches; the agent itself is `dkron-agent`.

pub mod cli;
pub mod keygen;
pub mod logging;
pub mod version;
