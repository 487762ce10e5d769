//! Integration tests of the REST API through the router, against the in-memory backend.

// Helpers outside `#[test]` functions panic on purpose when a fixture is broken.
#![allow(clippy::unwrap_used)]

mod acl;
mod additions;
mod audit;
mod browsers;
mod cluster;
mod common;
mod executions;
mod headers;
mod health;
mod job_names;
mod jobs_list;
mod jobs_write;
mod list_bounds;
mod openapi;
mod restore;
mod secrets;
