//! Backrest's messages as typed Rust values. Backrest omits every default value, encodes 64-bit
//! integers as strings and enums as names, and newer versions add fields: every field here is
//! optional with a default, [`I64`] accepts strings and numbers, unknown enum names become
//! `Unknown`, and unknown fields are ignored.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An int64 as Backrest sends it: `"123"` (canonical), `123`, or absent (0).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct I64(pub i64);

impl<'de> Deserialize<'de> for I64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(I64(match Value::deserialize(d)? {
            Value::String(s) => s.trim().parse().unwrap_or(0),
            Value::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().map(|f| f as i64))
                .unwrap_or(0),
            _ => 0,
        }))
    }
}

impl I64 {
    pub fn get(self) -> i64 {
        self.0
    }
}

/// `OperationStatus`, by name (numbers accepted too).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum OpStatus {
    #[default]
    Unknown,
    Pending,
    InProgress,
    Success,
    Error,
    SystemCancelled,
    UserCancelled,
    Warning,
}

const STATUSES: [(OpStatus, &str, &str); 8] = [
    (OpStatus::Unknown, "STATUS_UNKNOWN", "unknown"),
    (OpStatus::Pending, "STATUS_PENDING", "pending"),
    (OpStatus::InProgress, "STATUS_INPROGRESS", "in_progress"),
    (OpStatus::Success, "STATUS_SUCCESS", "success"),
    (OpStatus::Error, "STATUS_ERROR", "error"),
    (
        OpStatus::SystemCancelled,
        "STATUS_SYSTEM_CANCELLED",
        "system_cancelled",
    ),
    (
        OpStatus::UserCancelled,
        "STATUS_USER_CANCELLED",
        "user_cancelled",
    ),
    (OpStatus::Warning, "STATUS_WARNING", "warning"),
];

impl OpStatus {
    /// The short name tools show (`success`, `in_progress`, ...).
    pub fn name(self) -> &'static str {
        STATUSES
            .iter()
            .find(|s| s.0 == self)
            .map_or("unknown", |s| s.2)
    }

    /// Parses a wire name, a short name or a number; anything else is `Unknown`.
    pub fn from_name(name: &str) -> OpStatus {
        let lower = name.trim().to_ascii_lowercase();
        let short = lower.strip_prefix("status_").unwrap_or(&lower);
        STATUSES
            .iter()
            .find(|s| s.2 == short || s.2.replace('_', "") == short)
            .map_or(OpStatus::Unknown, |s| s.0)
    }

    /// Finished one way or another.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            OpStatus::Success
                | OpStatus::Warning
                | OpStatus::Error
                | OpStatus::SystemCancelled
                | OpStatus::UserCancelled
        )
    }
}

impl<'de> Deserialize<'de> for OpStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Value::deserialize(d)? {
            Value::String(s) => STATUSES
                .iter()
                .find(|x| x.1 == s)
                .map_or_else(|| OpStatus::from_name(&s), |x| x.0),
            Value::Number(n) => n
                .as_u64()
                .and_then(|i| STATUSES.get(usize::try_from(i).ok()?))
                .map_or(OpStatus::Unknown, |x| x.0),
            _ => OpStatus::Unknown,
        })
    }
}

/// The subset of `Config` the tools navigate by (the whole config is only shown redacted).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ConfigView {
    pub modno: i64,
    pub version: i64,
    pub instance: String,
    pub repos: Vec<RepoRef>,
    pub plans: Vec<PlanRef>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RepoRef {
    pub id: String,
    pub guid: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PlanRef {
    pub id: String,
    pub repo: String,
}

impl ConfigView {
    pub fn repo(&self, id: &str) -> Option<&RepoRef> {
        self.repos.iter().find(|r| r.id == id)
    }

    pub fn plan(&self, id: &str) -> Option<&PlanRef> {
        self.plans.iter().find(|p| p.id == id)
    }

    /// Repo id of a guid (operations and selectors use guids).
    pub fn repo_id_of_guid(&self, guid: &str) -> Option<&str> {
        self.repos
            .iter()
            .find(|r| r.guid == guid)
            .map(|r| r.id.as_str())
    }
}

/// `ResticSnapshot`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Snapshot {
    pub id: String,
    pub unix_time_ms: I64,
    pub hostname: String,
    pub username: String,
    pub paths: Vec<String>,
    pub tags: Vec<String>,
    pub summary: Option<SnapshotSummary>,
}

impl Snapshot {
    /// The plan of a `plan:<id>` tag, if any.
    pub fn plan_tag(&self) -> Option<&str> {
        self.tags.iter().find_map(|t| t.strip_prefix("plan:"))
    }

