//! Backrest tools, split by what they may do: `read` (always registered), `write` (only when
//! writes are enabled) and `destructive` (only with the destructive gate too). Shared here:
//! picking Backrest servers, running a call on one server, and starting a write session.

pub(super) mod destructive;
pub(super) mod read;
pub(super) mod write;

use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Gateway, ToolError};
use crate::fleet::{Selection, Server, ServerFailure};
use crate::policy::{WriteError, WriteSession};
use crate::store::ServerKind;
use crate::upstream::backrest::BackrestError;

impl From<WriteError> for ToolError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Refused(_) | WriteError::AuditUnavailable(_) => {
                ToolError::Refused(e.to_string())
            }
            WriteError::Failed(_) | WriteError::AuditAfterWrite { .. } => {
                ToolError::Upstream(e.to_string())
            }
        }
    }
}

/// What every write tool returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct WriteOutput {
    pub server_id: String,
    pub tenant_id: String,
    /// The operation the write created or touched, when Backrest gives one (ids are per server).
    pub operation_id: Option<String>,
    /// started, scheduled, done, cancelled, ...
    pub status: String,
    pub message: String,
    /// The operation as re-read from the server, when available.
    pub operation: Option<Value>,
}

impl Gateway {
    /// Backrest servers for a fan-out.
    fn backrest_servers(
        &self,
        server_id: Option<&str>,
        tenant_id: Option<&str>,
    ) -> Result<Vec<Arc<Server>>, ToolError> {
        Ok(self.ctx.fleet.select(&Selection {
            kind: Some(ServerKind::Backrest),
            server_id,
            tenant_id,
        })?)
    }

    /// The one Backrest server a call names.
    fn backrest_server(&self, server_id: &str) -> Result<Arc<Server>, ToolError> {
        Ok(self.backrest_servers(Some(server_id), None)?.remove(0))
    }

    /// Runs `op` on one server within the call's deadline (connecting first if needed).
    async fn on_server<T, Fut>(
        &self,
        server: &Arc<Server>,
        op: impl FnOnce(Instant) -> Fut,
    ) -> Result<T, ToolError>
    where
        Fut: Future<Output = Result<T, BackrestError>>,
    {
        let started = Instant::now();
        let deadline = started + self.ctx.settings.timeout;
        let failure = |f: ServerFailure| {
            ToolError::Upstream(format!(
                "server {} ({}): {}",
                server.id(),
                f.reason.as_str(),
                f.message
            ))
        };
        server
            .ensure_ready(deadline, started)
            .await
            .map_err(failure)?;
        tokio::time::timeout_at(deadline.into(), op(deadline))
            .await
            .map_err(|_| {
                failure(ServerFailure {
                    reason: crate::upstream::FailureReason::Timeout,
                    message: format!("no answer within {}s", self.ctx.settings.timeout.as_secs()),
                })
            })?
            .map_err(|e| failure(e.into()))
    }

    /// A write attempt on `server`, past the tenant allowlist.
    fn begin_write(
        &self,
        tool: &'static str,
        server: &Server,
        args: Value,
        destructive: bool,
    ) -> Result<WriteSession<'_>, ToolError> {
        let mut session = WriteSession::begin(
            &self.audit,
            tool,
            server.id(),
            server.entry.default_tenant(),
            args,
            destructive,
        );
        session.check_tenant(self.ctx.settings.allowed_tenants.as_ref())?;
        Ok(session)
    }

    /// The deadline of a write's upstream calls, after the server is ready.
    async fn ready(&self, server: &Server) -> Result<Instant, BackrestError> {
        let started = Instant::now();
        let deadline = started + self.ctx.settings.timeout;
        server.ensure_ready(deadline, started).await?;
        Ok(deadline)
    }
}
