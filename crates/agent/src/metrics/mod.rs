//! `/metrics` in Prometheus format (with `enable-prometheus`, as in Dkron), rendered by
//! prometheus-client (ADR 14), and the StatsD push.
//!
//! Figures come from three places: the replicated state read at scrape time (jobs, their
//! run counters, the ledger completeness), run records as the state machine applies them
//! (durations and start lateness: every server applies every record, so each server's figures
//! cover the whole cluster), and this node's own view (Raft, gossip, running executions).
//!
//! Every metric is declared once in `families.rs`. A scrape reads its figures
//! (`figures.rs`, the only part that can fail) and then encodes them (`encode.rs`); the
//! histograms are the only state kept between scrapes (`observed.rs`), with fixed buckets
//! and one per existing job at most (`durations.rs`).

mod completeness;
mod completeness_cache;
mod durations;
mod encode;
mod families;
mod figures;
mod histogram;
mod observed;
mod scrape;
pub mod statsd;

pub use observed::{Metrics, follow};
pub use scrape::router;
