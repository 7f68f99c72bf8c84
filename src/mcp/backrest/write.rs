//! Backrest write tools, registered only when writes are enabled. Each goes through a
//! `policy::WriteSession` (tenant rules, two-phase audit) from its first line, so even a bad
//! argument is audited, and nothing is sent before the intent line is on disk.

use crate::mcp::ids::Id;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::super::{Gateway, ToolError};
use super::read::parse_operation_id;
use super::{WriteOutput, audited};
use crate::upstream::backrest::actions;
use crate::upstream::backrest::client::{BackrestClient, RepoTask};
use crate::upstream::backrest::wire::OpStatus;

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct BackupArgs {
    pub server_id: Id,
    pub plan_id: Id,
    /// Simulate only (restic --dry-run): no snapshot is made.
    #[serde(default)]
    pub dry_run: bool,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct RepoTaskArgs {
    pub server_id: Id,
    pub repo_id: Id,
    /// prune, check, stats, unlock or index.
    pub task: String,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct CancelArgs {
    pub server_id: Id,
    /// The operation's id on that server (from get_operations).
    pub operation_id: Id,
}

fn id_text(id: Option<i64>) -> Option<String> {
    id.map(|i| i.to_string())
}

#[tool_router(router = backrest_write_router, vis = "pub(in crate::mcp)")]
impl Gateway {
    #[tool(
        description = "Starts a backup of a Backrest plan now and returns at once with the new operation's id, leaving the backup running (follow it with get_operations). dry_run simulates. Audited; refused for tenants outside BACKUP_MCP_ALLOWED_TENANTS.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn trigger_backup(
        &self,
        Parameters(args): Parameters<BackupArgs>,
    ) -> Result<Json<WriteOutput>, ToolError> {
        let mut session = self.begin_write("trigger_backup", &args.server_id, json!(args), false);
        let server = self.write_target(&mut session, &args.server_id).await?;
        let (server, args) = (&server, &args);
        let done = session
            .execute(
                |proof| async move {
                    let deadline = self.ready(server).await?;
                    actions::trigger_backup(
                        server.clone(),
                        deadline,
                        &args.plan_id,
                        args.dry_run,
                        proof,
                    )
                    .await
                },
                |s| s.operation_id.clone(),
            )
            .await?;
        let started = done.value;
        let message = match &started.operation_id {
            Some(id) => format!(
                "backup of plan {} started as operation {id}; it keeps running in Backrest (check with get_operations)",
                args.plan_id
            ),
            None => format!(
                "backup of plan {} was sent but its operation did not appear yet; check get_operations",
                args.plan_id
            ),
        };
        Ok(Json(self.write_output(
            server,
            started.operation_id,
            "started",
            message,
            started.operation.map(Value::Object),
            done.audit_warning,
        )))
    }

    #[tool(
        description = "Runs repository maintenance on a Backrest repo: prune (deletes unreferenced data), check, stats, unlock or index (re-index snapshots). Scheduled at once; returns the operation id when Backrest creates one. Audited.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn do_repo_task(
        &self,
        Parameters(args): Parameters<RepoTaskArgs>,
    ) -> Result<Json<WriteOutput>, ToolError> {
        let mut session = self.begin_write("do_repo_task", &args.server_id, json!(args), false);
        let server = self.write_target(&mut session, &args.server_id).await?;
        let task = RepoTask::parse(&args.task).ok_or_else(|| {
            ToolError::invalid(
                "task",
                format!("{:?}: use prune, check, stats, unlock or index", args.task),
            )
        });
        let task = audited(&session, task).await?;
        let (server, args) = (&server, &args);
        let done = session
            .execute(
                |proof| async move {
                    let deadline = self.ready(server).await?;
                    BackrestClient::new(server, deadline)
                        .repo_task(&args.repo_id, task, proof)
                        .await
                },
                |id| id_text(*id),
            )
            .await?;
        let id = done.value;
        let message = match id {
            Some(id) => format!(
                "{} scheduled on repo {} as operation {id}",
                args.task, args.repo_id
            ),
            None => format!(
                "{} done on repo {} (Backrest records no operation for it)",
                args.task, args.repo_id
            ),
        };
        let status = if id.is_some() { "scheduled" } else { "done" };
        Ok(Json(self.write_output(
            server,
            id_text(id),
            status,
            message,
            None,
            done.audit_warning,
        )))
    }

    #[tool(
        description = "Cancels a pending or running Backrest operation (server_id plus its operation_id), then re-reads it to verify the final status. Audited.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = true
        )
    )]
    async fn cancel_operation(
        &self,
        Parameters(args): Parameters<CancelArgs>,
    ) -> Result<Json<WriteOutput>, ToolError> {
        let mut session = self.begin_write("cancel_operation", &args.server_id, json!(args), false);
        let server = self.write_target(&mut session, &args.server_id).await?;
        let id = audited(&session, parse_operation_id(&args.operation_id)).await?;
        let server = &server;
        let done = session
            .execute(
                |proof| async move {
                    let deadline = self.ready(server).await?;
                    actions::cancel(server, deadline, id, proof).await
                },
                |_| Some(id.to_string()),
            )
            .await?;
        let result = done.value;
        let cancelled = matches!(
            result.status,
            OpStatus::UserCancelled | OpStatus::SystemCancelled
        );
        let message = if cancelled {
            format!("operation {id} is cancelled (verified by re-reading it)")
        } else {
            format!(
                "cancel sent, but operation {id} is now {} (re-read after the cancel)",
                result.status.name()
            )
        };
        Ok(Json(self.write_output(
            server,
            Some(id.to_string()),
            result.status.name(),
            message,
            Some(Value::Object(result.operation)),
            done.audit_warning,
        )))
    }
}

impl Gateway {
    pub(super) fn write_output(
        &self,
        server: &crate::fleet::Server,
        operation_id: Option<String>,
        status: &str,
        message: String,
        operation: Option<Value>,
        audit_warning: Option<String>,
    ) -> WriteOutput {
        WriteOutput {
            server_id: server.id().to_owned(),
            tenant_id: server.entry.default_tenant().to_owned(),
            operation_id,
            status: status.to_owned(),
            message,
            operation,
            audit_warning,
        }
    }
}
