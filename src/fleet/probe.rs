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

/// Which step of the check failed, with the upstream error itself (`doctor` picks its advice
/// from both: a data read refused after a good login means missing rights, not a bad password).
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("login failed: {0}")]
    Login(UpstreamError),
    #[error("the login works, but a data read failed: {0}")]
    Read(UpstreamError),
}

impl ProbeError {
    pub fn upstream(&self) -> &UpstreamError {
        match self {
            ProbeError::Login(e) | ProbeError::Read(e) => e,
        }
    }
}

/// In fan-out answers a failed check is the server's failure, worded as the error itself.
impl From<ProbeError> for ServerFailure {
    fn from(e: ProbeError) -> Self {
        match e {
            ProbeError::Login(e) | ProbeError::Read(e) => e.into(),
        }
    }
}

/// Logs in afresh (not from the cached token) and makes one data read, all by `deadline`.
pub async fn check(server: &Server, deadline: Instant) -> Result<Checked, ProbeError> {
    let started = Instant::now();
    let login = server.relogin(deadline).await.map_err(ProbeError::Login)?;
    let read_started = Instant::now();
    let reply = server
        .send(&health_read(server.kind()), deadline)
        .await
        .map_err(ProbeError::Read)?;
    if !reply.is_success() {
        return Err(ProbeError::Read(reply.into_status_error()));
    }
    if serde_json::from_slice::<serde_json::Value>(&reply.body).is_err() {
        return Err(ProbeError::Read(UpstreamError::BadResponse {
            detail: "the health read did not answer JSON".into(),
        }));
    }
    Ok(Checked {
        login,
        read: read_started.elapsed(),
        total: started.elapsed(),
    })
}
