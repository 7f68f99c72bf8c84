//! Backrest client (Connect/JSON over `POST /v1.Backrest/<Method>`).
//!
//! `client` sends the calls through the fleet's connection (bearer token, re-login, one request
//! at a time); `wire` holds the typed messages; `redact` and `scrub` make sure no secret and no
//! raw restic output leaves this module; `rows` turns messages into the rows tools show;
//! `queries` are the per-server reads of the fan-out tools and `actions` the multi-step writes.

pub mod actions;
pub mod auth;
pub mod client;
pub mod error;
pub mod queries;
pub mod redact;
pub mod rows;
pub mod scrub;
pub mod stream;
pub mod wire;

pub use client::BackrestClient;
pub use error::BackrestError;
