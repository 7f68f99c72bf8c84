//! Federated answers across both server kinds: one row shape for a backup run, whichever server
//! ran it, and the aggregations the MSP questions need ("what failed", "who is stale").
//!
//! The per-kind adapters (`novabackup.rs`, `backrest.rs`) turn upstream data into [`RunRecord`]s;
//! everything here is pure and knows nothing about HTTP.

pub mod backrest;
pub mod novabackup;
pub mod overview;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use crate::store::ServerKind;

/// How a run ended, in one vocabulary for both kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, JsonSchema, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Failed,
    Warning,
    Success,
    Cancelled,
    Running,
    Pending,
    Unknown,
}

impl RunStatus {
    /// True for the statuses `list_failing_jobs` reports.
    pub fn is_failing(self, include_warnings: bool) -> bool {
        self == RunStatus::Failed || (include_warnings && self == RunStatus::Warning)
    }
}

/// One backup run (a NovaBACKUP job run or a Backrest backup operation), ready to be a row.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    #[serde(skip)]
    pub tenant_id: Option<String>,
    pub server_kind: ServerKind,
    /// Job name (NovaBACKUP) or plan id (Backrest).
    pub job: String,
    /// Managed job id (NovaBACKUP; null for unmanaged jobs) or plan id (Backrest).
    pub job_id: Option<String>,
    /// Agent/machine name (NovaBACKUP) or the Backrest instance id (the host it runs on).
    pub machine: String,
    /// Agent id (NovaBACKUP) or Backrest instance id, for drill-down.
    pub machine_id: Option<String>,
    pub status: RunStatus,
    pub started_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub duration_s: Option<f64>,
    pub message: String,
    /// NovaBACKUP run key (for `get_job_run_log`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<String>,
    /// Backrest operation id (for `get_operations` / `get_operation_log`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    /// Backrest log reference of the operation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logref: Option<String>,
    /// First error lines of the run's log (with `with_errors=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<String>>,
}

/// Newest first (runs without a start time last), ties broken by server and run id so the
/// order is stable.
pub fn newest_first(a: &serde_json::Value, b: &serde_json::Value) -> std::cmp::Ordering {
    let tiebreak = |v: &serde_json::Value| {
        (
            v["server_id"].as_str().unwrap_or_default().to_owned(),
            v["run_id"]
                .as_str()
                .or(v["operation_id"].as_str())
                .unwrap_or_default()
                .to_owned(),
        )
    };
    crate::fanout::newest_by_time(a, b, "started_at").then_with(|| tiebreak(b).cmp(&tiebreak(a)))
}
