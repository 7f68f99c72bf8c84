//! NovaBACKUP side of the federated answers: failing runs and per-agent activity from job
//! history, paged to the end of the window (up to the client's documented scan cap).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::overview::UnitActivity;
use super::{RunRecord, RunStatus};
use crate::store::ServerKind;
use crate::upstream::error::human_bytes;
use crate::upstream::novabackup::client::Nova;
use crate::upstream::novabackup::error::NovaError;
use crate::upstream::novabackup::odata::{Query, STABLE_RUN_ORDER, datetime_literal};
use crate::upstream::novabackup::present::status_label;
use crate::upstream::novabackup::runlog::{self, Cut, LogMode, Resolved};
use crate::upstream::novabackup::tenancy::{int, text};

/// Error lines attached to a run with `with_errors`.
pub const ERROR_LINES: usize = 3;
/// Log reads stop when less than this is left before the call's deadline.
const LOG_MARGIN: std::time::Duration = std::time::Duration::from_secs(2);
/// Runs per server whose log is read for `with_errors` (one request each, made in turn): the
/// newest ones; older rows keep `errors` absent so the call stays inside its deadline.
pub const MAX_LOGS_PER_SERVER: usize = 25;
/// Runs per server whose log is read even without `with_errors`, so the newest failures say why
/// they failed: a history row has no message, and "what failed overnight" without the reason
/// sends the technician to a second call for every row.
pub const REASONS_PER_SERVER: usize = 10;

/// Runs that failed (and warned, when asked) since `since`, newest first; `true` when the scan
/// stopped at its cap. The newest [`REASONS_PER_SERVER`] runs (or `with_errors`, if more) have
/// their log read: the first error line becomes the end of their message, and the newest
/// `with_errors` runs also get their first error lines as `errors`.
pub async fn failing_runs(
    nova: &Nova<'_>,
    since: DateTime<Utc>,
    include_warnings: bool,
    with_errors: usize,
) -> Result<(Vec<RunRecord>, bool), NovaError> {
    let tenancy = nova.tenancy().await?;
    let statuses = if include_warnings {
        "(Status eq 4 or Status eq 2)"
    } else {
        "Status eq 4"
    };
    let query = Query {
        filter: Some(format!(
            "StartDateTime ge {} and {statuses}",
            datetime_literal(since)
        )),
        expand: Some("Agent($select=AgentId,FriendlyName,MachineName)".into()),
        orderby: Some(STABLE_RUN_ORDER.into()),
        ..Query::default()
    };
    let mut runs = Vec::new();
    let end = nova
        .scan("JobHistories", &query, |row| {
            let tenant = int(&row, "AgentId").and_then(|a| tenancy.of_agent(a));
            runs.push(record(&row, tenant));
            true
        })
        .await?;
    runs.sort_by_key(|r| std::cmp::Reverse(r.started_at));
    let logs_to_read = with_errors.clamp(REASONS_PER_SERVER, MAX_LOGS_PER_SERVER);
    for (i, run) in runs.iter_mut().take(logs_to_read).enumerate() {
        // Keep a margin for the answer itself; rows past it simply carry no error lines.
        if nova
            .deadline
            .saturating_duration_since(std::time::Instant::now())
            < LOG_MARGIN
        {
            break;
        }
        match error_lines(nova, run).await {
            Ok(lines) => {
                if let Some(reason) = lines.first() {
                    run.message = with_reason(&run.message, reason);
                }
                if i < with_errors {
                    run.errors = Some(lines);
                }
            }
            Err(e) => tracing::debug!(server = nova.server.id(), "run log not read: {e}"),
        }
    }
    Ok((runs, end.capped))
}

