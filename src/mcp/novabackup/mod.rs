//! The 19 NovaBACKUP Management Server tools, split by area (agents, storage, directory,
//! history). Tools only translate arguments and results: the work is in
//! `upstream::novabackup`. This module holds what they share: argument blocks, the fan-out
//! helpers that run a per-server operation and turn a query rejected by every server into a
//! clear tool error, and the single-item output.

mod agents;
mod directory;
mod history;
mod storage;

use crate::mcp::ids::Id;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rmcp::handler::server::router::tool::ToolRouter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::output::FanoutOutput;
use super::{Gateway, ToolError};
use crate::fanout::{self, Coverage, Row, RowOrder};
use crate::fleet::{Selection, Server, ServerFailure};
use crate::store::ServerKind;
use crate::upstream::novabackup::odata::Query;
use crate::upstream::novabackup::resources::{self, Listing, Want};
use crate::upstream::novabackup::{Nova, NovaError};

/// How a list tool orders rows from several servers (a plain `fn`, so futures stay `Send`).
type RowCmp = fn(&Value, &Value) -> std::cmp::Ordering;

/// The largest `$top` a caller may send.
const MAX_TOP: u32 = 1000;

/// The OData options of the existing NovaBACKUP MCP's list tools.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub struct ODataArgs {
    /// OData v4 filter with PascalCase properties, e.g. `Connected eq true and contains(FriendlyName,'prod')`.
    #[serde(rename = "$filter")]
    pub filter: Option<String>,
    /// Comma-separated properties to return (ids the gateway needs are added).
    #[serde(rename = "$select")]
    pub select: Option<String>,
    /// Navigation properties to expand, e.g. `Group($select=GroupName)`.
    #[serde(rename = "$expand")]
    pub expand: Option<String>,
    /// e.g. `LastBackupDate desc`.
    #[serde(rename = "$orderby")]
    pub orderby: Option<String>,
    /// Per server: at most this many rows of the server's answer (max 1000).
    #[serde(rename = "$top")]
    #[schemars(range(max = 1000))]
    pub top: Option<u32>,
    /// Per server: skip this many rows first.
    #[serde(rename = "$skip")]
    #[schemars(range(min = 0))]
    pub skip: Option<u32>,
}

impl ODataArgs {
    /// The query these options describe; `$top` above 1000 is refused.
    pub fn query(&self) -> Result<Query, ToolError> {
        if self.top.is_some_and(|t| t > MAX_TOP) {
            return Err(ToolError::invalid(
                "$top",
                format!("at most {MAX_TOP}; use $skip to page further"),
            ));
        }
        Ok(Query {
            filter: self.filter.clone(),
            select: self.select.clone(),
            expand: self.expand.clone(),
            orderby: self.orderby.clone(),
            top: self.top.map(u64::from),
            skip: self.skip.map(u64::from),
            params: Vec::new(),
        })
    }
}

/// Which servers and tenant a list tool covers, and how many rows it returns in total.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub struct Scope {
    /// Only this server (default: every NovaBACKUP server).
    pub server_id: Option<Id>,
    /// Only items of this tenant: its id (GUID) or customer name.
    pub tenant_id: Option<Id>,
    /// Most rows returned over all servers (default 200, max 1000); `_meta.truncated` says when cut.
    pub limit: Option<u32>,
}

/// One item from one server, tagged with `server_id` and `tenant_id`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ItemOutput {
    pub item: Value,
}

impl ItemOutput {
    fn new(server_id: &str, row: Row) -> Self {
        ItemOutput {
            item: fanout::tag(server_id, row),
        }
    }
}

/// Turns per-server NovaBACKUP errors into coverage failures, remembering the caller's
/// mistakes (a query the server rejected, an id it does not know) and whether any scan hit
/// its cap.
#[derive(Default)]
struct Tracker {
    caller_error: Mutex<Option<String>>,
    capped: AtomicBool,
}

impl Tracker {
    fn settle<T>(&self, server_id: &str, result: Result<T, NovaError>) -> Result<T, ServerFailure> {
        if let Err(e @ (NovaError::Rejected { .. } | NovaError::NotFound { .. })) = &result {
            let mut slot = self.caller_error.lock().unwrap_or_else(|p| p.into_inner());
            slot.get_or_insert_with(|| format!("server {server_id}: {e}"));
        }
        result.map_err(Into::into)
    }

    /// A call that no server could answer because of its arguments is a tool error.
    fn check(&self, coverage: &Coverage) -> Result<(), ToolError> {
        let caller_error = self.caller_error.lock().unwrap_or_else(|p| p.into_inner());
        match caller_error.as_ref() {
            Some(message) if coverage.servers_succeeded == 0 => {
                Err(ToolError::Upstream(message.clone()))
            }
            _ => Ok(()),
        }
    }
}

impl Gateway {
    /// Every NovaBACKUP tool.
    pub(in crate::mcp) fn novabackup_router() -> ToolRouter<Gateway> {
        Self::nova_agents_router()
            + Self::nova_storage_router()
            + Self::nova_directory_router()
            + Self::nova_history_router()
    }

