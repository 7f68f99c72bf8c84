//! The data behind the list and get tools: each function asks one server and returns rows
//! that are already attributed to a tenant and presented (keys masked, statuses labelled).

use crate::tenants::TenantIds;
use serde_json::{Map, Value};

use super::client::Nova;
use super::error::NovaError;
use super::odata::{Query, key};
use super::present;
use super::storage::{self, CsaTenants};
use crate::fanout::Row;

/// Rows from one server, and whether the scan cap stopped the reading early.
#[derive(Debug, Default)]
pub struct Listing {
    pub rows: Vec<Row>,
    pub capped: bool,
}

/// What a list call wants from each server.
#[derive(Debug, Clone)]
pub struct Want {
    /// Stop after this many kept rows (the gateway's `limit` + 1, to detect truncation).
    pub rows: usize,
    /// Keep only rows of these tenant ids.
    pub tenant: Option<TenantIds>,
}

/// The `$expand` that brings an agent's tenant along.
pub const GROUP_EXPAND: &str = "Group($select=GroupId,GroupName,TenantId)";

/// Reads `resource`, shaping each row, until `want.rows` rows of the wanted tenant are kept.
pub async fn list(
    nova: &Nova<'_>,
    resource: &str,
    query: &Query,
    want: Want,
    shape: impl Fn(Map<String, Value>) -> Row,
) -> Result<Listing, NovaError> {
    let mut rows = Vec::new();
    let end = nova
        .scan(resource, query, |map| {
            let row = shape(map);
            if crate::tenants::ids::admits(want.tenant.as_ref(), row.tenant_id.as_deref()) {
                rows.push(row);
            }
            rows.len() < want.rows
        })
        .await?;
    Ok(Listing {
        rows,
        capped: end.capped,
    })
}

/// `Agents`, with `with_storage` adding the devices and their totals.
pub async fn agents(
    nova: &Nova<'_>,
    mut query: Query,
    with_storage: bool,
    want: Want,
) -> Result<Listing, NovaError> {
    let tenancy = nova.tenancy().await?;
    query.keep_selected(&["AgentId", "GroupId"]);
    if with_storage {
        query.keep_expanded("Devices");
    }
    list(nova, "Agents", &query, want, |map| {
        let mut row = present::agent(map, &tenancy);
        if with_storage {
            storage::add_agent_storage(&mut row.fields);
        }
        row
    })
    .await
}

/// One agent by id; `None` when this server has no such agent.
pub async fn agent(
    nova: &Nova<'_>,
    agent_id: i64,
    include_devices: bool,
) -> Result<Option<Row>, NovaError> {
    let mut query = Query {
        expand: Some(GROUP_EXPAND.into()),
        ..Query::default()
    };
    if include_devices {
        query.keep_expanded("Devices");
    }
    let Some(map) = nova.entity(&key("Agents", agent_id), &query).await? else {
        return Ok(None);
    };
    let tenancy = nova.tenancy().await?;
    let mut row = present::agent(map, &tenancy);
    if include_devices {
        storage::add_agent_storage(&mut row.fields);
    }
    Ok(Some(row))
}

/// A collection under one agent (`Devices`, `Jobs`, `BackupSources`), attributed to the
/// agent's tenant; an unknown agent is a clear "not found".
pub async fn under_agent(
    nova: &Nova<'_>,
    agent_id: i64,
    child: &str,
    query: &Query,
    want: Want,
) -> Result<Listing, NovaError> {
    let tenant = nova.tenancy().await?.of_agent(agent_id);
    let resource = format!("{}/{child}", key("Agents", agent_id));
    list(nova, &resource, query, want, |map| {
        present::row(tenant.clone(), map)
    })
    .await
    .map_err(|e| match e {
        NovaError::NotFound { .. } => NovaError::not_found(format!("agent {agent_id}")),
        other => other,
    })
}

/// Managed jobs are found by `JobId`, agent-defined ones by `ScheduleId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Managed,
    Unmanaged,
}

/// One job of an agent.
pub async fn job(
    nova: &Nova<'_>,
    agent_id: i64,
    identifier: i64,
    kind: JobKind,
) -> Result<Row, NovaError> {
    let filter = match kind {
        JobKind::Managed => format!("JobId eq {identifier}"),
        JobKind::Unmanaged => format!("(JobId eq null) and (ScheduleId eq {identifier})"),
    };
    let query = Query {
        filter: Some(filter),
        top: Some(1),
        ..Query::default()
    };
    let want = Want {
        rows: 1,
        tenant: None,
    };
    let listing = under_agent(nova, agent_id, "Jobs", &query, want).await?;
    listing.rows.into_iter().next().ok_or_else(|| {
        let what = match kind {
            JobKind::Managed => format!("managed job {identifier} (JobId) on agent {agent_id}"),
            JobKind::Unmanaged => {
                format!("agent-defined job with ScheduleId {identifier} on agent {agent_id}")
            }
        };
        NovaError::not_found(what)
    })
}

/// `CloudStorageAccounts`, each attributed through the agents whose devices use it.
pub async fn cloud_storage_accounts(
    nova: &Nova<'_>,
    query: &Query,
    want: Want,
) -> Result<Listing, NovaError> {
    let tenants = CsaTenants::load(nova).await?;
    let mut query = query.clone();
    query.keep_selected(&["CloudStorageAccountId"]);
    list(nova, "CloudStorageAccounts", &query, want, |map| {
        tenants.present(map)
    })
    .await
}

/// One cloud storage account, by the usual `$filter=CloudStorageAccountId eq N` lookup.
pub async fn cloud_storage_account(nova: &Nova<'_>, id: i64) -> Result<Row, NovaError> {
    let query = Query {
        filter: Some(format!("CloudStorageAccountId eq {id}")),
        top: Some(1),
        ..Query::default()
    };
    let all = Want {
        rows: 1,
        tenant: None,
    };
    let listing = cloud_storage_accounts(nova, &query, all).await?;
    listing
        .rows
        .into_iter()
        .next()
        .ok_or_else(|| NovaError::not_found(format!("cloud storage account {id}")))
}

/// `JobHistories` of the chosen kind, newest first unless the caller orders otherwise.
pub async fn job_history(
    nova: &Nova<'_>,
    mut query: Query,
    kind: Option<JobKind>,
    want: Want,
) -> Result<Listing, NovaError> {
    match kind {
        Some(JobKind::Managed) => query.and_filter("JobId ne null"),
        Some(JobKind::Unmanaged) => query.and_filter("JobId eq null"),
        None => {}
    }
    if query.orderby.as_deref().is_none_or(|o| o.trim().is_empty()) {
        query.orderby = Some("StartDateTime desc,JobLogId desc".into());
    }
    query.keep_selected(&["JobLogId", "JobId", "AgentId"]);
    let tenancy = nova.tenancy().await?;
    list(nova, "JobHistories", &query, want, |map| {
        present::run(map, &tenancy)
    })
    .await
}

/// A simple entity by key (storage servers, users), shaped by `shape`; `None` on a 404.
pub async fn by_key(
    nova: &Nova<'_>,
    set: &str,
    id: i64,
    query: &Query,
    shape: impl Fn(Map<String, Value>) -> Row,
) -> Result<Row, NovaError> {
    nova.entity(&key(set, id), query)
        .await?
        .map(shape)
        .ok_or_else(|| NovaError::not_found(format!("{} {id}", singular(set))))
}

fn singular(set: &str) -> String {
    match set {
        "StorageServers" => "storage server".into(),
        "Users" => "user".into(),
        other => other.trim_end_matches('s').to_ascii_lowercase(),
    }
}
