//! dkron-agent (work in progress)
