//! Destructive Backrest tools (forget, restore), registered only with
//! `BACKUP_MCP_ALLOW_DESTRUCTIVE=true` on top of writes. Beyond the write session's tenant check
//! they need the confirm token (forget) or a guarded target (restore), and the human's
//! confirmation when the client can show a form.

use crate::mcp::ids::Id;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::{Gateway, ToolError};
use super::{WriteOutput, audited};
use crate::fleet::Server;
use crate::mcp::confirm::PeerConfirmation;
use crate::policy::confirm::{check_token, forget_token};
use crate::policy::{Refusal, WriteSession, restore_path};
use crate::upstream::backrest::actions::{self, OwnedSnapshot};
use crate::upstream::backrest::client::{BackrestClient, RestoreRequest};

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct ForgetArgs {
    pub server_id: Id,
    pub repo_id: Id,
    pub snapshot_id: Id,
    /// The plan that made the snapshot (default: from its plan:<id> tag). A plan that does not
    /// own the snapshot is refused.
    pub plan_id: Option<Id>,
    /// Must be exactly FORGET:<snapshot_id>.
    pub confirm: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct RestoreArgs {
    pub server_id: Id,
    pub repo_id: Id,
    pub snapshot_id: Id,
    /// Directory or file inside the snapshot (default `/`).
    pub path: Option<String>,
    /// New folder on the Backrest host, under the allowed restore prefix; must not exist yet.
    pub target: String,
    /// The plan that made the snapshot (default: from its plan:<id> tag; Backrest needs one). A
    /// plan that does not own the snapshot is refused.
    pub plan_id: Option<Id>,
}

fn id_text(id: Option<i64>) -> Option<String> {
    id.map(|i| i.to_string())
}

#[tool_router(router = backrest_destructive_router, vis = "pub(in crate::mcp)")]
impl Gateway {
    #[tool(
        description = "Forgets ONE Backrest snapshot (the data goes at the next prune). Needs confirm = \"FORGET:<snapshot_id>\" exactly; the plan comes from the snapshot's plan tag and a plan_id that does not own the snapshot is refused. Asks the user to confirm when the client supports forms. Audited.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn forget_snapshot(
        &self,
        peer: Peer<RoleServer>,
        Parameters(args): Parameters<ForgetArgs>,
    ) -> Result<Json<WriteOutput>, ToolError> {
        let mut session = self.begin_write("forget_snapshot", &args.server_id, json!(args), true);
        let server = self.write_target(&mut session, &args.server_id).await?;
        let (server, args) = (&server, &args);
        session
            .require(check_token(
                &forget_token(&args.snapshot_id),
                args.confirm.as_deref(),
            ))
            .await?;
        let target = self
            .verified_snapshot(
                &mut session,
                server,
                &args.repo_id,
                &args.snapshot_id,
                args.plan_id.as_deref(),
            )
            .await?;
        let question = format!(
            "Forget snapshot {} of plan {} in repo {} on Backrest server {} (tenant {})? Its data is deleted at the next prune.",
            target.snapshot_id,
            target.plan_id,
            target.repo_id,
            server.id(),
            server.entry.default_tenant()
        );
        session
            .confirm_with_human(&PeerConfirmation(&peer), &question)
            .await?;
        let target = &target;
        let done = session
            .execute(
                |proof| async move {
                    let deadline = self.ready(server).await?;
                    BackrestClient::new(server, deadline)
                        .forget_snapshot(
                            &target.repo_id,
                            &target.plan_id,
                            &target.snapshot_id,
                            proof,
                        )
                        .await
                },
                |id| id_text(*id),
            )
            .await?;
        let message = format!(
            "snapshot {} is being forgotten (plan {}); the data is removed by the next prune",
            target.snapshot_id, target.plan_id
        );
        Ok(Json(self.write_output(
            server,
            id_text(done.value),
            "scheduled",
            message,
            None,
            done.audit_warning,
        )))
    }

    #[tool(
        description = "Restores a Backrest snapshot (or a path inside it) into a NEW folder on the Backrest host under the allowed restore prefix (absolute, no '..'). The plan comes from the snapshot's plan tag; a plan_id that does not own the snapshot is refused. Asks the user to confirm when the client supports forms. Audited.",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = true
        )
    )]
    async fn restore_snapshot(
        &self,
        peer: Peer<RoleServer>,
        Parameters(args): Parameters<RestoreArgs>,
    ) -> Result<Json<WriteOutput>, ToolError> {
        let mut session = self.begin_write("restore_snapshot", &args.server_id, json!(args), true);
        let server = self.write_target(&mut session, &args.server_id).await?;
        let path = args.path.clone().unwrap_or_else(|| "/".into());
        let path = audited(
            &session,
            if path.starts_with('/') {
                Ok(path)
            } else {
                Err(ToolError::invalid(
                    "path",
                    "must be absolute inside the snapshot, e.g. / or /home/alice",
                ))
            },
        )
        .await?;
        let server = &server;
        let prefix = &self.ctx.settings.restore_allowed_prefix;
        let on_this_host = restore_path::is_this_host(&server.entry.base_url).await;
        let target = session
            .require(restore_path::guard(&args.target, prefix, on_this_host))
            .await?;
        let snapshot = self
            .verified_snapshot(
                &mut session,
                server,
                &args.repo_id,
                &args.snapshot_id,
                args.plan_id.as_deref(),
            )
            .await?;
        let question = format!(
            "Restore {path} of snapshot {} (plan {}, repo {}) on Backrest server {} (tenant {}) into {target}?",
            snapshot.snapshot_id,
            snapshot.plan_id,
            snapshot.repo_id,
            server.id(),
            server.entry.default_tenant()
        );
        session
            .confirm_with_human(&PeerConfirmation(&peer), &question)
            .await?;
        // Again, after the human: a symlink made while the form was open is caught here.
        let target = session
            .require(restore_path::guard(&target, prefix, on_this_host))
            .await?;
        let request = RestoreRequest {
            repo_id: &snapshot.repo_id,
            plan_id: &snapshot.plan_id,
            snapshot_id: &snapshot.snapshot_id,
            path: &path,
            target: &target,
        };
        let request = &request;
        let done = session
            .execute(
                |proof| async move {
                    let deadline = self.ready(server).await?;
                    BackrestClient::new(server, deadline)
                        .restore(request, proof)
                        .await
                },
                |id| id_text(*id),
            )
            .await?;
        let message =
            format!("restore of {path} into {target} scheduled; follow it with get_operations");
        Ok(Json(self.write_output(
            server,
            id_text(done.value),
            "scheduled",
            message,
            None,
            done.audit_warning,
        )))
    }
}

impl Gateway {
    /// The snapshot and the plan that made it, read from Backrest; a snapshot that cannot be
    /// verified refuses the write (audited), since both destructive tools need its plan.
    async fn verified_snapshot(
        &self,
        session: &mut WriteSession<'_>,
        server: &std::sync::Arc<Server>,
        repo_id: &str,
        snapshot_id: &str,
        plan_id: Option<&str>,
    ) -> Result<OwnedSnapshot, ToolError> {
        let resolved = self
            .on_server(server, |deadline| async move {
                let client = BackrestClient::new(server, deadline);
                actions::owned_snapshot(&client, repo_id, snapshot_id, plan_id).await
            })
            .await;
        Ok(session
            .require(match resolved {
                Ok(checked) => checked,
                Err(e) => Err(Refusal::new(format!(
                    "the snapshot and its plan could not be verified: {e}"
                ))),
            })
            .await?)
    }
}
