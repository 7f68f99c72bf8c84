//! Tenant attribution: which tenant an agent, group or run belongs to.
//!
//! Tenancy lives on groups (`TenantId`); agents belong to a group; runs, jobs and devices belong
//! to an agent. Rows other than groups do not carry their tenant, so each server's groups and
//! agents are read once and kept in a [`TenantCache`] for [`TTL`]: one scan of each, shared by
//! every tool call, refreshed by the first call after it expires (one refresh in flight per
//! server). The cache is keyed by server id and base URL, so a server reconnected elsewhere
//! starts afresh.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::client::Nova;
use super::error::NovaError;
use super::odata::Query;

/// How long a server's tenancy is trusted before it is read again.
pub const TTL: Duration = Duration::from_secs(120);

/// Groups and agents of one server, reduced to what attribution and naming need.
#[derive(Debug, Default)]
pub struct Tenancy {
    group_tenant: HashMap<i64, Option<String>>,
    /// Each group's parent and name, for naming tenants.
    group_place: HashMap<i64, (Option<i64>, Option<String>)>,
    /// Each tenant's customer name: the name of its topmost group.
    names: BTreeMap<String, Option<String>>,
    agent_group: HashMap<i64, i64>,
    fetched: Option<Instant>,
}

impl Tenancy {
    /// Built from rows (`GroupId`/`TenantId` and `AgentId`/`GroupId`), e.g. in tests.
    pub fn from_rows<'a>(
        groups: impl IntoIterator<Item = &'a Map<String, Value>>,
        agents: impl IntoIterator<Item = &'a Map<String, Value>>,
    ) -> Self {
        let mut t = Tenancy::default();
        groups.into_iter().for_each(|g| t.add_group(g));
        agents.into_iter().for_each(|a| t.add_agent(a));
        t.name_tenants();
        t
    }

    fn add_group(&mut self, row: &Map<String, Value>) {
        if let Some(id) = int(row, "GroupId") {
            self.group_tenant.insert(id, text(row, "TenantId"));
            self.group_place
                .insert(id, (int(row, "ParentGroupId"), text(row, "GroupName")));
        }
    }

    /// Names every tenant after its topmost group (one whose parent is of another tenant or
    /// not visible), the lowest GroupId among several: "Acme Dental", not "Acme Dental - Branch".
    fn name_tenants(&mut self) {
        let mut best: BTreeMap<String, (bool, i64)> = BTreeMap::new();
        for (&id, tenant) in &self.group_tenant {
            let Some(tenant) = tenant else { continue };
            let parent = self.group_place.get(&id).and_then(|(p, _)| *p);
            let top = parent.is_none_or(|p| self.of_group(p).as_deref() != Some(tenant));
            let rank = (!top, id);
            let slot = best.entry(tenant.clone()).or_insert(rank);
            *slot = rank.min(*slot);
        }
        self.names = best
            .into_iter()
            .map(|(tenant, (_, id))| {
                let name = self.group_place.get(&id).and_then(|(_, n)| n.clone());
                (tenant, name)
            })
            .collect();
    }

    /// Every tenant this server's groups carry, with its customer name when a group has one.
    pub fn tenants(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.names.iter().map(|(t, n)| (t.as_str(), n.as_deref()))
    }

    fn add_agent(&mut self, row: &Map<String, Value>) {
        if let (Some(id), Some(group)) = (int(row, "AgentId"), int(row, "GroupId")) {
            self.agent_group.insert(id, group);
        }
    }

    /// The tenant of a group (`None`: no tenant, or a group this user cannot see).
    pub fn of_group(&self, group_id: i64) -> Option<String> {
        self.group_tenant.get(&group_id).cloned().flatten()
    }

    /// The tenant of an agent, through its group.
    pub fn of_agent(&self, agent_id: i64) -> Option<String> {
        self.of_group(*self.agent_group.get(&agent_id)?)
    }

    /// The tenant of an agent row: its expanded `Group` when present, else its `GroupId`.
    pub fn of_agent_row(&self, row: &Map<String, Value>) -> Option<String> {
        if let Some(Value::Object(group)) = row.get("Group")
            && group.contains_key("TenantId")
        {
            return text(group, "TenantId");
        }
        int(row, "GroupId")
            .and_then(|g| self.of_group(g))
            .or_else(|| int(row, "AgentId").and_then(|a| self.of_agent(a)))
    }

    fn fresh(&self) -> bool {
        self.fetched.is_some_and(|at| at.elapsed() < TTL)
    }
}

