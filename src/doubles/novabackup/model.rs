//! The entity types a NovaBACKUP Management Server exposes (docs/upstream/novabackup.md §7), as plain structs.
//!
//! They serialise with the API's PascalCase names; optional values serialise as `null`.
//! Child collections (`devices`, `jobs`) are skipped: the API reaches them through
//! `$expand` or their own routes.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// A UTC instant, as every date-time of the API.
pub type Time = DateTime<Utc>;

/// A machine running the backup client (`/api/Agents`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Agent {
    pub agent_id: i64,
    pub agent_guid: String,
    pub friendly_name: String,
    pub machine_name: String,
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    pub connected: bool,
    pub backup_client_type: i64,
    pub backup_client_version_number: String,
    pub group_id: i64,
    pub last_activity_date: Option<Time>,
    pub last_backup_date: Option<Time>,
    pub last_backup_status: Option<i64>,
    /// Backup destinations (`Devices` navigation property).
    #[serde(skip)]
    pub devices: Vec<Device>,
    /// Job definitions (`/api/Agents({id})/Jobs`).
    #[serde(skip)]
    pub jobs: Vec<Job>,
}

/// A backup destination of an agent; polymorphic through `@odata.type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Device {
    #[serde(rename = "@odata.type")]
    pub odata_type: String,
    pub agent_device_id: i64,
    pub display_type: String,
    pub name: String,
    pub size: Option<i64>,
    pub free_space: Option<i64>,
    pub status: i64,
    pub status_updated: Option<Time>,
    /// Present on S3-type devices only.
    #[serde(flatten)]
    pub s3: Option<S3Target>,
}

/// The members S3-type devices add.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct S3Target {
    /// Absent (not even `null`) on legacy devices.
    #[serde(
        rename = "AmazonS3CompatibleCloudStorageAccountId",
        skip_serializing_if = "Option::is_none"
    )]
    pub csa_id: Option<i64>,
    pub bucket_name: String,
    #[serde(rename = "URL")]
    pub url: String,
}

/// A backup job definition on an agent: managed (`job_id` set) or agent-defined (`None`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Job {
    pub job_id: Option<i64>,
    pub schedule_id: i64,
    pub name: String,
    pub job_type: String,
    pub enabled: bool,
}

/// An item an agent could back up (`/api/Agents({id})/BackupSources`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BackupSource {
    pub name: String,
    pub path: String,
    #[serde(rename = "Type")]
    pub source_type: String,
    pub has_children: bool,
    /// The `Path` of the parent item; `None` for root items.
    #[serde(skip)]
    pub parent: Option<String>,
}

/// A node of the organisational tree; tenancy lives here.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Group {
    pub group_id: i64,
    pub group_name: String,
    pub description: Option<String>,
    pub parent_group_id: Option<i64>,
    pub tenant_id: Option<String>,
    #[serde(rename = "Default")]
    pub is_default: bool,
}

/// A cloud storage account: an end user's bucket on a storage server, with usage.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CloudStorageAccount {
    pub cloud_storage_account_id: i64,
    pub user_name: String,
    pub used_bytes: Option<i64>,
    pub used_bytes_last_calculation_completed: Option<Time>,
    pub backup_client_license_key: String,
    pub storage_server_id: i64,
    pub quota_bytes: Option<i64>,
    pub free_bytes: Option<i64>,
    pub computed_quota_bytes: Option<i64>,
    pub computed_free_bytes: Option<i64>,
    pub enabled: bool,
    pub display_type: String,
    pub last_backup_date: Option<Time>,
}

/// A storage back end known to the server.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct StorageServer {
    pub storage_server_id: i64,
    pub name: String,
    pub url: String,
    pub region: String,
}

/// One run of a job (`/api/JobHistories`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct JobHistory {
    pub job_log_id: i64,
    pub job_id: Option<i64>,
    pub agent_id: i64,
    pub job_name: String,
    pub job_type: String,
    pub status: i64,
    pub start_date_time: Option<Time>,
    pub end_date_time: Option<Time>,
    pub elapsed_time_in_seconds: i64,
    pub size_in_bytes: Option<i64>,
    pub bytes_processed: Option<i64>,
    pub bytes_finished: Option<i64>,
    pub files_processed: Option<i64>,
    pub files_finished: Option<i64>,
}

/// The engine log of one run (`/api/JobHistories({key})/Log`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunLog {
    pub script_file_path: String,
    pub messages: Vec<LogMessage>,
}

/// One line of a [`RunLog`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogMessage {
    /// `Information`, `Warning`, `Error`, ...
    #[serde(rename = "Type")]
    pub kind: String,
    pub time: Time,
    pub message: String,
}

/// A CMon user account.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct User {
    pub user_id: i64,
    pub user_name: String,
    pub email_address: String,
    pub enabled: bool,
    pub is_approved: bool,
    pub is_locked_out: bool,
    pub is_online: bool,
    pub last_login_date: Option<Time>,
    pub role_id: i64,
    pub description: Option<String>,
}

/// Job status codes (docs/upstream/novabackup.md §8).
pub mod status {
    pub const PENDING: i64 = 0;
    pub const SUCCESS: i64 = 1;
    pub const WARNING: i64 = 2;
    pub const CANCELLED: i64 = 3;
    pub const FAILED: i64 = 4;
    pub const RUNNING: i64 = 5;
    pub const QUEUED: i64 = 6;
}
