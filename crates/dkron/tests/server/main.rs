//! End-to-end tests of a single-node server: the real `dkron` binary, started as a process on
//! 127.0.0.1, driven over its REST API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod crash;
mod getting_started;
mod harness;
mod shutdown;
