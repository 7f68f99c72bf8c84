//! Tenants in the MCP layer: `list_tenants`, the resolution of every `tenant_id` argument (an id
//! or a customer name) before a fan-out, and the last-but-one step of every answer, which puts
//! `tenant_name` next to every `tenant_id` so no tool can forget it.

use rmcp::handler::server::wrapper::Json;
use rmcp::model::CallToolResponse;
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::ids::Id;
use super::{Gateway, ToolError};
use crate::fanout::{self, Coverage};
use crate::fleet::Status;
use crate::store::ServerKind;
use crate::tenants::{Customer, Directory, TenantIds};
use crate::upstream::novabackup::Nova;

/// Which Management Servers a directory asks for their tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ask {
    /// None: only what the tenancy cache holds (for naming rows after a call).
    Cache,
    /// Those up or still connecting, so a down server is asked (and reported) by the call's own
    /// fan-out rather than by a lookup before it.
    Healthy,
    /// Every one, failures in `_meta` (`list_tenants`).
    All,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct TenantList {
    pub count: usize,
    pub items: Vec<Customer>,
    #[serde(rename = "_meta")]
    pub meta: Coverage,
}

#[tool_router(router = tenants_router, vis = "pub(super)")]
impl Gateway {
    #[tool(
        description = "Every tenant (customer) across both kinds of server: tenant_id, tenant_name, the servers that hold it and their kinds. NovaBACKUP tenants are named after their topmost group; a Backrest tenant no Management Server names is named by its id. Any tool's tenant_id argument takes the id or the name (ignoring case). Management Servers that did not answer are in _meta: their customers are missing.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_tenants(&self) -> Json<TenantList> {
        let (directory, meta) = self.directory(Ask::All).await;
        let items = directory.customers();
        Json(TenantList {
            count: items.len(),
            items,
            meta,
        })
    }
}

impl Gateway {
    /// The fleet's customers: the NovaBACKUP servers `ask` names have their groups read
    /// (through the tenancy cache, so at most once per TTL) within the call's deadline; the
    /// others contribute what the cache already holds, if anything.
    pub(super) async fn directory(&self, ask: Ask) -> (Directory, Coverage) {
        let mut directory = Directory::default();
        let servers = self.ctx.fleet.all();
        let order: Vec<String> = servers.iter().map(|s| s.id().to_owned()).collect();
        let mut nova = Vec::new();
        for server in servers {
            match server.kind() {
                ServerKind::Backrest => {
                    directory.add_backrest(server.id(), server.entry.default_tenant())
                }
                ServerKind::Novabackup => nova.push(server),
            }
        }
        let (nova, known): (Vec<_>, Vec<_>) = nova.into_iter().partition(|s| match ask {
            Ask::Cache => false,
            Ask::Healthy => matches!(s.status(), Status::Up | Status::Connecting),
            Ask::All => true,
        });
        for server in &known {
            match self.ctx.nova_tenancy.peek(server) {
                Some(tenancy) => directory.add_novabackup(server.id(), &tenancy),
                None => directory.add_unread(server.id()),
            }
        }
        if nova.is_empty() {
            directory.order_servers(&order);
            let meta = match self.ctx.fleet.is_empty() {
                true => Coverage::nothing_asked(),
                false => Coverage::default(),
            };
            return (directory, meta);
        }
        let cache = &self.ctx.nova_tenancy;
        let all: Vec<String> = nova.iter().map(|s| s.id().to_owned()).collect();
        let (answers, gathered) =
            fanout::gather_each(nova, &self.plan(None), |server, deadline| {
                let nova = Nova::new(server, deadline, cache);
                async move { nova.tenancy().await.map_err(Into::into) }
            })
            .await;
        for id in all
            .iter()
            .filter(|id| !answers.iter().any(|(a, _)| a == *id))
        {
            directory.add_unread(id);
        }
        for (server_id, tenancy) in &answers {
            directory.add_novabackup(server_id, tenancy);
        }
        directory.order_servers(&order);
        let (_, meta) = gathered.finish(fanout::MAX_LIMIT, None);
        (directory, meta)
    }

