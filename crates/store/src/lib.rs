//! dkron-store (work in progress)
