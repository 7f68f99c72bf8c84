//! The directory: groups (where tenancy lives), the group tree, CMon users.

use crate::mcp::ids::Id;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Deserialize;

use super::ItemOutput;
use super::storage::ListArgs;
use crate::mcp::output::FanoutOutput;
use crate::mcp::{Gateway, ToolError};
use crate::upstream::novabackup::hierarchy::{self, GroupTree};
use crate::upstream::novabackup::odata::Query;
use crate::upstream::novabackup::present::{self, USER_FIELDS};
use crate::upstream::novabackup::resources;

#[derive(Debug, Deserialize, JsonSchema)]
pub struct ServerArgs {
    pub server_id: Id,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct GetUserArgs {
    pub server_id: Id,
    pub user_id: Id,
}

#[tool_router(router = nova_directory_router, vis = "pub(super)")]
impl Gateway {
    #[tool(
        description = "Groups of NovaBACKUP servers: the organisational tree where tenancy lives (GroupId, GroupName, ParentGroupId, TenantId, Default). tenant_id is the group's own TenantId (null for groups such as the root).",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_groups(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let keep_tenant = |q: &mut Query| q.keep_selected(&["GroupId", "TenantId"]);
        let out = self
            .nova_plain_list(
                &args.scope,
                &args.odata,
                "Groups",
                keep_tenant,
                present::group,
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "The group tree of one NovaBACKUP server as nested roots with children arrays, each node with its tenant_id. A group whose parent the logged-in user cannot see is shown as a root.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_group_hierarchy(
        &self,
        Parameters(args): Parameters<ServerArgs>,
    ) -> Result<Json<GroupTree>, ToolError> {
        let tree = self
            .nova_one(&args.server_id, |nova| async move {
                hierarchy::tree(&nova).await
            })
            .await?;
        Ok(Json(tree))
    }

    #[tool(
        description = "CMon user accounts (MSP technicians and admins) of NovaBACKUP servers: UserName, EmailAddress, Enabled, IsLockedOut, IsOnline, LastLoginDate, RoleId. Only these safe properties are returned. Users belong to no tenant (tenant_id null).",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_users(
        &self,
        Parameters(args): Parameters<ListArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let safe_select = |q: &mut Query| {
            if q.select.as_deref().is_none_or(|s| s.trim().is_empty()) {
                q.select = Some(USER_FIELDS.join(","));
            }
        };
        let out = self
            .nova_plain_list(
                &args.scope,
                &args.odata,
                "Users",
                safe_select,
                present::user,
            )
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "One CMon user of a NovaBACKUP server by UserId (safe properties only).",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_user(
        &self,
        Parameters(args): Parameters<GetUserArgs>,
    ) -> Result<Json<ItemOutput>, ToolError> {
        let id = args.user_id.number("user_id")?;
        let query = &Query {
            select: Some(USER_FIELDS.join(",")),
            ..Query::default()
        };
        let out = self
            .nova_item(&args.server_id, |nova| async move {
                resources::by_key(&nova, "Users", id, query, present::user).await
            })
            .await?;
        Ok(Json(out))
    }
}