    /// The tenant ids a `tenant_id` argument stands for (`None`: no filter). An unknown tenant is
    /// an error listing the known customers.
    pub(super) async fn tenant_filter(
        &self,
        wanted: Option<&Id>,
    ) -> Result<Option<TenantIds>, ToolError> {
        let Some(wanted) = wanted else {
            return Ok(None);
        };
        let (directory, _) = self.directory(Ask::Healthy).await;
        Ok(Some(directory.resolve(wanted)?))
    }

    /// Puts `tenant_name` next to every `tenant_id` of a successful answer, from what the
    /// tenancy cache holds (a NovaBACKUP answer's own reads have just filled it). Only when a
    /// tenant is left that no Management Server named, and some server's tenants are not cached
    /// (a Backrest-only call early in the session), are the healthy Management Servers asked.
    pub(super) async fn name_tenants(&self, response: &mut CallToolResponse) {
        let CallToolResponse::Complete(result) = response else {
            return;
        };
        if result.is_error == Some(true) {
            return;
        }
        let Some(value) = result.structured_content.as_mut() else {
            return;
        };
        if !mentions_tenants(value) {
            return;
        }
        let (mut directory, _) = self.directory(Ask::Cache).await;
        if !directory.unread().is_empty() && has_unnamed(value, &directory) {
            directory = self.directory(Ask::Healthy).await.0;
        }
        add_names(value, &directory);
        // The text block is the structured value's JSON: keep them the same.
        if let Some(block) = result.content.first_mut()
            && let Some(text) = block.as_text()
        {
            let mut text = text.clone();
            text.text = value.to_string();
            *block = rmcp::model::ContentBlock::Text(text);
        }
    }
}

fn mentions_tenants(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key("tenant_id") || map.values().any(mentions_tenants),
        Value::Array(items) => items.iter().any(mentions_tenants),
        _ => false,
    }
}

/// Whether a `tenant_id` in `value` has no name from a Management Server.
fn has_unnamed(value: &Value, directory: &Directory) -> bool {
    match value {
        Value::Object(map) => {
            let unnamed = map
                .get("tenant_id")
                .and_then(Value::as_str)
                .is_some_and(|t| !directory.is_named(t));
            unnamed || map.values().any(|v| has_unnamed(v, directory))
        }
        Value::Array(items) => items.iter().any(|v| has_unnamed(v, directory)),
        _ => false,
    }
}

/// Every object with a `tenant_id` gets a `tenant_name` (null when the id is null or unknown);
/// one the answer already named keeps its name.
fn add_names(value: &mut Value, directory: &Directory) {
    match value {
        Value::Object(map) => {
            if let Some(tenant) = map.get("tenant_id")
                && !map.contains_key("tenant_name")
            {
                let name = tenant
                    .as_str()
                    .and_then(|t| directory.name_of(t))
                    .map_or(Value::Null, |n| Value::String(n.to_owned()));
                map.insert("tenant_name".into(), name);
            }
            map.values_mut().for_each(|v| add_names(v, directory));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| add_names(v, directory)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_tenant_id_gets_a_name_beside_it() {
        let mut d = Directory::default();
        d.add_backrest("nas", "acme");
        let mut v = json!({"items": [{"tenant_id": "acme"}, {"tenant_id": null},
            {"nested": {"tenant_id": "zeta"}}], "tenant_id": "acme", "tenant_name": "kept"});
        assert!(mentions_tenants(&v));
        add_names(&mut v, &d);
        assert_eq!(v["items"][0]["tenant_name"], "acme");
        assert!(v["items"][1]["tenant_name"].is_null());
        assert!(v["items"][2]["nested"]["tenant_name"].is_null());
        assert_eq!(v["tenant_name"], "kept");
        assert!(!mentions_tenants(&json!({"TenantId": "x"})));
    }
}
