//! What the benchmark programs share: starting servers and clusters, creating jobs, reading
//! back what ran, the load check's rules, and local endpoints for jobs to call.

pub mod check;
pub mod cluster;
pub mod host_stalls;
pub mod http_sink;
pub mod load;
pub mod measure;
pub mod server;
pub mod usage;
pub mod webhook_sink;
