//! Test doubles of the upstream servers, for integration tests, the demo fleet and benchmarks.

pub mod novabackup;
