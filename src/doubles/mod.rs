//! In-process test doubles of the upstream servers: used by the integration tests, the embedded
//! demo fleet and the benchmarks. They serve real HTTP on loopback.

pub mod backrest;
pub mod novabackup;
