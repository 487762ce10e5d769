//! dkron-exec (work in progress)
