//! Backrest tools, split by what they may do: `read` (always registered), `write` (only when
//! writes are enabled) and `destructive` (only with the destructive gate too). Shared here:
//! picking Backrest servers, running a call on one server, and the audited start of every write
//! (a write call's bad argument, unknown server or unparsable arguments leave a line too).

pub(super) mod destructive;
pub(super) mod read;
pub(super) mod write;

use std::cell::Cell;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use rmcp::model::CallToolResponse;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{Gateway, ToolError};
use crate::fleet::{Origin, Selection, Server, ServerFailure};
use crate::policy::{Labelled, Target, TenantPolicy, WriteError, WriteSession};
use crate::store::ServerKind;
use crate::upstream::backrest::BackrestError;

impl From<WriteError> for ToolError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Refused(_) | WriteError::AuditUnavailable(_) => {
                ToolError::Refused(e.to_string())
            }
            WriteError::Failed(_) => ToolError::Upstream(e.to_string()),
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
    /// Set when the write was done but its audit outcome line could not be written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_warning: Option<String>,
}

tokio::task_local! {
    /// Set by [`Gateway::begin_write`]: the write tool's handler ran (its arguments parsed).
    static WRITE_BEGUN: Cell<bool>;
}

/// Every write tool, for auditing calls whose arguments did not even parse.
const WRITE_TOOLS: [&str; 5] = [
    "trigger_backup",
    "do_repo_task",
    "cancel_operation",
    "forget_snapshot",
    "restore_snapshot",
];

/// Passes `result` through; an error is audited as the call's refusal first.
async fn audited<T>(
    session: &WriteSession<'_>,
    result: Result<T, ToolError>,
) -> Result<T, ToolError> {
    let Err(e) = result else { return result };
    match session.record_refusal(&e.to_string()).await {
        Ok(()) => Err(e),
        Err(lost) => Err(ToolError::Refused(format!(
            "{e} (and the audit log cannot be written: {lost})"
        ))),
    }
}

impl Gateway {
    /// Backrest servers for a fan-out.
    fn backrest_servers(
        &self,
        server_id: Option<&str>,
        tenants: Option<&crate::tenants::TenantIds>,
    ) -> Result<Vec<Arc<Server>>, ToolError> {
        Ok(self.ctx.fleet.select(&Selection {
            kind: Some(ServerKind::Backrest),
            server_id,
            tenants,
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

    /// A write attempt on the server the call names, audited from here on.
    fn begin_write(
        &self,
        tool: &'static str,
        server_id: &str,
        args: Value,
        destructive: bool,
    ) -> WriteSession<'_> {
        let _ = WRITE_BEGUN.try_with(|begun| begun.set(true));
        WriteSession::begin(&self.audit, tool, server_id, args, destructive)
    }

    /// The write's target server, past the tenant rules (each refusal audited).
    async fn write_target(
        &self,
        session: &mut WriteSession<'_>,
        server_id: &str,
    ) -> Result<Arc<Server>, ToolError> {
        let server = audited(session, self.backrest_server(server_id)).await?;
        let labelled = match server.origin {
            Origin::Saved => Labelled::ByOperator,
            Origin::Session => Labelled::ByCaller,
        };
        let target = Target {
            server_id: server.id(),
            tenant_id: server.entry.default_tenant(),
            labelled,
        };
        let policy = TenantPolicy {
            allowed: self.ctx.settings.allowed_tenants.as_ref(),
            allow_session_writes: self.ctx.settings.allow_session_writes,
        };
        session.check_target(target, policy).await?;
        Ok(server)
    }

    /// Runs a tool call; a call of a registered write tool that never reached its handler (the
    /// router refused its arguments) still leaves a `denied` line.
    pub(in crate::mcp) async fn audit_unbegun_writes(
        &self,
        tool: &str,
        args: Option<serde_json::Map<String, Value>>,
        call: impl Future<Output = Result<CallToolResponse, rmcp::ErrorData>>,
    ) -> Result<CallToolResponse, rmcp::ErrorData> {
        let Some(tool) = WRITE_TOOLS
            .iter()
            .find(|t| **t == tool && self.tool_router.has_route(t))
        else {
            return call.await;
        };
        let (response, begun) = WRITE_BEGUN
            .scope(Cell::new(false), async {
                let response = call.await;
                (response, WRITE_BEGUN.with(Cell::get))
            })
            .await;
        if !begun {
            let why = match &response {
                Err(e) => e.message.to_string(),
                Ok(CallToolResponse::Complete(r)) => r
                    .content
                    .first()
                    .and_then(|c| c.as_text())
                    .map(|t| t.text.clone())
                    .unwrap_or_default(),
                Ok(_) => "the call did not reach the tool".to_owned(),
            };
            let why = super::errors::bounded_message(&why);
            let server_id = args
                .as_ref()
                .and_then(|a| a.get("server_id"))
                .and_then(Value::as_str)
                .map(super::errors::bounded_message)
                .unwrap_or_default();
            let args = audited_arguments(args);
            let session = WriteSession::begin(&self.audit, tool, &server_id, args, false);
            let _ = session
                .record_refusal(&format!("invalid arguments: {why}"))
                .await;
        }
        response
    }

    /// The deadline of a write's upstream calls, after the server is ready.
    async fn ready(&self, server: &Server) -> Result<Instant, BackrestError> {
        let started = Instant::now();
        let deadline = started + self.ctx.settings.timeout;
        server.ensure_ready(deadline, started).await?;
        Ok(deadline)
    }
}

/// The longest arguments an audit line records whole; longer ones are kept as a bounded excerpt,
/// so a hostile call cannot write megabytes into the audit log.
const MAX_AUDITED_ARGUMENT_BYTES: usize = 4096;

fn audited_arguments(args: Option<serde_json::Map<String, Value>>) -> Value {
    let value = args.map_or(Value::Null, Value::Object);
    let text = value.to_string();
    if text.len() <= MAX_AUDITED_ARGUMENT_BYTES {
        return value;
    }
    serde_json::json!({
        "excerpt": super::errors::bounded_message(&text),
        "bytes": text.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_tool_is_listed_for_the_audit_of_unparsable_calls() {
        let mut registered: Vec<String> = Gateway::backrest_write_router()
            .list_all()
            .into_iter()
            .chain(Gateway::backrest_destructive_router().list_all())
            .map(|t| t.name.to_string())
            .collect();
        registered.sort();
        let mut listed = WRITE_TOOLS.map(str::to_owned).to_vec();
        listed.sort();
        assert_eq!(registered, listed);
    }

    #[test]
    fn huge_arguments_are_audited_as_a_bounded_excerpt() {
        let mut args = serde_json::Map::new();
        args.insert("server_id".into(), Value::String("A".repeat(1_000_000)));
        let audited = super::audited_arguments(Some(args));
        assert!(
            audited.to_string().len() < 3_000,
            "{}",
            audited.to_string().len()
        );
        assert!(audited["bytes"].as_u64().unwrap() > 1_000_000);
    }
}
