//! SWIM gossip membership over UDP, built on foca: who is alive, with which tags.
//!
//! Every node (server or agent) runs one [`Gossip`]. It joins through any member, detects
//! failures, carries node tags, tells a graceful leave (`left`) from a crash (`failed`)
//! the way Serf does, and can encrypt every datagram with AES-GCM. See the README for
//! the wire format and the timings.
//!
//! Depends only on `dkron-model` (for the Serf member status).

mod cipher;
mod config;
mod error;
mod event;
mod frame;
#[cfg(test)]
#[path = "fuzz_test.rs"]
mod fuzz;
mod gossip;
mod identity;
mod log_limit;
mod seeds;
mod table;
mod task;

pub use config::{GossipConfig, GossipTiming};
pub use error::GossipError;
pub use event::{MemberView, MembershipEvent};
pub use gossip::Gossip;
