//! The worker's tests: real runs of the shell executor, recorded in memory.

mod worker;
