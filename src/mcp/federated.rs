//! The federated tools: one question across both kinds of server at once.

use crate::mcp::ids::Id;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Duration, Utc};
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::output::FanoutOutput;
use super::{Gateway, ToolError};
use crate::fanout::{self, Coverage, Row};
use crate::federated::overview::{self, Overview, ServerActivity};
use crate::federated::{RunRecord, backrest, newest_first, novabackup};
use crate::fleet::{Selection, Server, ServerFailure};
use crate::store::ServerKind;
use crate::tenants::TenantIds;
use crate::upstream::novabackup::client::Nova;
use crate::window;

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct FailingArgs {
    /// Only this server (default: every server).
    pub server_id: Option<Id>,
    /// Only this tenant: its id or customer name (list_tenants shows them).
    pub tenant_id: Option<Id>,
    /// novabackup or backrest (default: both).
    pub kind: Option<String>,
    /// Nh, Nd or Nw back from now: 24h (default), 48h, 7d, 2w, 30d.
    pub window: Option<String>,
    /// Start of the window (instead of window): RFC 3339 such as 2026-11-21T00:00:00Z, or Nh/Nd/Nw.
    pub since: Option<String>,
    /// Also list runs that completed with warnings (default false).
    #[serde(default)]
    pub include_warnings: bool,
    /// Add the first error lines of each run (warning lines for runs with warnings; default
    /// false). For NovaBACKUP this reads each run's log, for the newest 25 runs of each server
    /// (without it, the newest 10 still get their first error line as the end of `message`);
    /// Backrest rows carry their errors anyway.
    #[serde(default)]
    pub with_errors: bool,
    /// Rows returned in total (default 200, at most 1000).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FailingJobs {
    /// Start of the window that was searched.
    pub since: DateTime<Utc>,
    #[serde(flatten)]
    pub rows: FanoutOutput,
}

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct OverviewArgs {
    pub server_id: Option<Id>,
    /// Only this tenant: its id or customer name.
    pub tenant_id: Option<Id>,
    /// novabackup or backrest (default: both).
    pub kind: Option<String>,
    /// Window of the failure and warning counts, Nh, Nd or Nw back from now: 24h (default), 7d.
    pub window: Option<String>,
    /// Start of that window (instead of window): RFC 3339, or Nh/Nd/Nw.
    pub since: Option<String>,
    /// Agents or plans without a success for this many days are stale (default 7, 1 to 365).
    pub stale_days: Option<u32>,
    /// Stale entries listed at most (default 200, at most 1000).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct BackupOverview {
    pub since: DateTime<Utc>,
    pub stale_days: u32,
    #[serde(flatten)]
    pub overview: Overview,
    #[serde(rename = "_meta")]
    pub meta: Coverage,
}

