//! dkron-cluster (work in progress)
