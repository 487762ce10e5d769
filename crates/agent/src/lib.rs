//! One running dkron-rs node: wires consensus, the scheduler, the worker and the HTTP API.
//!
//! [`run`] is the whole life of `dkron agent`: open the data directory, become leader (a
//! single server bootstraps itself), end runs the previous process left behind, start the
//! scheduler and serve the API until a signal or `POST /v1/leave`.

mod agent_node;
pub mod allocator;
mod api_seam;
mod api_seam_acl;
mod api_seam_lists;
mod audit_log;
mod bootstrap;
mod bounded_write;
mod chaining;
mod deliveries;
mod dispatch;
mod error;
mod failover;
mod http_activity;
mod http_server;
mod identity;
mod kill;
mod leadership;
mod members;
mod metrics;
mod node;
mod node_service;
mod notices;
mod open_files;
mod peer_probe;
mod peer_trust;
mod pending_runs;
mod plugins;
mod reconcile;
mod recorder;
mod run;
mod run_records;
mod scheduler_seam;
mod server_node;
mod shutdown;
mod startup;
mod transport;
mod unreachable;
mod writer;

pub use run::run;
