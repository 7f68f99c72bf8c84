//! In-process test doubles of the upstream servers the gateway talks to (tests, demo fleet, benchmarks).
pub mod backrest;