#[tool_router(router = federated_router, vis = "pub(super)")]
impl Gateway {
    #[tool(
        description = "Every failed backup run (and, with include_warnings, every run with warnings) in a window across all NovaBACKUP Management Servers and Backrest servers, newest first. One row shape for both kinds: server_id, server_kind, tenant_id, tenant_name, job, machine (NovaBACKUP agent, or the Backrest instance: the host it runs on), status, started_at, ended_at, duration_s, message, and run_id (NovaBACKUP, for get_job_run_log) or operation_id/logref (Backrest), every id a string. The whole window is read, not a sample. Check _meta: servers that did not answer are listed there.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_failing_jobs(
        &self,
        Parameters(args): Parameters<FailingArgs>,
    ) -> Result<Json<FailingJobs>, ToolError> {
        let since = window::start(args.window.as_deref(), args.since.as_deref(), Utc::now())
            .map_err(window_error)?;
        let tenants = self.tenant_filter(args.tenant_id.as_ref()).await?;
        let servers = self.select_for_federation(&args.server_id, tenants.as_ref(), &args.kind)?;
        let plan = self.plan(tenants);
        let limit = fanout::effective_limit(args.limit);
        let errors_for = if args.with_errors { limit } else { 0 };
        let capped = AtomicBool::new(false);
        let cache = &self.ctx.nova_tenancy;
        let gathered = fanout::gather(servers, &plan, |server, deadline| {
            let capped = &capped;
            async move {
                let (records, cut) = match server.kind() {
                    ServerKind::Novabackup => {
                        let nova = Nova::new(server.clone(), deadline, cache);
                        novabackup::failing_runs(&nova, since, args.include_warnings, errors_for)
                            .await?
                    }
                    ServerKind::Backrest => {
                        let (ops, _, cut) =
                            backrest::backups_since(&server, deadline, since).await?;
                        let tenant = server.entry.default_tenant();
                        let records = ops
                            .iter()
                            .map(|op| backrest::record(op, tenant, args.with_errors))
                            .filter(|r| r.status.is_failing(args.include_warnings))
                            .collect();
                        (records, cut)
                    }
                };
                capped.fetch_or(cut, Ordering::Relaxed);
                Ok::<_, ServerFailure>(records.into_iter().map(to_row).collect())
            }
        })
        .await;
        let mut rows = FanoutOutput::from_gathered(gathered, limit, Some(&newest_first));
        rows.meta.truncated |= capped.load(Ordering::Relaxed);
        Ok(Json(FailingJobs { since, rows }))
    }

    #[tool(
        description = "Backup overview per tenant (customer) and per server, across both kinds: last successful backup, succeeded/failed/warning run counts in the window, and the agents (NovaBACKUP) or plans (Backrest) with no success for stale_days, oldest first. Servers that did not answer are in _meta.failures: their customers are missing from the totals.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_backup_overview(
        &self,
        Parameters(args): Parameters<OverviewArgs>,
    ) -> Result<Json<BackupOverview>, ToolError> {
        let now = Utc::now();
        let since = window::start(args.window.as_deref(), args.since.as_deref(), now)
            .map_err(window_error)?;
        let stale_days = args.stale_days.unwrap_or(7);
        if !(1..=365).contains(&stale_days) {
            return Err(ToolError::invalid("stale_days", "use 1 to 365"));
        }
        let stale_before = now - Duration::days(i64::from(stale_days));
        let history_start = since.min(stale_before);
        let tenants = self.tenant_filter(args.tenant_id.as_ref()).await?;
        let servers = self.select_for_federation(&args.server_id, tenants.as_ref(), &args.kind)?;
        let plan = self.plan(None);
        let capped = AtomicBool::new(false);
        let cache = &self.ctx.nova_tenancy;
        let (answers, gathered) = fanout::gather_each(servers, &plan, |server, deadline| {
            let capped = &capped;
            async move {
                let (units, cut) = match server.kind() {
                    ServerKind::Novabackup => {
                        let nova = Nova::new(server.clone(), deadline, cache);
                        novabackup::agent_activity(&nova, since, history_start).await?
                    }
                    ServerKind::Backrest => {
                        let (ops, plans, cut) =
                            backrest::backups_since(&server, deadline, history_start).await?;
                        let tenant = server.entry.default_tenant();
                        (backrest::plan_activity(&plans, &ops, since, tenant), cut)
                    }
                };
                capped.fetch_or(cut, Ordering::Relaxed);
                Ok::<_, ServerFailure>(ServerActivity {
                    server_id: server.id().to_owned(),
                    kind: server.kind(),
                    units,
                })
            }
        })
        .await;
        let (_, mut meta) = gathered.finish(fanout::MAX_LIMIT, None);
        let mut reports: Vec<ServerActivity> = answers.into_iter().map(|(_, r)| r).collect();
        if let Some(tenants) = &tenants {
            for report in &mut reports {
                report
                    .units
                    .retain(|u| tenants.admits(u.tenant_id.as_deref()));
            }
        }
        let mut overview = overview::summarize(&reports, stale_before);
        let limit = fanout::effective_limit(args.limit);
        meta.truncated |= overview.stale.len() > limit || capped.load(Ordering::Relaxed);
        overview.stale.truncate(limit);
        Ok(Json(BackupOverview {
            since,
            stale_days,
            overview,
            meta,
        }))
    }
}

impl Gateway {
    /// The servers a federated question covers (both kinds unless `kind` narrows it).
    fn select_for_federation(
        &self,
        server_id: &Option<Id>,
        tenants: Option<&TenantIds>,
        kind: &Option<String>,
    ) -> Result<Vec<std::sync::Arc<Server>>, ToolError> {
        let kind = kind
            .as_deref()
            .map(str::parse::<ServerKind>)
            .transpose()
            .map_err(|e| ToolError::invalid("kind", e))?;
        Ok(self.ctx.fleet.select(&Selection {
            kind,
            server_id: server_id.as_deref(),
            tenants,
        })?)
    }
}

/// A window argument that is not in the shared vocabulary, named as the caller gave it.
pub(super) fn window_error(e: window::WindowError) -> ToolError {
    ToolError::invalid(e.param(), e.to_string())
}

fn to_row(record: RunRecord) -> Row {
    let tenant = record.tenant_id.clone();
    Row::from_value(tenant, serde_json::to_value(record).unwrap_or(Value::Null))
}
