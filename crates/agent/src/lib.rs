//! dkron-agent (work in progress)
pub mod config;