/// Per-server tenancy with a TTL; lives in the MCP context so every tool shares it.
#[derive(Default)]
pub struct TenantCache {
    entries: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Arc<Tenancy>>>>>,
}

impl TenantCache {
    /// The server's tenancy, read again when older than [`TTL`].
    pub async fn get(&self, nova: &Nova<'_>) -> Result<Arc<Tenancy>, NovaError> {
        let key = format!("{}\n{}", nova.server.id(), nova.server.entry.api_base());
        let slot = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        let mut guard = tokio::time::timeout_at(nova.deadline.into(), slot.lock())
            .await
            .map_err(|_| crate::upstream::UpstreamError::Timeout {
                url: nova.server.entry.api_base().to_owned(),
                after: None,
            })?;
        if !guard.fresh() {
            *guard = Arc::new(load(nova).await?);
        }
        Ok(guard.clone())
    }

    /// The server's tenancy as last read, however old, without asking the server (`None`: never
    /// read, or a refresh is in flight), for naming tenants.
    pub fn peek(&self, server: &crate::fleet::Server) -> Option<Arc<Tenancy>> {
        let key = format!("{}\n{}", server.id(), server.entry.api_base());
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let slot = entries.get(&key)?.try_lock().ok()?;
        slot.fetched.is_some().then(|| slot.clone())
    }
}

async fn load(nova: &Nova<'_>) -> Result<Tenancy, NovaError> {
    let mut t = Tenancy::default();
    let groups = Query {
        select: Some("GroupId,TenantId,GroupName,ParentGroupId".into()),
        orderby: Some("GroupId".into()),
        ..Query::default()
    };
    nova.scan("Groups", &groups, |row| {
        t.add_group(&row);
        true
    })
    .await?;
    let agents = Query {
        select: Some("AgentId,GroupId".into()),
        orderby: Some("AgentId".into()),
        ..Query::default()
    };
    nova.scan("Agents", &agents, |row| {
        t.add_agent(&row);
        true
    })
    .await?;
    t.name_tenants();
    t.fetched = Some(Instant::now());
    Ok(t)
}

/// An integer property (also accepted as a numeric string).
pub fn int(row: &Map<String, Value>, key: &str) -> Option<i64> {
    match row.get(key)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// A non-empty string property.
pub fn text(row: &Map<String, Value>, key: &str) -> Option<String> {
    row.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn agents_get_their_group_tenant_and_expanded_groups_win() {
        let groups = [
            obj(json!({"GroupId": 10, "TenantId": "t1"})),
            obj(json!({"GroupId": 1, "TenantId": null})),
        ];
        let agents = [
            obj(json!({"AgentId": 101, "GroupId": 10})),
            obj(json!({"AgentId": 102, "GroupId": 1})),
        ];
        let t = Tenancy::from_rows(&groups, &agents);
        assert_eq!(t.of_agent(101).as_deref(), Some("t1"));
        assert_eq!(t.of_agent(102), None);
        assert_eq!(t.of_agent(999), None);
        let row = obj(json!({"AgentId": 102, "GroupId": 1, "Group": {"TenantId": "t9"}}));
        assert_eq!(t.of_agent_row(&row).as_deref(), Some("t9"));
        let row = obj(json!({"AgentId": 101}));
        assert_eq!(t.of_agent_row(&row).as_deref(), Some("t1"));
    }

    #[test]
    fn tenants_are_named_after_their_topmost_group() {
        let groups = [
            obj(json!({"GroupId": 1, "GroupName": "Root", "TenantId": null})),
            obj(
                json!({"GroupId": 11, "GroupName": "Acme Dental - Branch", "ParentGroupId": 10, "TenantId": "t1"}),
            ),
            obj(
                json!({"GroupId": 10, "GroupName": "Acme Dental", "ParentGroupId": 1, "TenantId": "t1"}),
            ),
            obj(
                json!({"GroupId": 20, "GroupName": "Blue Ridge Law", "ParentGroupId": 1, "TenantId": "t2"}),
            ),
            obj(json!({"GroupId": 30, "ParentGroupId": 99, "TenantId": "t3"})),
        ];
        let t = Tenancy::from_rows(&groups, &[]);
        let named: Vec<_> = t.tenants().collect();
        assert_eq!(
            named,
            [
                ("t1", Some("Acme Dental")),
                ("t2", Some("Blue Ridge Law")),
                ("t3", None)
            ]
        );
    }
}