fn record(row: &Map<String, Value>, tenant_id: Option<String>) -> RunRecord {
    let code = int(row, "Status");
    let started_at = time(row, "StartDateTime");
    let ended_at = time(row, "EndDateTime");
    let elapsed = int(row, "ElapsedTimeInSeconds").filter(|s| *s > 0);
    let agent = row.get("Agent").and_then(Value::as_object);
    let machine = agent
        .and_then(|a| text(a, "FriendlyName").or_else(|| text(a, "MachineName")))
        .or_else(|| int(row, "AgentId").map(|id| format!("agent {id}")))
        .unwrap_or_default();
    RunRecord {
        tenant_id,
        server_kind: ServerKind::Novabackup,
        job: text(row, "JobName").unwrap_or_default(),
        job_id: int(row, "JobId").map(|j| j.to_string()),
        machine,
        machine_id: int(row, "AgentId").map(|a| a.to_string()),
        status: status_of(code),
        started_at,
        ended_at,
        duration_s: elapsed
            .map(|s| s as f64)
            .or_else(|| Some((ended_at? - started_at?).num_milliseconds() as f64 / 1000.0)),
        message: run_message(row, code),
        run_id: int(row, "JobLogId").map(|r| r.to_string()),
        operation_id: None,
        logref: None,
        errors: None,
    }
}

/// What a history row itself says about a run. The API's rows carry no message, only the status
/// and the progress counters, so a failed or warning run is described by how far it got (an
/// immediate failure and one that died halfway need different fixes); the reason is in the run
/// log, which `with_errors` or `get_job_run_log` reads.
fn run_message(row: &Map<String, Value>, code: Option<i64>) -> String {
    let Some(code) = code else {
        return "no status".to_owned();
    };
    let count = |key: &str| int(row, key).filter(|n| *n > 0).unwrap_or(0);
    let (size, done) = (count("SizeInBytes"), count("BytesFinished"));
    let (files, files_done) = (count("FilesProcessed"), count("FilesFinished"));
    let bytes = |n: i64| human_bytes(u64::try_from(n).unwrap_or(0));
    let what = match code {
        4 if count("BytesProcessed") == 0 => "failed before any data was backed up".to_owned(),
        4 => format!(
            "failed after {} of {} was backed up",
            bytes(done),
            bytes(size)
        ),
        2 if files > files_done => format!(
            "completed with warnings: {} of {files} files not backed up",
            files - files_done
        ),
        2 => format!("completed with warnings ({} backed up)", bytes(done)),
        _ => return status_label(code),
    };
    format!("{what}{REASON_IN_LOG}")
}

/// How a message ends while its run's log has not been read.
const REASON_IN_LOG: &str = "; the reason is in the run log (with_errors, get_job_run_log)";

/// The message with the log's first error line in place of the pointer to the log.
fn with_reason(message: &str, reason: &str) -> String {
    let progress = message.strip_suffix(REASON_IN_LOG).unwrap_or(message);
    format!("{progress}: {reason}")
}

/// The first error lines of a run's log (of a run with warnings, its warning lines: they say
/// what was skipped); none when the log is not available.
async fn error_lines(nova: &Nova<'_>, run: &RunRecord) -> Result<Vec<String>, NovaError> {
    let Some(run_id) = run.run_id.as_deref().and_then(|r| r.parse().ok()) else {
        return Ok(Vec::new());
    };
    let resolved = Resolved {
        run_id,
        resolved_from: "run_id".into(),
        run: None,
        tenant_id: run.tenant_id.clone(),
    };
    let cut = Cut {
        tail_count: ERROR_LINES,
        full_max: ERROR_LINES,
    };
    let mode = match run.status {
        RunStatus::Warning => LogMode::Warnings,
        _ => LogMode::Errors,
    };
    let report = runlog::read(nova, resolved, mode, cut).await?;
    Ok(report
        .lines
        .iter()
        .filter_map(|l| l.get("Message").and_then(Value::as_str))
        .take(ERROR_LINES)
        .map(str::to_owned)
        .collect())
}

