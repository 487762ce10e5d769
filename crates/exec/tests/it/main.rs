//! Integration tests for dkron-exec.