    /// True for the full id or an unambiguous-length prefix (at least 8 characters).
    pub fn matches_id(&self, id: &str) -> bool {
        self.id == id || (id.len() >= 8 && self.id.starts_with(id))
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct SnapshotSummary {
    pub files_new: I64,
    pub files_changed: I64,
    pub files_unmodified: I64,
    pub data_added: I64,
    pub total_files_processed: I64,
    pub total_bytes_processed: I64,
    pub total_duration: f64,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct SnapshotList {
    pub snapshots: Vec<Snapshot>,
}

/// `LsEntry`.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct LsEntry {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    pub size: I64,
    pub mode: I64,
    pub mtime: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct LsResponse {
    pub path: String,
    pub entries: Vec<LsEntry>,
}

/// `Operation`; the kind-specific member is kept as JSON and read by [`Operation::kind`].
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Operation {
    pub id: I64,
    pub flow_id: I64,
    pub repo_id: String,
    pub repo_guid: String,
    pub plan_id: String,
    pub instance_id: String,
    pub snapshot_id: String,
    pub status: OpStatus,
    pub unix_time_start_ms: I64,
    pub unix_time_end_ms: I64,
    pub display_message: String,
    pub logref: String,
    pub operation_backup: Option<BackupOp>,
    pub operation_index_snapshot: Option<Value>,
    pub operation_forget: Option<Value>,
    pub operation_prune: Option<OutputOp>,
    pub operation_check: Option<OutputOp>,
    pub operation_restore: Option<RestoreOp>,
    pub operation_stats: Option<Value>,
    pub operation_run_hook: Option<OutputOp>,
    pub operation_run_command: Option<OutputOp>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackupOp {
    pub last_status: BackupProgress,
    pub dry_run: bool,
    /// Per-file errors restic reported during the backup.
    pub errors: Vec<BackupItemError>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackupItemError {
    pub item: String,
    pub during: String,
    pub message: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackupProgress {
    pub status: Option<BackupStatus>,
    pub summary: Option<BackupSummary>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackupStatus {
    pub percent_done: f64,
    pub total_bytes: I64,
    pub bytes_done: I64,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct BackupSummary {
    pub data_added: I64,
    pub total_bytes_processed: I64,
    pub total_files_processed: I64,
    pub total_duration: f64,
    pub snapshot_id: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OutputOp {
    pub output_logref: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RestoreOp {
    pub path: String,
    pub target: String,
    pub last_status: RestoreProgress,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RestoreProgress {
    pub total_bytes: I64,
    pub bytes_restored: I64,
    pub percent_done: f64,
}

impl Operation {
    /// The operation's type as tools name it.
    pub fn kind(&self) -> &'static str {
        if self.operation_backup.is_some() {
            "backup"
        } else if self.operation_index_snapshot.is_some() {
            "index_snapshot"
        } else if self.operation_forget.is_some() {
            "forget"
        } else if self.operation_prune.is_some() {
            "prune"
        } else if self.operation_check.is_some() {
            "check"
        } else if self.operation_restore.is_some() {
            "restore"
        } else if self.operation_stats.is_some() {
            "stats"
        } else if self.operation_run_hook.is_some() {
            "run_hook"
        } else if self.operation_run_command.is_some() {
            "run_command"
        } else {
            "unknown"
        }
    }

    /// The log of the command's output, when the operation has one besides its task log.
    pub fn output_logref(&self) -> Option<&str> {
        [
            &self.operation_prune,
            &self.operation_check,
            &self.operation_run_hook,
            &self.operation_run_command,
        ]
        .into_iter()
        .flatten()
        .map(|o| o.output_logref.as_str())
        .find(|r| !r.is_empty())
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct OperationList {
    pub operations: Vec<Operation>,
}

/// `{"operationId": …}` of scheduled tasks (absent = 0 = "no operation record").
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct OperationIdReply {
    pub operation_id: I64,
}

/// `SummaryDashboardResponse` without `configPath`/`dataPath` (host paths are never read).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Dashboard {
    pub repo_summaries: Vec<Summary>,
    pub plan_summaries: Vec<Summary>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Summary {
    pub id: String,
    pub backups_failed30days: I64,
    pub backups_warning_last30days: I64,
    pub backups_success_last30days: I64,
    pub bytes_scanned_last30days: I64,
    pub bytes_added_last30days: I64,
    pub bytes_scanned_avg: I64,
    pub bytes_added_avg: I64,
    pub next_backup_time_ms: I64,
    pub protected_bytes: I64,
    pub recent_backups: RecentBackups,
}

/// Parallel arrays, oldest first.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct RecentBackups {
    pub flow_id: Vec<I64>,
    pub timestamp_ms: Vec<I64>,
    pub duration_ms: Vec<I64>,
    pub status: Vec<OpStatus>,
    pub bytes_added: Vec<I64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_strings_numbers_and_unknown_enums() {
        let op: Operation = serde_json::from_value(serde_json::json!({
            "id": "396", "flowId": 396, "status": "STATUS_NEW_IN_2030", "extra": {"x": 1},
            "operationPrune": {"outputLogref": "c-1"}
        }))
        .unwrap();
        assert_eq!(op.id, I64(396));
        assert_eq!(op.flow_id, I64(396));
        assert_eq!(op.status, OpStatus::Unknown);
        assert_eq!(op.kind(), "prune");
        assert_eq!(op.output_logref(), Some("c-1"));
        let empty: Operation = serde_json::from_str("{}").unwrap();
        assert_eq!(empty.status, OpStatus::Unknown);
        assert_eq!(empty.unix_time_end_ms, I64(0));
        let s: OpStatus = serde_json::from_value(serde_json::json!(3)).unwrap();
        assert_eq!(s, OpStatus::Success);
        assert_eq!(
            OpStatus::from_name("STATUS_USER_CANCELLED"),
            OpStatus::UserCancelled
        );
        assert_eq!(OpStatus::from_name("inprogress"), OpStatus::InProgress);
    }

    #[test]
    fn dashboard_keeps_digit_field_names() {
        let d: Dashboard = serde_json::from_value(serde_json::json!({
            "repoSummaries": [{"id": "r", "backupsFailed30days": "2", "backupsSuccessLast30days": "29"}],
            "configPath": "/etc/backrest"
        }))
        .unwrap();
        assert_eq!(d.repo_summaries[0].backups_failed30days, I64(2));
        assert_eq!(d.repo_summaries[0].backups_success_last30days, I64(29));
    }
}
