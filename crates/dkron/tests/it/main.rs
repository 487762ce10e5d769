//! End-to-end tests of the real `dkron` binary: the commands that need no server (`cli`), and
//! a single-node server started as a process on 127.0.0.1 and driven over its REST API.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod acl;
mod acl_cluster;
mod admin;
mod allocator;
mod audit;
mod audit_cluster;
mod backup;
mod bad_input;
mod catch_up;
mod chaining;
mod cli;
mod cluster;
mod cluster_harness;
mod cluster_notify;
mod crash;
mod disk_full;
mod dispatch_failover;
mod encryption;
#[cfg(feature = "grpc")]
mod executor_grpc;
mod executor_kafka;
mod executor_nats;
mod executor_pubsub;
mod executor_rabbitmq;
#[path = "../../../plugin/tests/it/fixtures.rs"]
mod fixtures;
mod getting_started;
mod harness;
mod http_limits;
mod job_names;
mod list_bounds;
mod mail;
mod mass_shutdown;
mod metrics;
mod node_restart;
mod notify;
mod one_shot;
mod overlap;
mod pause;
mod plugins;
mod processors;
mod quorum_loss;
mod retention;
mod retries;
mod secrets;
mod shutdown;
mod tls_cluster;
mod transport;
mod web;
