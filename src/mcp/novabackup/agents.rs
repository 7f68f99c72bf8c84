//! Agents and what hangs off them: devices, jobs, backup sources.

use crate::mcp::ids::Id;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::{ItemOutput, ODataArgs, Scope};
use crate::mcp::output::FanoutOutput;
use crate::mcp::{Gateway, ToolError};
use crate::upstream::novabackup::odata::Query;
use crate::upstream::novabackup::resources::{self, JobKind};

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListAgentsArgs {
    #[serde(flatten)]
    pub scope: Scope,
    /// Expand each agent's devices and add `storage` totals (Size = usage, FreeSpace apart).
    #[serde(default)]
    pub with_storage: bool,
    #[serde(flatten)]
    pub odata: ODataArgs,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetAgentArgs {
    /// Only this server (default: ask every server; ids repeat across servers).
    pub server_id: Option<Id>,
    pub agent_id: Id,
    /// Include the agent's devices and `storage` totals.
    #[serde(default)]
    pub include_devices: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AgentListArgs {
    pub server_id: Id,
    pub agent_id: Id,
    /// Only items of this tenant: its id (GUID) or customer name.
    pub tenant_id: Option<Id>,
    /// Most rows returned (default 200, max 1000).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct AgentJobsArgs {
    #[serde(flatten)]
    pub agent: AgentListArgs,
    #[serde(flatten)]
    pub odata: ODataArgs,
}

/// `managed` jobs have a JobId; `unmanaged` (agent-defined) ones only a ScheduleId.
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum KindArg {
    #[default]
    Managed,
    Unmanaged,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetJobArgs {
    pub server_id: Id,
    pub agent_id: Id,
    /// The JobId (managed) or the ScheduleId (unmanaged).
    pub identifier: Id,
    #[serde(default)]
    pub kind: KindArg,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct BackupSourcesArgs {
    #[serde(flatten)]
    pub agent: AgentListArgs,
    /// Parent item whose children to list, e.g. `C:\` (default: the roots).
    pub path: Option<String>,
}

impl AgentListArgs {
    fn scope(&self) -> Scope {
        Scope {
            server_id: Some(self.server_id.clone()),
            tenant_id: self.tenant_id.clone(),
            limit: self.limit,
        }
    }
}

#[tool_router(router = nova_agents_router, vis = "pub(super)")]
impl Gateway {
    #[tool(
        description = "NovaBACKUP agents (backup clients) on every Management Server, or one with server_id. Each item has server_id, tenant_id (through its group) and LastBackupStatusLabel (pending, success, warning, cancelled, failed, running, queued). OData options apply per server ($top/$skip per server); limit caps the total. with_storage adds devices and storage totals. Example $filter: Connected eq false, LastBackupDate lt 2026-01-01T00:00:00Z.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_agents(
        &self,
        Parameters(args): Parameters<ListAgentsArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let query = args.odata.query()?;
        let (query, with_storage) = (&query, args.with_storage);
        let out = self
            .nova_rows(&args.scope, None, |nova, want| async move {
                resources::agents(&nova, query.clone(), with_storage, want).await
            })
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "One NovaBACKUP agent by AgentId, with its group and tenant_id. Without server_id every server is asked at once and every match is returned with its server_id (agent ids repeat across servers); a server without that agent is simply not a match. include_devices adds devices and storage totals.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_agent(
        &self,
        Parameters(args): Parameters<GetAgentArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let (id, devices) = (args.agent_id.number("agent_id")?, args.include_devices);
        let scope = Scope {
            server_id: args.server_id.clone(),
            tenant_id: None,
            limit: Some(fanout_max()),
        };
        let out = self
            .nova_rows(&scope, None, |nova, _| async move {
                let row = resources::agent(&nova, id, devices).await?;
                Ok(resources::Listing {
                    rows: row.into_iter().collect(),
                    capped: false,
                })
            })
            .await?;
        if let Some(server) = args.server_id
            && out.items.is_empty()
            && out.meta.servers_succeeded > 0
        {
            return Err(ToolError::Upstream(format!(
                "agent {id} was not found on server {server}; list_agents shows the AgentId values, or omit server_id to search every server"
            )));
        }
        Ok(Json(out))
    }

    #[tool(
        description = "The backup devices (destinations) of one NovaBACKUP agent: local disks, S3-compatible cloud buckets (with their cloud storage account id), with Size (usage) and FreeSpace as reported. Items carry server_id and the agent's tenant_id.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_agent_devices(
        &self,
        Parameters(args): Parameters<AgentListArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        self.under_agent(&args, "Devices", Query::default()).await
    }

    #[tool(
        description = "Backup jobs defined on one NovaBACKUP agent. Managed jobs have a JobId; agent-defined (unmanaged) jobs have JobId null and a ScheduleId. Filter e.g. `JobId eq null`. Items carry server_id and the agent's tenant_id.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_jobs_for_agent(
        &self,
        Parameters(args): Parameters<AgentJobsArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let query = args.odata.query()?;
        self.under_agent(&args.agent, "Jobs", query).await
    }

    #[tool(
        description = "One backup job of a NovaBACKUP agent: kind=managed (default) looks up identifier as the JobId; kind=unmanaged looks it up as the ScheduleId of an agent-defined job.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_job(
        &self,
        Parameters(args): Parameters<GetJobArgs>,
    ) -> Result<Json<ItemOutput>, ToolError> {
        let kind = match args.kind {
            KindArg::Managed => JobKind::Managed,
            KindArg::Unmanaged => JobKind::Unmanaged,
        };
        let (agent, id) = (
            args.agent_id.number("agent_id")?,
            args.identifier.number("identifier")?,
        );
        let out = self
            .nova_item(&args.server_id, |nova| async move {
                resources::job(&nova, agent, id, kind).await
            })
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "What a NovaBACKUP agent could back up: root items (volumes, plug-ins) or, with path, the children of that item (e.g. path `C:\\`). An offline agent may list nothing.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_backup_sources(
        &self,
        Parameters(args): Parameters<BackupSourcesArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let query = Query {
            params: args
                .path
                .iter()
                .map(|p| ("path".into(), p.clone()))
                .collect(),
            ..Query::default()
        };
        self.under_agent(&args.agent, "BackupSources", query).await
    }
}

impl Gateway {
    /// A collection under one agent on one server.
    async fn under_agent(
        &self,
        args: &AgentListArgs,
        child: &'static str,
        query: Query,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let scope = args.scope();
        let (query, agent) = (&query, args.agent_id.number("agent_id")?);
        let out = self
            .nova_rows(&scope, None, |nova, want| async move {
                resources::under_agent(&nova, agent, child, query, want).await
            })
            .await?;
        Ok(Json(out))
    }
}

fn fanout_max() -> u32 {
    crate::fanout::MAX_LIMIT as u32
}
