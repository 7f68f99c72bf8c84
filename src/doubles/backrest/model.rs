//! Wire model of the Backrest messages the double stores and serves.
//!
//! Serialisation follows protojson as Backrest emits it: camelCase names, int64 as strings,
//! enums as names and every default-valued field omitted.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Serde adapter for protojson int64: written as a string, read from a string or a number.
pub mod int64 {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    /// Writes the value as a decimal string.
    pub fn serialize<S: Serializer>(v: &i64, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(v)
    }

    /// Reads a decimal string or a JSON number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => s.parse().map_err(D::Error::custom),
            serde_json::Value::Number(n) => {
                n.as_i64().ok_or_else(|| D::Error::custom("not an int64"))
            }
            other => Err(D::Error::custom(format!("invalid int64 {other}"))),
        }
    }
}

/// True for zero, so int64 fields at their default are omitted.
pub fn is_zero(v: &i64) -> bool {
    *v == 0
}

/// `v1.OperationStatus`, serialised by name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpStatus {
    /// Zero value; omitted on the wire.
    #[default]
    #[serde(rename = "STATUS_UNKNOWN")]
    Unknown,
    /// Scheduled, not started.
    #[serde(rename = "STATUS_PENDING")]
    Pending,
    /// Running.
    #[serde(rename = "STATUS_INPROGRESS")]
    InProgress,
    /// Finished successfully.
    #[serde(rename = "STATUS_SUCCESS")]
    Success,
    /// Failed.
    #[serde(rename = "STATUS_ERROR")]
    Error,
    /// Cancelled by the system.
    #[serde(rename = "STATUS_SYSTEM_CANCELLED")]
    SystemCancelled,
    /// Cancelled by a user (Cancel RPC).
    #[serde(rename = "STATUS_USER_CANCELLED")]
    UserCancelled,
    /// Finished with warnings.
    #[serde(rename = "STATUS_WARNING")]
    Warning,
}

impl OpStatus {
    /// True for the zero value (omitted on the wire).
    pub fn is_default(&self) -> bool {
        *self == OpStatus::Unknown
    }

    /// True while the operation is queued or running.
    pub fn is_active(&self) -> bool {
        matches!(self, OpStatus::Pending | OpStatus::InProgress)
    }

    /// The protojson enum name.
    pub fn name(&self) -> &'static str {
        match self {
            OpStatus::Unknown => "STATUS_UNKNOWN",
            OpStatus::Pending => "STATUS_PENDING",
            OpStatus::InProgress => "STATUS_INPROGRESS",
            OpStatus::Success => "STATUS_SUCCESS",
            OpStatus::Error => "STATUS_ERROR",
            OpStatus::SystemCancelled => "STATUS_SYSTEM_CANCELLED",
            OpStatus::UserCancelled => "STATUS_USER_CANCELLED",
            OpStatus::Warning => "STATUS_WARNING",
        }
    }
}

/// The `op` oneof of `v1.Operation`: exactly one member key, its message kept as JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OpKind {
    /// A backup run.
    OperationBackup(Value),
    /// A snapshot seen in the repository.
    OperationIndexSnapshot(Value),
    /// A retention (forget) run.
    OperationForget(Value),
    /// A prune run.
    OperationPrune(Value),
    /// A check run.
    OperationCheck(Value),
    /// A restore.
    OperationRestore(Value),
    /// A stats run.
    OperationStats(Value),
    /// A hook execution.
    OperationRunHook(Value),
    /// An arbitrary restic command.
    OperationRunCommand(Value),
}

/// Binds the message of whichever oneof member is set.
macro_rules! member_body {
    ($kind:expr) => {
        match $kind {
            OpKind::OperationBackup(v)
            | OpKind::OperationIndexSnapshot(v)
            | OpKind::OperationForget(v)
            | OpKind::OperationPrune(v)
            | OpKind::OperationCheck(v)
            | OpKind::OperationRestore(v)
            | OpKind::OperationStats(v)
            | OpKind::OperationRunHook(v)
            | OpKind::OperationRunCommand(v) => v,
        }
    };
}

impl OpKind {
    /// The member's message.
    pub fn body(&self) -> &Value {
        member_body!(self)
    }

    /// The member's message, mutable.
    pub fn body_mut(&mut self) -> &mut Value {
        member_body!(self)
    }
}

/// `v1.Operation`, one entry of the operation log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// Operation id (per instance).
    #[serde(default, with = "int64", skip_serializing_if = "is_zero")]
    pub id: i64,
    /// Modification counter, bumped on every change.
    #[serde(default, with = "int64", skip_serializing_if = "is_zero")]
    pub modno: i64,
    /// Id of the first operation of the flow (backup + forget + index share one).
    #[serde(default, with = "int64", skip_serializing_if = "is_zero")]
    pub flow_id: i64,
    /// Repo id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repo_id: String,
    /// Repo guid.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub repo_guid: String,
    /// Plan id (`_system_` for repo maintenance).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub plan_id: String,
    /// Instance that ran the operation.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub instance_id: String,
    /// Snapshot the operation produced or touched.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub snapshot_id: String,
    /// Status.
    #[serde(default, skip_serializing_if = "OpStatus::is_default")]
    pub status: OpStatus,
    /// Start (or scheduled) time.
    #[serde(default, with = "int64", skip_serializing_if = "is_zero")]
    pub unix_time_start_ms: i64,
    /// End time.
    #[serde(default, with = "int64", skip_serializing_if = "is_zero")]
    pub unix_time_end_ms: i64,
    /// Human readable message, usually the error.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub display_message: String,
    /// Task log reference for GetLogs.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub logref: String,
    /// The oneof member.
    #[serde(flatten)]
    pub kind: OpKind,
}

/// `v1.ResticSnapshot`, plus the repo it lives in (not serialised).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// 64 hex chars.
    pub id: String,
    /// Snapshot time.
    #[serde(default, with = "int64", skip_serializing_if = "is_zero")]
    pub unix_time_ms: i64,
    /// Host name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// User name.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// Tree id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub tree: String,
    /// Parent snapshot id.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parent: String,
    /// Backed up paths.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Tags (`plan:<id>`, `created-by:<instance>`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Backup summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<Value>,
    /// Repo id holding the snapshot (double bookkeeping, never on the wire).
    #[serde(skip)]
    pub repo_id: String,
}

impl Snapshot {
    /// True when the snapshot carries `plan:<plan_id>`.
    pub fn has_plan(&self, plan_id: &str) -> bool {
        self.tags
            .iter()
            .any(|t| t.strip_prefix("plan:") == Some(plan_id))
    }

    /// True when the snapshot carries `created-by:<instance>`.
    pub fn created_by(&self, instance: &str) -> bool {
        self.tags
            .iter()
            .any(|t| t.strip_prefix("created-by:") == Some(instance))
    }
}

/// One file of a plan's source tree, used to fake snapshot contents and backup sizes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the plan path, `/`-separated.
    pub path: String,
    /// Size in bytes.
    pub size: u64,
}

impl SourceFile {
    /// Convenience constructor.
    pub fn new(path: &str, size: u64) -> Self {
        SourceFile {
            path: path.to_string(),
            size,
        }
    }
}
