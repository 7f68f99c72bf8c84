//! Backrest side of the federated answers: backup operations of this instance in a window.
//!
//! `GetOperations` has no time filter and `lastN` counts the most recently changed operations,
//! so the window is covered by asking for more until the answer reaches past the window's start
//! (or holds every operation), up to [`MAX_OPERATIONS`].

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::overview::UnitActivity;
use super::{RunRecord, RunStatus};
use crate::fleet::Server;
use crate::store::ServerKind;
use crate::upstream::backrest::client::BackrestClient;
use crate::upstream::backrest::error::BackrestError;
use crate::upstream::backrest::rows::datetime;
use crate::upstream::backrest::scrub;
use crate::upstream::backrest::wire::{OpStatus, Operation};

/// The most operations read from one server for one answer (`truncated` past it).
pub const MAX_OPERATIONS: usize = 32_000;
/// The first `lastN` asked for; it grows fourfold while the window is not covered.
const FIRST_BATCH: usize = 500;

/// Backup operations of this instance that started at or after `since`, and whether the scan
/// stopped at [`MAX_OPERATIONS`] before covering the window.
pub async fn backups_since(
    server: &Server,
    deadline: Instant,
    since: DateTime<Utc>,
) -> Result<(Vec<Operation>, Vec<String>, bool), BackrestError> {
    let client = BackrestClient::new(server, deadline);
    let config = client.config().await?.view;
    // Only this instance's own operations: a multihost hub also stores its peers' operations.
    let selector = json!({"instanceId": config.instance});
    let since_ms = since.timestamp_millis();
    let mut last_n = FIRST_BATCH;
    loop {
        let ops = client.operations(selector.clone(), last_n).await?;
        let complete = ops.len() < last_n;
        // Operations come in id order; the oldest backup in the batch tells whether the batch
        // reaches back past the window (other kinds, e.g. indexing an old snapshot, can carry
        // old times with new ids).
        let reaches_past = ops
            .iter()
            .find(|o| o.operation_backup.is_some() && o.unix_time_start_ms.get() > 0)
            .is_some_and(|o| o.unix_time_start_ms.get() < since_ms);
        if complete || reaches_past || last_n >= MAX_OPERATIONS {
            let truncated = !complete && !reaches_past;
            let backups = ops
                .into_iter()
                .filter(|o| o.operation_backup.is_some() && o.unix_time_start_ms.get() >= since_ms)
                .collect();
            let plans = config
                .plans
                .iter()
                .map(|p| p.id.clone())
                .filter(|id| !(id.starts_with('_') && id.ends_with('_')))
                .collect();
            return Ok((backups, plans, truncated));
        }
        last_n = (last_n * 4).min(MAX_OPERATIONS);
    }
}

/// A backup operation as a federated run. Its `machine` is the operation's `instanceId`: a
/// Backrest instance runs on the host whose paths its plans back up, and the instance id is on
/// every operation, failed ones included, while the snapshot's `hostname` exists only once a
/// backup succeeded (and is the OS name, `vm` in the captures, not the name the MSP gave it).
pub fn record(op: &Operation, tenant_id: &str, with_errors: bool) -> RunRecord {
    let started_at = datetime(op.unix_time_start_ms.get());
    let ended_at = datetime(op.unix_time_end_ms.get());
    let backup = op.operation_backup.as_ref();
    let status = status_of(op.status);
    let message = if op.display_message.is_empty() {
        op.status
            .name()
            .trim_start_matches("STATUS_")
            .to_ascii_lowercase()
    } else {
        scrub::message(&op.display_message)
    };
    let errors = with_errors.then(|| {
        let mut lines: Vec<String> = backup
            .into_iter()
            .flat_map(|b| b.errors.iter())
            .map(|e| format!("{} ({}): {}", e.item, e.during, scrub::message(&e.message)))
            .take(super::novabackup::ERROR_LINES)
            .collect();
        if lines.is_empty() && !op.display_message.is_empty() {
            lines.push(scrub::message(&op.display_message));
        }
        lines
    });
    RunRecord {
        tenant_id: Some(tenant_id.to_owned()),
        server_kind: ServerKind::Backrest,
        job: op.plan_id.clone(),
        job_id: Some(op.plan_id.clone()),
        machine: op.instance_id.clone(),
        machine_id: Some(op.instance_id.clone()),
        status,
        started_at,
        ended_at,
        duration_s: match (started_at, ended_at) {
            (Some(s), Some(e)) => Some((e - s).num_milliseconds() as f64 / 1000.0),
            _ => None,
        },
        message,
        run_id: None,
        operation_id: Some(op.id.get().to_string()),
        logref: Some(op.logref.clone()).filter(|l| !l.is_empty()),
        errors,
    }
}

/// Each plan's last success and its counts inside the window.
pub fn plan_activity(
    plans: &[String],
    backups: &[Operation],
    window_start: DateTime<Utc>,
    tenant_id: &str,
) -> Vec<UnitActivity> {
    let mut units: HashMap<&str, UnitActivity> = plans
        .iter()
        .map(|p| {
            let unit = UnitActivity::new(Some(tenant_id.to_owned()), p.clone(), None);
            (p.as_str(), unit)
        })
        .collect();
    for op in backups {
        let started = datetime(op.unix_time_start_ms.get());
        if let (Some(unit), Some(started)) = (units.get_mut(op.plan_id.as_str()), started) {
            unit.record(status_of(op.status), started, window_start);
        }
    }
    plans
        .iter()
        .filter_map(|p| units.remove(p.as_str()))
        .collect()
}

fn status_of(status: OpStatus) -> RunStatus {
    match status {
        OpStatus::Success => RunStatus::Success,
        OpStatus::Warning => RunStatus::Warning,
        OpStatus::Error => RunStatus::Failed,
        OpStatus::UserCancelled | OpStatus::SystemCancelled => RunStatus::Cancelled,
        OpStatus::InProgress => RunStatus::Running,
        OpStatus::Pending => RunStatus::Pending,
        _ => RunStatus::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn federated_rows_carry_scrubbed_messages() {
        let op: Operation = serde_json::from_value(json!({
            "id": "7", "status": "STATUS_ERROR", "planId": "home",
            "displayMessage": "failed to backup: command \"/usr/local/bin/restic backup --json /home\" failed: exit status 1\nOutput:\nFatal: unable to open repository",
            "operationBackup": {}
        }))
        .unwrap();
        let row = record(&op, "acme", true);
        let text = serde_json::to_string(&row).unwrap();
        assert!(!text.contains("/usr/local/bin/restic"), "{text}");
        assert!(text.contains("restic command line hidden"), "{text}");
    }
}
