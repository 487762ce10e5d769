//! dkron-scheduler (work in progress)
