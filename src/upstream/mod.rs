//! Typed clients for the two kinds of backup server.
//!
//! Nothing here knows about MCP: each client speaks its server's HTTP API and reports failures as
//! an [`UpstreamError`], whose [`UpstreamError::reason`] is what the coverage block shows.

pub mod address;
pub mod backrest;
pub mod budget;
pub mod check;
pub mod error;
pub mod http;
pub mod jwt;
pub mod novabackup;
pub mod tls;
pub mod token;

pub use error::{FailureReason, UpstreamError};
