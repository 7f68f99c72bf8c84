//! One run's engine log (`JobHistories({key})/Log`), found by run id or job id and cut down
//! to what the question needs (summary, warnings, errors, tail or full).
//!
//! The key is resolved as docs/upstream/novabackup.md §7.10 asks: a `run_id` is the run's `JobLogId`; a `job_id` is
//! tried as a run key first and then as a job id meaning that job's newest run. A 404, 502 or
//! 503 from the log route means "log not available" (pending or running run, log backend
//! down), reported as such rather than as a failure.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::Nova;
use super::error::NovaError;
use super::odata::{Query, key};
use super::present;
use super::tenancy::{int, text};

/// Informational lines kept at the end of a summary.
const SUMMARY_INFO_TAIL: usize = 5;
/// Error or warning lines listed in a summary, at most.
const SUMMARY_PROBLEMS: usize = 200;

/// How much of the log to return.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LogMode {
    #[default]
    Summary,
    Warnings,
    Errors,
    Tail,
    Full,
}

/// What the caller named.
#[derive(Debug, Clone, Copy)]
pub enum LogKey {
    /// A run's own key (`run_id`).
    Run(i64),
    /// `job_id`: a run key first, else a job id (its newest run).
    RunOrJob(i64),
}

/// The run whose log is read.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Resolved {
    /// The key sent to the log route (a string, like every id the gateway writes).
    #[serde(serialize_with = "super::present::id_text")]
    #[schemars(with = "String")]
    pub run_id: i64,
    /// How the key was found.
    pub resolved_from: String,
    /// The run's history row (status labelled), when the server lists it.
    pub run: Option<Value>,
    pub tenant_id: Option<String>,
}

/// The log, cut to the mode.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LogReport {
    pub server_id: String,
    #[serde(flatten)]
    pub resolved: Resolved,
    pub mode: LogMode,
    /// False when the server has no log for this run (yet); `reason` says why.
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub script_file_path: Option<String>,
    pub total_messages: usize,
    /// Messages by class: error (incl. critical/fatal), warning, information.
    pub counts: BTreeMap<String, u64>,
    /// The lines of the mode (summary: errors and warnings).
    pub lines: Vec<Value>,
    /// Summary only: the last informational lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_information: Option<Vec<Value>>,
    /// True when `lines` was cut (tail_count, full_max or the summary cap).
    pub truncated: bool,
}

impl LogReport {
    /// An empty report (not available until a log is read).
    pub fn new(server_id: &str, resolved: Resolved, mode: LogMode) -> Self {
        LogReport {
            server_id: server_id.to_owned(),
            resolved,
            mode,
            available: false,
            reason: None,
            script_file_path: None,
            total_messages: 0,
            counts: BTreeMap::new(),
            lines: Vec::new(),
            last_information: None,
            truncated: false,
        }
    }
}

/// Finds the run to read.
pub async fn resolve(nova: &Nova<'_>, wanted: LogKey) -> Result<Resolved, NovaError> {
    let tenancy = nova.tenancy().await?;
    let (id, by_run) = match wanted {
        LogKey::Run(id) | LogKey::RunOrJob(id) => {
            (id, find_run(nova, &format!("JobLogId eq {id}")).await?)
        }
    };
    let (row, run_id, resolved_from) = match (wanted, by_run) {
        (_, Some(row)) => {
            let from = match wanted {
                LogKey::Run(_) => "run_id",
                LogKey::RunOrJob(_) => "job_id matched a run key (JobLogId)",
            };
            (Some(row), id, from)
        }
        (LogKey::Run(_), None) => (None, id, "run_id (not listed in the job history)"),
        (LogKey::RunOrJob(_), None) => {
            let newest = find_run(nova, &format!("JobId eq {id}")).await?.ok_or_else(|| {
                NovaError::not_found(format!(
                    "a job run (JobLogId) or managed job (JobId) with id {id}; list_job_history shows run_id values"
                ))
            })?;
            let key = int(&newest, "JobLogId").unwrap_or(id);
            (
                Some(newest),
                key,
                "job_id matched a job (JobId): its newest run",
            )
        }
    };
    let row = row.map(|r| present::run(r, &tenancy));
    Ok(Resolved {
        run_id,
        resolved_from: resolved_from.to_owned(),
        tenant_id: row.as_ref().and_then(|r| r.tenant_id.clone()),
        run: row.map(|r| Value::Object(r.fields)),
    })
}

async fn find_run(nova: &Nova<'_>, filter: &str) -> Result<Option<Map<String, Value>>, NovaError> {
    let query = Query {
        filter: Some(filter.to_owned()),
        orderby: Some("StartDateTime desc".into()),
        top: Some(1),
        ..Query::default()
    };
    let mut found = None;
    nova.scan("JobHistories", &query, |row| {
        found = Some(row);
        false
    })
    .await?;
    Ok(found)
}

/// Limits of the tail and full modes.
#[derive(Debug, Clone, Copy)]
pub struct Cut {
    pub tail_count: usize,
    pub full_max: usize,
}

