//! Job history: runs, a counted summary over a window, and one run's log.

use crate::mcp::ids::Id;
use chrono::Utc;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{ODataArgs, Scope};
use crate::fanout::Coverage;
use crate::mcp::output::FanoutOutput;
use crate::mcp::{Gateway, ToolError};
use crate::upstream::novabackup::history::{self, HistorySummary};
use crate::upstream::novabackup::resources::{self, JobKind};
use crate::upstream::novabackup::runlog::{self, Cut, LogKey, LogMode, LogReport};
use crate::window;

const MAX_TAIL: usize = 500;
const MAX_FULL: usize = 5000;

/// all (default), managed (runs with a JobId) or unmanaged (agent-defined jobs).
#[derive(Debug, Clone, Copy, Default, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunKindArg {
    #[default]
    All,
    Managed,
    Unmanaged,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct JobHistoryArgs {
    #[serde(flatten)]
    pub scope: Scope,
    #[serde(default)]
    pub kind: RunKindArg,
    #[serde(flatten)]
    pub odata: ODataArgs,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct SummaryArgs {
    /// Only this server (default: every NovaBACKUP server).
    pub server_id: Option<Id>,
    /// Only runs of this tenant's agents (its id or customer name).
    pub tenant_id: Option<Id>,
    /// Nh, Nd or Nw back from now: 24h (default), 48h, 7d, 30d.
    pub window: Option<String>,
    /// Start of the window (instead of window): RFC 3339, or Nh/Nd/Nw.
    pub since: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct RunLogArgs {
    pub server_id: Id,
    /// A run_id from list_job_history, or a managed JobId (then that job's newest run).
    pub job_id: Option<Id>,
    /// The run's own key (run_id of list_job_history).
    pub run_id: Option<Id>,
    /// summary (default), warnings, errors, tail or full.
    #[serde(default)]
    pub mode: LogMode,
    /// Lines for mode=tail (default 20, max 500).
    #[schemars(range(max = 500))]
    pub tail_count: Option<u32>,
    /// Lines for mode=full, warnings and errors (default 1000, max 5000).
    #[schemars(range(max = 5000))]
    pub full_max: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct SummaryOutput {
    #[serde(flatten)]
    pub summary: HistorySummary,
    #[serde(rename = "_meta")]
    pub meta: Coverage,
}

#[tool_router(router = nova_history_router, vis = "pub(super)")]
impl Gateway {
    #[tool(
        description = "Job runs (history) of NovaBACKUP servers, newest first. Each run has run_id (its own key as a string, for get_job_run_log), StatusLabel (pending, success, warning, cancelled, failed, running, queued; unknown codes raw), server_id and tenant_id through its agent. kind: all, managed, unmanaged. No implicit time window: filter e.g. `StartDateTime gt 2026-11-20T00:00:00Z and Status ne 1`. $top/$skip apply per server; limit caps the total.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_job_history(
        &self,
        Parameters(args): Parameters<JobHistoryArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let query = &args.odata.query()?;
        let kind = match args.kind {
            RunKindArg::All => None,
            RunKindArg::Managed => Some(JobKind::Managed),
            RunKindArg::Unmanaged => Some(JobKind::Unmanaged),
        };
        let caller_order = query
            .orderby
            .as_deref()
            .is_some_and(|o| !o.trim().is_empty());
        let order = (!caller_order).then_some(history::newest_first as super::RowCmp);
        let out = self
            .nova_rows(&args.scope, order, |nova, want| async move {
                resources::job_history(&nova, query.clone(), kind, want).await
            })
            .await?;
        Ok(Json(out))
    }

    #[tool(
        description = "Counts every NovaBACKUP job run that started in the window (window: Nh, Nd or Nw such as 24h, 48h, 7d; or since: an RFC 3339 time) by status, per server and per tenant, with the number of agents that had a failure. Pages through all runs (no sampling); truncated is set only past the documented scan cap.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_job_history_summary(
        &self,
        Parameters(args): Parameters<SummaryArgs>,
    ) -> Result<Json<SummaryOutput>, ToolError> {
        let since = window::start(args.window.as_deref(), args.since.as_deref(), Utc::now())
            .map_err(crate::mcp::federated::window_error)?;
        let asked = match (&args.window, &args.since) {
            (_, Some(_)) => None,
            (w, None) => Some(
                w.as_deref()
                    .unwrap_or(window::DEFAULT)
                    .trim()
                    .to_ascii_lowercase(),
            ),
        };
        let tenants = self.tenant_filter(args.tenant_id.as_ref()).await?;
        let tenant = tenants.as_ref();
        let (parts, meta) = self
            .nova_each(args.server_id.as_deref(), |nova| async move {
                history::count_runs(&nova, since, tenant).await
            })
            .await?;
        let parts = parts.into_iter().map(|(_, counts)| counts).collect();
        let summary = HistorySummary::merge(asked, since, parts);
        Ok(Json(SummaryOutput { summary, meta }))
    }

    #[tool(
        description = "The engine log of one NovaBACKUP job run. Name it with run_id (from list_job_history) or job_id (tried as a run key first, then as a JobId meaning that job's newest run). mode: summary (counts by type, error and warning lines, last informational lines), warnings, errors, tail (tail_count lines) or full (up to full_max). A run without a log (pending, running, log backend down) answers available=false with the reason.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_job_run_log(
        &self,
        Parameters(args): Parameters<RunLogArgs>,
    ) -> Result<Json<LogReport>, ToolError> {
        let key = match (&args.run_id, &args.job_id) {
            (Some(run), _) => LogKey::Run(run.number("run_id")?),
            (None, Some(job)) => LogKey::RunOrJob(job.number("job_id")?),
            (None, None) => {
                return Err(ToolError::invalid(
                    "run_id",
                    "give run_id (from list_job_history) or job_id",
                ));
            }
        };
        let cut = Cut {
            tail_count: args.tail_count.map_or(20, |t| (t as usize).min(MAX_TAIL)),
            full_max: args
                .full_max
                .map_or(1000, |f| (f as usize).clamp(1, MAX_FULL)),
        };
        let mode = args.mode;
        let report = self
            .nova_one(&args.server_id, |nova| async move {
                let resolved = runlog::resolve(&nova, key).await?;
                runlog::read(&nova, resolved, mode, cut).await
            })
            .await?;
        Ok(Json(report))
    }
}
