//! Storage: usage summaries, cloud storage accounts, storage servers.

use crate::mcp::ids::Id;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ItemOutput, ODataArgs, Scope};
use crate::fanout::{self, Coverage};
use crate::mcp::output::FanoutOutput;
use crate::mcp::{Gateway, ToolError};
use crate::upstream::novabackup::odata::Query;
use crate::upstream::novabackup::present;
use crate::upstream::novabackup::resources;
use crate::upstream::novabackup::storage::{
    self, CsaTotals, GroupBy, OrphanedDevice, StorageReport,
};

/// Groups shown by default in a storage summary.
const DEFAULT_TOP: usize = 50;
/// The most groups a storage summary shows.
const MAX_TOP: usize = 500;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct StorageUsageArgs {
    /// Only this server (default: every NovaBACKUP server).
    pub server_id: Option<Id>,
    /// Only devices of this tenant's agents (its id or customer name).
    pub tenant_id: Option<Id>,
    /// agent (default), tenant, device_type or server.
    #[serde(default)]
    pub group_by: GroupBy,
    /// Show the largest N groups (default 50, max 500); totals always cover every group.
    #[schemars(range(max = 500))]
    pub top: Option<u32>,
    /// List the devices of each group (at most 50 per group).
    #[serde(default)]
    pub include_devices: bool,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct CsaUsageArgs {
    /// Only this server (default: every NovaBACKUP server).
    pub server_id: Option<Id>,
    /// Only accounts (and orphaned devices) of this tenant (its id or customer name).
    pub tenant_id: Option<Id>,
    /// List S3-type devices whose account is missing or unknown (default true).
    #[serde(default = "yes")]
    pub include_orphaned_devices: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ListArgs {
    #[serde(flatten)]
    pub scope: Scope,
    #[serde(flatten)]
    pub odata: ODataArgs,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetCsaArgs {
    pub server_id: Id,
    pub cloud_storage_account_id: Id,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetStorageServerArgs {
    pub server_id: Id,
    pub storage_server_id: Id,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct StorageUsageOutput {
    #[serde(flatten)]
    pub report: StorageReport,
    #[serde(rename = "_meta")]
    pub meta: Coverage,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct CsaUsageOutput {
    /// Accounts with usage, tenant_id (null plus tenants_seen when agents disagree), devices.
    pub accounts: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub orphaned_devices: Option<Vec<OrphanedDevice>>,
    pub totals: CsaTotals,
    pub truncated: bool,
    #[serde(rename = "_meta")]
    pub meta: Coverage,
}

#[tool_router(router = nova_storage_router, vis = "pub(super)")]
impl Gateway {
    #[tool(
        description = "Storage used by NovaBACKUP backup devices, grouped by agent (default), tenant, device_type or server, largest first. Usage is each device's reported Size; FreeSpace is summed separately; devices that report neither are counted. grand_total covers every group even when top cuts the list. Reads every agent on every server (paged), so totals are complete unless truncated says otherwise.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn summarize_storage_usage(
        &self,
        Parameters(args): Parameters<StorageUsageArgs>,
    ) -> Result<Json<StorageUsageOutput>, ToolError> {
        let top = args
            .top
            .map_or(DEFAULT_TOP, |t| (t as usize).clamp(1, MAX_TOP));
        let (group_by, devices) = (args.group_by, args.include_devices);
        let tenants = self.tenant_filter(args.tenant_id.as_ref()).await?;
        let tenant = tenants.as_ref();
        let (parts, meta) = self
            .nova_each(args.server_id.as_deref(), |nova| async move {
                storage::server_usage(&nova, group_by, tenant, devices).await
            })
            .await?;
        let parts = parts.into_iter().map(|(_, usage)| usage).collect();
        let report = StorageReport::merge(group_by, parts, top);
        Ok(Json(StorageUsageOutput { report, meta }))
    }

    #[tool(
        description = "Cloud storage accounts (CSAs) of NovaBACKUP servers with their usage as last recalculated (usage_recalculated false when never), quota, the devices and agents that use them, and tenant_id: the tenant of those agents when they agree, else null with tenants_seen. Also lists orphaned devices: S3-type devices with no account id, or one that is not among the server's accounts (reason says which). License keys show only their last 4 characters.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn summarize_csa_usage(
        &self,
        Parameters(args): Parameters<CsaUsageArgs>,
    ) -> Result<Json<CsaUsageOutput>, ToolError> {
        let tenants = self.tenant_filter(args.tenant_id.as_ref()).await?;
        let tenant = tenants.as_ref();
        let (parts, meta) = self
            .nova_each(args.server_id.as_deref(), |nova| async move {
                storage::csa_usage(&nova, tenant).await
            })
            .await?;
        let mut totals = CsaTotals::default();
        let (mut accounts, mut orphaned, mut truncated) = (Vec::new(), Vec::new(), false);
        for (server_id, usage) in parts {
            totals.add(&usage.totals);
            truncated |= usage.capped;
            accounts.extend(
                usage
                    .accounts
                    .into_iter()
                    .map(|r| fanout::tag(&server_id, r)),
            );
            orphaned.extend(usage.orphaned);
        }
        let (accounts, cut) = fanout::cap_rows(accounts, fanout::MAX_LIMIT);
        truncated |= cut || orphaned.len() > fanout::MAX_LIMIT;
        orphaned.truncate(fanout::MAX_LIMIT);
        Ok(Json(CsaUsageOutput {
            accounts,
            orphaned_devices: args.include_orphaned_devices.then_some(orphaned),
            totals,
            truncated,
            meta,
        }))
    }

    #[tool(
        description = "Cloud storage accounts of NovaBACKUP servers: UsedBytes, UsedBytesLastCalculationCompleted, quota, StorageServerId, with tenant_id through the agents whose devices use the account (null plus tenants_seen when they disagree). License keys show only their last 4 characters.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_cloud_storage_accounts(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let query = &args.odata.query()?;
        let out = self
            .nova_rows(&args.scope, None, |nova, want| async move {
                resources::cloud_storage_accounts(&nova, query, want).await
            })
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "One cloud storage account of a NovaBACKUP server by CloudStorageAccountId, with tenant_id through its agents. The license key shows only its last 4 characters.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_cloud_storage_account(
        &self,
        Parameters(args): Parameters<GetCsaArgs>,
    ) -> Result<Json<ItemOutput>, ToolError> {
        let id = args
            .cloud_storage_account_id
            .number("cloud_storage_account_id")?;
        let out = self
            .nova_item(&args.server_id, |nova| async move {
                resources::cloud_storage_account(&nova, id).await
            })
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "Storage servers (storage back ends such as S3 endpoints) known to NovaBACKUP servers. They belong to no tenant (tenant_id null).",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_storage_servers(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let out = self
            .nova_plain_list(
                &args.scope,
                &args.odata,
                "StorageServers",
                |_| {},
                storage_server,
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "One storage server of a NovaBACKUP server by StorageServerId.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_storage_server(
        &self,
        Parameters(args): Parameters<GetStorageServerArgs>,
    ) -> Result<Json<ItemOutput>, ToolError> {
        let id = args.storage_server_id.number("storage_server_id")?;
        let out = self
            .nova_item(&args.server_id, |nova| async move {
                resources::by_key(
                    &nova,
                    "StorageServers",
                    id,
                    &Query::default(),
                    storage_server,
                )
                .await
            })
            .await?;
        Ok(Json(out))
    }
}

/// Storage servers belong to no tenant.
fn storage_server(map: serde_json::Map<String, Value>) -> crate::fanout::Row {
    present::row(None, map)
}
