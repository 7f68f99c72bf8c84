//! The per-server reads behind the Backrest read tools: each returns the rows of one server
//! (fan-out, tagging and coverage are `fanout`'s job). Filters that Backrest cannot apply itself
//! (status, time, type) are applied here.

use std::time::Instant;

use serde_json::{Map, Value, json};

use super::client::{BackrestClient, Config};
use super::error::BackrestError;
use super::rows;
use super::scrub;
use super::wire::{OpStatus, Operation};
use crate::fanout::Row;
use crate::fleet::Server;

/// Operations scanned per server when filters are applied here (Backrest cannot filter them).
pub const MAX_SCAN: usize = 2000;
/// Largest log tail a call may ask for.
pub const MAX_LOG_BYTES: usize = 256 * 1024;
pub const DEFAULT_LOG_BYTES: usize = 32 * 1024;

fn row(server: &Server, fields: Map<String, Value>) -> Row {
    Row::new(Some(server.entry.default_tenant().to_owned()), fields)
}

/// The redacted config of one server.
pub async fn config(server: &Server, deadline: Instant) -> Result<Vec<Row>, BackrestError> {
    let Config { redacted, .. } = BackrestClient::new(server, deadline).config().await?;
    let mut fields = Map::new();
    fields.insert("config".into(), redacted);
    Ok(vec![row(server, fields)])
}

/// Which snapshots to list.
#[derive(Debug, Clone, Default)]
pub struct SnapshotFilter {
    pub repo_id: Option<String>,
    pub plan_id: Option<String>,
}

/// Snapshots of every repo (or the named one, or the plan's), newest first. A repo or plan this
/// server does not have means "no rows here", not a failure.
pub async fn snapshots(
    server: &Server,
    deadline: Instant,
    filter: &SnapshotFilter,
) -> Result<Vec<Row>, BackrestError> {
    let client = BackrestClient::new(server, deadline);
    let config = client.config().await?.view;
    let plan = match &filter.plan_id {
        Some(id) => match config.plan(id) {
            Some(p) => Some(p.clone()),
            None => return Ok(Vec::new()),
        },
        None => None,
    };
    let repos: Vec<String> = match (&filter.repo_id, &plan) {
        (Some(r), _) if config.repo(r).is_none() => return Ok(Vec::new()),
        (Some(r), _) => vec![r.clone()],
        (None, Some(p)) => vec![p.repo.clone()],
        (None, None) => config.repos.iter().map(|r| r.id.clone()).collect(),
    };
    let mut out = Vec::new();
    for repo in repos {
        let list = client
            .snapshots(&repo, filter.plan_id.as_deref())
            .await
            .map_err(|e| in_repo(&repo, e))?;
        out.extend(list.iter().map(|s| rows::snapshot(&repo, s)));
    }
    out.sort_by_key(|r| std::cmp::Reverse(r["unix_time_ms"].as_i64().unwrap_or(0)));
    Ok(out.into_iter().map(|f| row(server, f)).collect())
}

fn in_repo(repo: &str, e: BackrestError) -> BackrestError {
    match e {
        BackrestError::Rpc {
            method,
            status,
            code,
            message,
        } => BackrestError::Rpc {
            method,
            status,
            code,
            message: format!("repo {repo}: {message}"),
        },
        other => other,
    }
}

/// A page of one directory of a snapshot.
#[derive(Debug, Clone)]
pub struct FilesPage {
    pub path: String,
    pub directory: Option<Value>,
    pub entries: Vec<Value>,
    pub total: usize,
    pub offset: usize,
    pub next_offset: Option<usize>,
}

