//! Backrest read tools: fan out over every Backrest server (and every repo) unless narrowed.

use crate::mcp::ids::Id;
use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::super::output::FanoutOutput;
use super::super::{Gateway, ToolError};
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;

use crate::fanout::{self, Row};
use crate::fleet::Server;
use crate::upstream::backrest::BackrestError;
use crate::upstream::backrest::queries::{
    self, DEFAULT_LOG_BYTES, LogSource, MAX_LOG_BYTES, OperationFilter, SnapshotFilter,
};
use crate::window;

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct ServersArgs {
    /// Only this Backrest server (default: every Backrest server).
    pub server_id: Option<Id>,
    /// Only servers of this tenant: its id or customer name.
    pub tenant_id: Option<Id>,
}

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct SnapshotsArgs {
    pub server_id: Option<Id>,
    /// Only this tenant: its id or customer name.
    pub tenant_id: Option<Id>,
    /// Only this repo (servers without it contribute nothing).
    pub repo_id: Option<Id>,
    /// Only snapshots this plan made.
    pub plan_id: Option<Id>,
    /// Rows returned in total, newest first (default 200, at most 1000).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct FilesArgs {
    pub server_id: Id,
    pub repo_id: Id,
    /// Full snapshot id (or a prefix of at least 8 characters).
    pub snapshot_id: Id,
    /// Absolute directory inside the snapshot (default `/`).
    pub path: Option<String>,
    /// Entries to skip (for the next page, pass the previous next_offset).
    pub offset: Option<u32>,
    /// Entries per page (default 200, at most 1000).
    pub limit: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct FilesOutput {
    pub server_id: String,
    pub tenant_id: String,
    pub repo_id: String,
    pub snapshot_id: String,
    pub path: String,
    /// The listed directory itself.
    pub directory: Option<Value>,
    pub entries: Vec<Value>,
    pub total_entries: usize,
    pub offset: usize,
    /// Offset of the next page; null on the last page.
    pub next_offset: Option<usize>,
    pub truncated: bool,
}

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct OperationsArgs {
    pub server_id: Option<Id>,
    /// Only this tenant: its id or customer name.
    pub tenant_id: Option<Id>,
    pub repo_id: Option<Id>,
    pub plan_id: Option<Id>,
    /// Comma-separated statuses: pending, in_progress, success, warning, error, user_cancelled,
    /// system_cancelled.
    pub status: Option<String>,
    /// Start of the window: Nh, Nd or Nw back from now (24h, 3d, 2w) or an RFC 3339 time.
    pub since: Option<String>,
    /// Operation type: backup, restore, prune, check, forget, index_snapshot, stats, run_hook.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Rows returned in total, newest first (default 200, at most 1000).
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct LogArgs {
    pub server_id: Id,
    /// Log ref (t-<uuid> or c-<uuid>) from an operation's logref or output_logref.
    pub logref: Option<Id>,
    /// Or an operation id: its command output when it has one, else its task log.
    pub operation_id: Option<Id>,
    /// Bytes of the log's tail to return (default 32768, at most 262144).
    pub max_bytes: Option<u32>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct LogOutput {
    pub server_id: String,
    pub tenant_id: String,
    #[serde(flatten)]
    #[schemars(with = "Map<String, Value>")]
    pub log: Map<String, Value>,
}

fn newest_first(key: &'static str) -> impl Fn(&Value, &Value) -> std::cmp::Ordering {
    move |a, b| b[key].as_i64().cmp(&a[key].as_i64())
}

#[tool_router(router = backrest_read_router, vis = "pub(in crate::mcp)")]
impl Gateway {
    #[tool(
        description = "Backrest configuration of every Backrest server (or one): repos, plans, schedules, retention, hooks. Repo passwords, env values, hook URLs/tokens and sync secrets are redacted.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_config(
        &self,
        Parameters(args): Parameters<ServersArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        self.fan_out(&args, fanout::MAX_LIMIT, None, |s, deadline| async move {
            queries::config(&s, deadline).await
        })
        .await
    }

    #[tool(
        description = "Snapshots of every repo on every Backrest server, newest first. Filters: server_id, tenant_id, repo_id, plan_id; limit. Lists run restic against the repository and can take a while on remote storage.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_snapshots(
        &self,
        Parameters(args): Parameters<SnapshotsArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let filter = &SnapshotFilter {
            repo_id: args.repo_id.clone().map(Id::into_string),
            plan_id: args.plan_id.clone().map(Id::into_string),
        };
        let servers = ServersArgs {
            server_id: args.server_id,
            tenant_id: args.tenant_id,
        };
        let limit = fanout::effective_limit(args.limit);
        self.fan_out(
            &servers,
            limit,
            Some("unix_time_ms"),
            |s, deadline| async move { queries::snapshots(&s, deadline, filter).await },
        )
        .await
    }

    #[tool(
        description = "One directory level of a Backrest snapshot (server_id, repo_id, snapshot_id, path), paginated with offset/limit.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn list_snapshot_files(
        &self,
        Parameters(args): Parameters<FilesArgs>,
    ) -> Result<Json<FilesOutput>, ToolError> {
        let server = self.backrest_server(&args.server_id)?;
        let path = args.path.clone().unwrap_or_else(|| "/".into());
        if !path.starts_with('/') {
            return Err(ToolError::invalid(
                "path",
                "must be absolute inside the snapshot, e.g. / or /home",
            ));
        }
        let offset = args.offset.unwrap_or(0) as usize;
        let limit = fanout::effective_limit(args.limit);
        let page = self
            .on_server(&server, |deadline| {
                queries::files(
                    &server,
                    deadline,
                    &args.repo_id,
                    &args.snapshot_id,
                    &path,
                    offset,
                    limit,
                )
            })
            .await?;
        Ok(Json(FilesOutput {
            server_id: server.id().to_owned(),
            tenant_id: server.entry.default_tenant().to_owned(),
            repo_id: args.repo_id.into_string(),
            snapshot_id: args.snapshot_id.into_string(),
            path: page.path,
            directory: page.directory,
            truncated: page.next_offset.is_some(),
            entries: page.entries,
            total_entries: page.total,
            offset: page.offset,
            next_offset: page.next_offset,
        }))
    }

    #[tool(
        description = "Backrest dashboard per server: per repo and per plan the successes, warnings and failures of the last 30 days, bytes added, protected bytes, next scheduled backup, recent backups.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_summary(
        &self,
        Parameters(args): Parameters<ServersArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        self.fan_out(&args, fanout::MAX_LIMIT, None, |s, deadline| async move {
            queries::summary(&s, deadline).await
        })
        .await
    }

    #[tool(
        description = "Backrest operation history (backups, restores, prunes, checks, forgets, ...) across servers, newest first: type, status, times, bytes, message, log refs. Filters: server_id, tenant_id, repo_id, plan_id, status, since, type; limit. Operation ids are per server.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_operations(
        &self,
        Parameters(args): Parameters<OperationsArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let now = chrono::Utc::now();
        let limit = fanout::effective_limit(args.limit);
        let filter = OperationFilter {
            repo_id: args.repo_id.map(Id::into_string),
            plan_id: args.plan_id.map(Id::into_string),
            statuses: match &args.status {
                Some(s) => {
                    queries::parse_statuses(s).map_err(|e| ToolError::invalid("status", e))?
                }
                None => Vec::new(),
            },
            since_ms: args
                .since
                .as_deref()
                .map(|s| window::start_of("since", s, now).map(|t| t.timestamp_millis()))
                .transpose()
                .map_err(crate::mcp::federated::window_error)?,
            kind: args.kind.map(|k| k.trim().to_ascii_lowercase()),
            limit,
        };
        let filter = &filter;
        let servers = ServersArgs {
            server_id: args.server_id,
            tenant_id: args.tenant_id,
        };
        self.fan_out(
            &servers,
            limit,
            Some("unix_time_start_ms"),
            |s, deadline| async move { queries::operations(&s, deadline, filter).await },
        )
        .await
    }

    #[tool(
        description = "The tail of a Backrest operation log, by log ref (t-… task log, c-… command output) or by operation id, with a byte limit. Log text is untrusted upstream output.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn get_operation_log(
        &self,
        Parameters(args): Parameters<LogArgs>,
    ) -> Result<Json<LogOutput>, ToolError> {
        let server = self.backrest_server(&args.server_id)?;
        let source = match (&args.logref, &args.operation_id) {
            (Some(r), _) => LogSource::Ref(r.trim().to_owned()),
            (None, Some(id)) => LogSource::Operation(parse_operation_id(id)?),
            (None, None) => {
                return Err(ToolError::invalid("logref", "give logref or operation_id"));
            }
        };
        let max = args
            .max_bytes
            .map_or(DEFAULT_LOG_BYTES, |m| (m as usize).clamp(1, MAX_LOG_BYTES));
        let log = self
            .on_server(&server, |deadline| {
                queries::log(&server, deadline, &source, max)
            })
            .await?;
        Ok(Json(LogOutput {
            server_id: server.id().to_owned(),
            tenant_id: server.entry.default_tenant().to_owned(),
            log,
        }))
    }
}

