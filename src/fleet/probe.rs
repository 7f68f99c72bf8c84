//! The health check of one server: a fresh login plus one cheap data read, timed.
//!
//! `server_health` and `backup-mcp test` both run this, so the CLI never calls a server healthy
//! that the MCP server would report failing (a login that works while every data call answers
//! 500 is a failure of both).

use std::time::{Duration, Instant};

use serde_json::json;

use super::connection::Request;
use super::server::{Server, ServerFailure};
use crate::store::ServerKind;
use crate::upstream::UpstreamError;

/// How long each step of a passed check took.
#[derive(Debug, Clone, Copy)]
pub struct Checked {
    pub login: Duration,
    pub read: Duration,
    pub total: Duration,
}

/// The read each kind answers cheaply and only with working credentials and storage.
fn health_read(kind: ServerKind) -> Request {
    match kind {
        ServerKind::Novabackup => Request::get("/api/Groups?$top=1&$select=GroupId"),
        ServerKind::Backrest => Request::post("/v1.Backrest/GetConfig", json!({}), true),
    }
}

/// Logs in afresh (not from the cached token) and makes one data read, all by `deadline`.
pub async fn check(server: &Server, deadline: Instant) -> Result<Checked, ServerFailure> {
    let started = Instant::now();
    let login = server.relogin(deadline).await?;
    let read_started = Instant::now();
    let reply = server.send(&health_read(server.kind()), deadline).await?;
    if !reply.is_success() {
        return Err(reply.into_status_error().into());
    }
    if serde_json::from_slice::<serde_json::Value>(&reply.body).is_err() {
        return Err(UpstreamError::BadResponse {
            detail: "the health read did not answer JSON".into(),
        }
        .into());
    }
    Ok(Checked {
        login,
        read: read_started.elapsed(),
        total: started.elapsed(),
    })
}
