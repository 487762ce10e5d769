//! The `dkron` command: parsing the command line, logging, the small subcommands and the
//! cluster administration commands.
//!
//! `main.rs` dispatches; the agent itself is `dkron-agent`.

pub mod acl;
pub mod acl_args;
pub mod admin;
pub mod allocator_restart;
pub mod cli;
pub mod credential;
pub mod jobs_file;
pub mod keygen;
pub mod logging;
pub mod oneshot;
pub mod tls_cmd;
pub mod tls_flags;
pub mod version;
