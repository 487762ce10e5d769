//! One running dkron-rs node: wires consensus, the scheduler, the worker and the HTTP API.
//!
//! [`run`] is the whole life of `dkron agent`: open the data directory, become leader (a
//! single server bootstraps itself), end runs the previous process left behind, start the
//! scheduler and serve the API until a signal or `POST /v1/leave`.

mod api_seam;
pub mod config;
mod identity;
mod node;
mod orphans;
mod recorder;
mod run;
mod scheduler_seam;
mod worker;

pub use run::run;