    /// The NovaBACKUP servers a call asks.
    fn nova_servers(&self, server_id: Option<&str>) -> Result<Vec<Arc<Server>>, ToolError> {
        Ok(self.ctx.fleet.select(&Selection {
            kind: Some(ServerKind::Novabackup),
            server_id,
            tenants: None,
        })?)
    }

    /// A list tool: rows from every selected server, tagged, tenant-filtered, ordered when
    /// asked, capped at `limit` with `_meta`.
    async fn nova_rows<'a, F, Fut>(
        &'a self,
        scope: &'a Scope,
        order: Option<RowCmp>,
        op: F,
    ) -> Result<FanoutOutput, ToolError>
    where
        F: Fn(Nova<'a>, Want) -> Fut,
        Fut: Future<Output = Result<Listing, NovaError>> + 'a,
    {
        let servers = self.nova_servers(scope.server_id.as_deref())?;
        let tenants = self.tenant_filter(scope.tenant_id.as_ref()).await?;
        let plan = self.plan(tenants.clone());
        let limit = fanout::effective_limit(scope.limit);
        let want = Want {
            rows: limit + 1,
            tenant: tenants,
        };
        let tracker = Tracker::default();
        let cache = &self.ctx.nova_tenancy;
        let gathered = fanout::gather(servers, &plan, |server, deadline| {
            let id = server.id().to_owned();
            let work = op(Nova::new(server, deadline, cache), want.clone());
            let tracker = &tracker;
            async move {
                let listing = tracker.settle(&id, work.await)?;
                if listing.capped {
                    tracker.capped.store(true, Ordering::Relaxed);
                }
                Ok(listing.rows)
            }
        })
        .await;
        tracker.check(&gathered.coverage)?;
        let order = order.as_ref().map(|f| f as RowOrder<'_>);
        let mut out = FanoutOutput::from_gathered(gathered, limit, order);
        out.meta.truncated |= tracker.capped.load(Ordering::Relaxed);
        Ok(out)
    }

    /// A list tool over one entity set that needs nothing but `shape` per row.
    async fn nova_plain_list(
        &self,
        scope: &Scope,
        odata: &ODataArgs,
        set: &'static str,
        adjust: fn(&mut Query),
        shape: fn(serde_json::Map<String, Value>) -> Row,
    ) -> Result<FanoutOutput, ToolError> {
        let mut query = odata.query()?;
        adjust(&mut query);
        let query = &query;
        self.nova_rows(scope, None, |nova, want| async move {
            resources::list(&nova, set, query, want, shape).await
        })
        .await
    }

    /// A summary or lookup: one result per server that answered, in saved order, plus
    /// coverage. Rows are not tagged or filtered here; the operation does that.
    async fn nova_each<'a, T, F, Fut>(
        &'a self,
        server_id: Option<&str>,
        op: F,
    ) -> Result<(Vec<(String, T)>, Coverage), ToolError>
    where
        F: Fn(Nova<'a>) -> Fut,
        Fut: Future<Output = Result<T, NovaError>> + 'a,
    {
        let servers = self.nova_servers(server_id)?;
        let plan = self.plan(None);
        let tracker = Tracker::default();
        let cache = &self.ctx.nova_tenancy;
        let (results, gathered) = fanout::gather_each(servers, &plan, |server, deadline| {
            let id = server.id().to_owned();
            let work = op(Nova::new(server, deadline, cache));
            let tracker = &tracker;
            async move { tracker.settle(&id, work.await) }
        })
        .await;
        tracker.check(&gathered.coverage)?;
        let (_, coverage) = gathered.finish(fanout::MAX_LIMIT, None);
        Ok((results, coverage))
    }

    /// One named server's answer, or its failure as a tool error.
    async fn nova_one<'a, T, F, Fut>(&'a self, server_id: &str, op: F) -> Result<T, ToolError>
    where
        F: Fn(Nova<'a>) -> Fut,
        Fut: Future<Output = Result<T, NovaError>> + 'a,
    {
        let (mut results, coverage) = self.nova_each(Some(server_id), op).await?;
        match (results.pop(), coverage.failures.first()) {
            (Some((_, value)), _) => Ok(value),
            (None, Some(f)) => Err(ToolError::Upstream(format!(
                "server {}: {} ({})",
                f.server_id,
                f.error,
                f.reason.as_str()
            ))),
            (None, None) => Err(ToolError::Upstream(format!(
                "server {server_id} gave no answer"
            ))),
        }
    }

    /// One item from one named server, tagged.
    async fn nova_item<'a, F, Fut>(
        &'a self,
        server_id: &str,
        op: F,
    ) -> Result<ItemOutput, ToolError>
    where
        F: Fn(Nova<'a>) -> Fut,
        Fut: Future<Output = Result<Row, NovaError>> + 'a,
    {
        let row = self.nova_one(server_id, op).await?;
        Ok(ItemOutput::new(server_id, row))
    }
}