/// One directory level, paginated (Backrest returns it whole).
pub async fn files(
    server: &Server,
    deadline: Instant,
    repo_id: &str,
    snapshot_id: &str,
    path: &str,
    offset: usize,
    limit: usize,
) -> Result<FilesPage, BackrestError> {
    let client = BackrestClient::new(server, deadline);
    let config = client.config().await?.view;
    let repo = config.repo(repo_id).ok_or_else(|| {
        BackrestError::NotFound(format!(
            "repo {repo_id:?} is not on server {}; its repos: {}",
            server.id(),
            config
                .repos
                .iter()
                .map(|r| r.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))
    })?;
    let listing = client.snapshot_files(repo, snapshot_id, path).await?;
    let dir = path.trim_end_matches('/');
    let (directory, children): (Vec<_>, Vec<_>) = listing
        .entries
        .iter()
        .partition(|e| !dir.is_empty() && e.path.trim_end_matches('/') == dir);
    let total = children.len();
    let entries: Vec<Value> = children
        .iter()
        .skip(offset)
        .take(limit)
        .map(|e| rows::ls_entry(e))
        .collect();
    let next = offset + entries.len();
    Ok(FilesPage {
        path: if listing.path.is_empty() {
            path.to_owned()
        } else {
            listing.path
        },
        directory: directory.first().map(|e| rows::ls_entry(e)),
        entries,
        total,
        offset,
        next_offset: (next < total).then_some(next),
    })
}

/// The dashboard of one server, without host paths.
pub async fn summary(server: &Server, deadline: Instant) -> Result<Vec<Row>, BackrestError> {
    let d = BackrestClient::new(server, deadline).dashboard().await?;
    let mut fields = Map::new();
    fields.insert(
        "repos".into(),
        json!(
            d.repo_summaries
                .iter()
                .map(rows::summary)
                .collect::<Vec<_>>()
        ),
    );
    fields.insert(
        "plans".into(),
        json!(
            d.plan_summaries
                .iter()
                .map(rows::summary)
                .collect::<Vec<_>>()
        ),
    );
    Ok(vec![row(server, fields)])
}

/// Which operations to list.
#[derive(Debug, Clone, Default)]
pub struct OperationFilter {
    pub repo_id: Option<String>,
    pub plan_id: Option<String>,
    pub statuses: Vec<OpStatus>,
    pub since_ms: Option<i64>,
    pub kind: Option<String>,
    pub limit: usize,
}

impl OperationFilter {
    fn filters_here(&self) -> bool {
        !self.statuses.is_empty() || self.since_ms.is_some() || self.kind.is_some()
    }

    fn keeps(&self, op: &Operation) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&op.status))
            && self
                .since_ms
                .is_none_or(|s| op.unix_time_start_ms.get() >= s)
            && self.kind.as_deref().is_none_or(|k| op.kind() == k)
    }
}

/// Operations of one server, newest first.
pub async fn operations(
    server: &Server,
    deadline: Instant,
    filter: &OperationFilter,
) -> Result<Vec<Row>, BackrestError> {
    let client = BackrestClient::new(server, deadline);
    let mut selector = Map::new();
    if let Some(repo_id) = &filter.repo_id {
        let config = client.config().await?.view;
        match config.repo(repo_id) {
            Some(repo) => selector.insert("repoGuid".into(), json!(repo.guid)),
            None => return Ok(Vec::new()),
        };
    }
    if let Some(plan) = &filter.plan_id {
        selector.insert("planId".into(), json!(plan));
    }
    let last_n = if filter.filters_here() {
        MAX_SCAN
    } else {
        filter.limit.max(1)
    };
    let mut ops = client.operations(Value::Object(selector), last_n).await?;
    ops.retain(|o| filter.keeps(o));
    ops.sort_by_key(|o| std::cmp::Reverse((o.unix_time_start_ms, o.id)));
    Ok(ops
        .iter()
        .map(|o| row(server, rows::operation(o)))
        .collect())
}

/// Parses a comma-separated status list (`error,warning`, `STATUS_SUCCESS`, `in_progress`).
pub fn parse_statuses(text: &str) -> Result<Vec<OpStatus>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| match OpStatus::from_name(s) {
            OpStatus::Unknown if !s.eq_ignore_ascii_case("unknown") => Err(format!(
                "unknown status {s:?}; use pending, in_progress, success, warning, error, user_cancelled or system_cancelled"
            )),
            status => Ok(status),
        })
        .collect()
}

/// Which log to read.
#[derive(Debug, Clone)]
pub enum LogSource {
    Ref(String),
    /// An operation's command output when it has one, else its task log.
    Operation(i64),
}

/// The tail of one log, as a row.
pub async fn log(
    server: &Server,
    deadline: Instant,
    source: &LogSource,
    max_bytes: usize,
) -> Result<Map<String, Value>, BackrestError> {
    let client = BackrestClient::new(server, deadline);
    let (logref, operation_id) = match source {
        LogSource::Ref(r) => (r.clone(), None),
        LogSource::Operation(id) => {
            let op = client.operation(*id).await?.ok_or_else(|| {
                BackrestError::NotFound(format!("operation {id} is not on server {}", server.id()))
            })?;
            let logref = op.output_logref().unwrap_or(&op.logref).to_owned();
            if logref.is_empty() {
                return Err(BackrestError::NotFound(format!(
                    "operation {id} has no log"
                )));
            }
            (logref, Some(id.to_string()))
        }
    };
    if !is_logref(&logref) {
        return Err(BackrestError::NotFound(format!(
            "{logref:?} is not a Backrest log ref (t-<uuid> or c-<uuid>)"
        )));
    }
    let log = client.log(&logref, max_bytes).await?;
    let mut fields = Map::new();
    fields.insert("logref".into(), json!(logref));
    fields.insert("operation_id".into(), json!(operation_id));
    fields.insert("total_bytes".into(), json!(log.total_bytes));
    fields.insert("truncated".into(), json!(log.truncated));
    fields.insert("text".into(), json!(scrub::log_text(&log.text)));
    Ok(fields)
}

fn is_logref(r: &str) -> bool {
    r.len() > 2
        && r.len() <= 100
        && r.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_parse() {
        assert_eq!(
            parse_statuses("error, STATUS_WARNING").unwrap(),
            [OpStatus::Error, OpStatus::Warning]
        );
        assert!(parse_statuses("broken").is_err());
    }
}