/// Every agent with its last success and its run counts inside the window. Agents seed their
/// last success from `LastBackupDate` when that backup succeeded, so an agent idle for longer
/// than the scanned history still shows its real last success.
pub async fn agent_activity(
    nova: &Nova<'_>,
    window_start: DateTime<Utc>,
    history_start: DateTime<Utc>,
) -> Result<(Vec<UnitActivity>, bool), NovaError> {
    let tenancy = nova.tenancy().await?;
    let mut agents: HashMap<i64, UnitActivity> = HashMap::new();
    let mut order = Vec::new();
    let agent_query = Query {
        select: Some(
            "AgentId,FriendlyName,MachineName,GroupId,LastBackupDate,LastBackupStatus".into(),
        ),
        orderby: Some("AgentId".into()),
        ..Query::default()
    };
    let agents_end = nova
        .scan("Agents", &agent_query, |row| {
            if let Some(id) = int(&row, "AgentId") {
                let last_success = (int(&row, "LastBackupStatus") == Some(1))
                    .then(|| time(&row, "LastBackupDate"))
                    .flatten();
                order.push(id);
                let name = text(&row, "FriendlyName")
                    .or_else(|| text(&row, "MachineName"))
                    .unwrap_or_else(|| format!("agent {id}"));
                let unit = UnitActivity::new(tenancy.of_agent_row(&row), name, last_success);
                agents.insert(id, unit);
            }
            true
        })
        .await?;
    let runs_query = Query {
        filter: Some(format!(
            "StartDateTime ge {}",
            datetime_literal(history_start)
        )),
        select: Some("JobLogId,AgentId,Status,StartDateTime".into()),
        orderby: Some(STABLE_RUN_ORDER.into()),
        ..Query::default()
    };
    let runs_end = nova
        .scan("JobHistories", &runs_query, |row| {
            let (Some(agent), Some(started)) = (int(&row, "AgentId"), time(&row, "StartDateTime"))
            else {
                return true;
            };
            let Some(unit) = agents.get_mut(&agent) else {
                return true;
            };
            unit.record(status_of(int(&row, "Status")), started, window_start);
            true
        })
        .await?;
    let units = order.iter().filter_map(|id| agents.remove(id)).collect();
    Ok((units, agents_end.capped || runs_end.capped))
}

fn status_of(code: Option<i64>) -> RunStatus {
    match code {
        Some(1) => RunStatus::Success,
        Some(2) => RunStatus::Warning,
        Some(3) => RunStatus::Cancelled,
        Some(4) => RunStatus::Failed,
        Some(5) => RunStatus::Running,
        Some(0 | 6) => RunStatus::Pending,
        _ => RunStatus::Unknown,
    }
}

fn time(row: &Map<String, Value>, key: &str) -> Option<DateTime<Utc>> {
    row.get(key)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn messages_say_how_far_a_run_got() {
        let immediate = row(serde_json::json!({"Status": 4, "BytesProcessed": 0}));
        assert!(run_message(&immediate, Some(4)).starts_with("failed before any data"));
        let halfway = row(serde_json::json!({
            "Status": 4, "SizeInBytes": 4_294_967_296_i64, "BytesProcessed": 4_294_967_296_i64,
            "BytesFinished": 1_073_741_824
        }));
        assert!(run_message(&halfway, Some(4)).starts_with("failed after 1.0 GiB of 4.0 GiB"));
        let skipped =
            row(serde_json::json!({"Status": 2, "FilesProcessed": 120, "FilesFinished": 118}));
        assert!(
            run_message(&skipped, Some(2))
                .starts_with("completed with warnings: 2 of 120 files not backed up")
        );
        assert_eq!(
            run_message(&row(serde_json::json!({})), Some(3)),
            "cancelled"
        );
        assert_eq!(run_message(&row(serde_json::json!({})), None), "no status");
    }

    #[test]
    fn a_read_log_replaces_the_pointer_with_the_reason() {
        let immediate = run_message(&row(serde_json::json!({"BytesProcessed": 0})), Some(4));
        assert_eq!(
            with_reason(&immediate, "VSS snapshot creation failed (0x8004230F)"),
            "failed before any data was backed up: VSS snapshot creation failed (0x8004230F)"
        );
        assert_eq!(
            with_reason("cancelled", "stopped by user"),
            "cancelled: stopped by user"
        );
    }
}
