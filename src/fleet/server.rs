//! One server in the fleet: its public description, its connection, and its health.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use serde_json::json;

use super::connection::{Connection, Request};
use super::health::{Health, Status, takes_server_down};
use crate::store::{ServerEntry, ServerKind};
use crate::upstream::error::human_duration;
use crate::upstream::http::Reply;
use crate::upstream::{FailureReason, UpstreamError};

/// A wall-clock time as shown to people and models: RFC 3339, whole seconds, UTC.
pub fn rfc3339(at: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(at).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Whether the server is saved on disk or exists only in this session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Saved,
    Session,
}

/// A per-server failure as the coverage block reports it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct ServerFailure {
    pub reason: FailureReason,
    pub message: String,
}

impl From<UpstreamError> for ServerFailure {
    fn from(e: UpstreamError) -> Self {
        ServerFailure {
            reason: e.reason(),
            message: e.to_string(),
        }
    }
}

pub struct Server {
    /// The saved entry (its secret field is not used from here).
    pub entry: ServerEntry,
    pub origin: Origin,
    conn: Connection,
    health: Mutex<Health>,
}

impl Server {
    pub fn new(entry: ServerEntry, origin: Origin, conn: Connection) -> Self {
        Server {
            entry,
            origin,
            conn,
            health: Mutex::new(Health::default()),
        }
    }

    pub fn id(&self) -> &str {
        &self.entry.server_id
    }

    pub fn kind(&self) -> ServerKind {
        self.entry.kind
    }

    pub fn health(&self) -> Health {
        self.health.lock().expect("health lock").clone()
    }

    pub fn status(&self) -> Status {
        self.health().status
    }

    /// Logs in if needed; used by the background auto-connect and before every call.
    pub async fn connect(&self, deadline: Instant) -> Result<(), ServerFailure> {
        self.ensure_ready(deadline, Instant::now()).await
    }

    /// Ready for a call that started at `call_start`: refuses disconnected servers and those in
    /// back-off; otherwise (re)connects within `deadline`.
    pub async fn ensure_ready(
        &self,
        deadline: Instant,
        call_start: Instant,
    ) -> Result<(), ServerFailure> {
        {
            let h = self.health.lock().expect("health lock");
            if h.status == Status::Disconnected {
                return Err(ServerFailure {
                    reason: FailureReason::NotConnected,
                    message: "disconnected in this session; use connect_server to reconnect".into(),
                });
            }
            if h.in_backoff(call_start) {
                let when = match h.retry_at() {
                    Some(at) => format!(
                        "not asked again until {} (in {})",
                        rfc3339(at),
                        human_duration(at.duration_since(SystemTime::now()).unwrap_or_default())
                    ),
                    None => "waiting before the next retry".to_owned(),
                };
                return Err(ServerFailure {
                    reason: FailureReason::NotConnected,
                    message: format!(
                        "down ({}); {when}",
                        h.error.as_deref().unwrap_or("unknown error")
                    ),
                });
            }
        }
        match self.conn.authorize(deadline).await {
            // A cached token says nothing about the server's health: only a real login (or,
            // later, a real request) does, so a failing server's back-off keeps growing.
            Ok(false) => Ok(()),
            result => {
                self.record(&result, true);
                result.map(drop).map_err(Into::into)
            }
        }
    }

    /// Sends a request and keeps the health up to date.
    pub async fn send(&self, request: &Request, deadline: Instant) -> Result<Reply, UpstreamError> {
        let result = self.conn.send(request, deadline).await;
        self.record(&result, false);
        result
    }

    /// A fresh login (not the cached token), for health checks.
    pub async fn relogin(&self, deadline: Instant) -> Result<std::time::Duration, UpstreamError> {
        let result = self.conn.relogin(deadline).await;
        self.record(&result, true);
        result
    }

    /// Records that the server did not answer within `after` (its share of a call ran out before
    /// any request of its own said so): this opens its circuit breaker like any timeout.
    pub fn mark_timed_out(&self, after: Duration) {
        self.record::<()>(
            &Err(UpstreamError::Timeout {
                url: self.entry.base_url.clone(),
                after: Some(after),
            }),
            false,
        );
    }

    /// When a server in back-off will be asked again, for the coverage block.
    pub fn retry_at(&self) -> Option<SystemTime> {
        self.health.lock().expect("health lock").retry_at()
    }

    pub fn disconnect(&self) {
        self.health.lock().expect("health lock").mark_disconnected();
    }

    pub fn reconnect(&self) {
        self.health.lock().expect("health lock").reset();
    }

    /// Updates the health: any failed login takes the server down; a failed call only when the
    /// failure says the server itself is unusable (not for one bad answer).
    fn record<T>(&self, result: &Result<T, UpstreamError>, is_login: bool) {
        let mut h = self.health.lock().expect("health lock");
        if h.status == Status::Disconnected {
            return;
        }
        match result {
            Ok(_) => h.mark_up(),
            Err(e) if is_login || takes_server_down(e) => h.mark_down(e),
            Err(_) => {}
        }
    }

    /// The description shown by `list_servers` and `system_info` (never a secret).
    pub fn describe(&self) -> serde_json::Value {
        let h = self.health();
        json!({
            "server_id": self.entry.server_id,
            "kind": self.entry.kind,
            "label": self.entry.label,
            "base_url": self.entry.base_url,
            "tenant_id": self.tenant_for_display(),
            "origin": self.origin,
            "status": h.status,
            "reason": h.reason,
            "error": h.error,
            "since": rfc3339(h.since),
        })
    }

    /// Backrest servers belong to one tenant; NovaBACKUP items carry their own.
    pub fn tenant_for_display(&self) -> Option<String> {
        self.entry.effective_tenant().map(str::to_owned)
    }
}