/// Reads the log of a resolved run and cuts it to `mode`.
pub async fn read(
    nova: &Nova<'_>,
    resolved: Resolved,
    mode: LogMode,
    cut: Cut,
) -> Result<LogReport, NovaError> {
    let path = format!("/api/{}/Log", key("JobHistories", resolved.run_id));
    let reply = nova.fetch_reply(&path).await?;
    let mut report = LogReport::new(nova.server.id(), resolved, mode);
    match reply.status {
        200..=299 => {}
        404 | 502 | 503 => {
            report.reason = Some(format!(
                "log not available (HTTP {}: {}). A pending or running run has no log yet; 502/503 mean the server's log backend is down, so try again later",
                reply.status,
                reply.error_detail()
            ));
            return Ok(report);
        }
        400 => {
            return Err(NovaError::Rejected {
                status: 400,
                detail: reply.error_detail(),
            });
        }
        _ => return Err(reply.into_status_error().into()),
    }
    let body: Value = serde_json::from_slice(&reply.body)
        .map_err(|e| NovaError::bad_response(format!("the run log could not be read ({e})")))?;
    let Value::Object(log) = body else {
        return Err(NovaError::bad_response("the run log is not a JSON object"));
    };
    report.available = true;
    report.script_file_path = text(&log, "ScriptFilePath");
    let messages: Vec<Value> = match log.get("Messages") {
        Some(Value::Array(m)) => m.clone(),
        _ => Vec::new(),
    };
    apply_mode(&mut report, messages, cut);
    Ok(report)
}

/// error, warning or information, from `Type` (case-insensitive substring).
pub fn class(message: &Value) -> &'static str {
    let kind = message
        .get("Type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_ascii_lowercase();
    if ["error", "critical", "fatal"]
        .iter()
        .any(|k| kind.contains(k))
    {
        "error"
    } else if kind.contains("warn") {
        "warning"
    } else {
        "information"
    }
}

fn apply_mode(report: &mut LogReport, messages: Vec<Value>, cut: Cut) {
    report.total_messages = messages.len();
    for m in &messages {
        *report.counts.entry(class(m).to_owned()).or_default() += 1;
    }
    let keep = |wanted: &[&str]| -> Vec<Value> {
        messages
            .iter()
            .filter(|m| wanted.contains(&class(m)))
            .cloned()
            .collect()
    };
    let (lines, limit) = match report.mode {
        LogMode::Summary => {
            let info = keep(&["information"]);
            let start = info.len().saturating_sub(SUMMARY_INFO_TAIL);
            report.last_information = Some(info[start..].to_vec());
            (keep(&["error", "warning"]), SUMMARY_PROBLEMS)
        }
        LogMode::Warnings => (keep(&["warning"]), cut.full_max),
        LogMode::Errors => (keep(&["error"]), cut.full_max),
        LogMode::Tail => {
            let start = messages.len().saturating_sub(cut.tail_count);
            report.truncated = start > 0;
            report.lines = messages[start..].to_vec();
            return;
        }
        LogMode::Full => (messages, cut.full_max),
    };
    report.truncated = lines.len() > limit;
    report.lines = lines.into_iter().take(limit).collect();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(mode: LogMode) -> LogReport {
        let resolved = Resolved {
            run_id: 1,
            resolved_from: "run_id".into(),
            run: None,
            tenant_id: None,
        };
        LogReport::new("s", resolved, mode)
    }

    fn log() -> Vec<Value> {
        let mut m: Vec<Value> = (0..10)
            .map(|i| json!({"Type": "Information", "Message": format!("step {i}")}))
            .collect();
        m.push(json!({"Type": "Warning", "Message": "skipped"}));
        m.push(json!({"Type": "CRITICAL", "Message": "boom"}));
        m
    }

    #[test]
    fn summary_counts_and_keeps_problems_plus_last_info() {
        let mut r = report(LogMode::Summary);
        let cut = Cut {
            tail_count: 3,
            full_max: 1000,
        };
        apply_mode(&mut r, log(), cut);
        assert_eq!(r.counts["information"], 10);
        assert_eq!(r.counts["warning"], 1);
        assert_eq!(r.counts["error"], 1);
        assert_eq!(r.lines.len(), 2);
        assert_eq!(r.last_information.as_ref().unwrap().len(), 5);
        assert_eq!(r.last_information.unwrap()[4]["Message"], "step 9");
    }

    #[test]
    fn tail_full_and_filters_cut_where_asked() {
        let cut = Cut {
            tail_count: 3,
            full_max: 4,
        };
        let mut tail = report(LogMode::Tail);
        apply_mode(&mut tail, log(), cut);
        assert_eq!(tail.lines.len(), 3);
        assert!(tail.truncated);
        let mut full = report(LogMode::Full);
        apply_mode(&mut full, log(), cut);
        assert_eq!((full.lines.len(), full.truncated), (4, true));
        let mut errors = report(LogMode::Errors);
        apply_mode(&mut errors, log(), cut);
        assert_eq!(errors.lines.len(), 1);
        assert_eq!(errors.lines[0]["Message"], "boom");
    }
}