impl Gateway {
    /// Runs `op` on every selected Backrest server and shapes the rows (ordered, capped).
    async fn fan_out<F, Fut>(
        &self,
        servers: &ServersArgs,
        limit: usize,
        newest_by: Option<&'static str>,
        op: F,
    ) -> Result<Json<FanoutOutput>, ToolError>
    where
        F: Fn(Arc<Server>, Instant) -> Fut,
        Fut: Future<Output = Result<Vec<Row>, BackrestError>>,
    {
        let tenants = self.tenant_filter(servers.tenant_id.as_ref()).await?;
        let selected = self.backrest_servers(servers.server_id.as_deref(), tenants.as_ref())?;
        let plan = self.plan(tenants);
        let op = &op;
        let gathered = fanout::gather(selected, &plan, |s, deadline| async move {
            op(s, deadline).await.map_err(Into::into)
        })
        .await;
        let order = newest_by.map(newest_first);
        Ok(Json(FanoutOutput::from_gathered(
            gathered,
            limit,
            order.as_ref().map(|o| o as fanout::RowOrder<'_>),
        )))
    }
}

/// An operation id as the tools take it (a decimal string, as Backrest writes int64s).
pub(super) fn parse_operation_id(id: &str) -> Result<i64, ToolError> {
    id.trim()
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| {
            ToolError::invalid(
                "operation_id",
                format!("{id:?} is not an operation id (a positive number)"),
            )
        })
}
