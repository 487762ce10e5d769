//! Integration tests of the scheduler loop: an in-memory backend with a ledger, a manual
//! clock, and the real schedule language.

mod changes;
mod faults;
mod firing;
mod harness;
mod overload;
mod restart;
mod scale;
