//! Backrest messages as the rows tools return: snake_case keys, times as RFC 3339, statuses by
//! short name, upstream free text scrubbed. Nothing here reaches the network.

use serde_json::{Map, Value, json};

use super::scrub;
use super::wire::{LsEntry, Operation, Snapshot, Summary};

/// Backrest's milliseconds since the epoch as a time; `None` for 0 (Backrest omits unset times).
pub fn datetime(ms: i64) -> Option<chrono::DateTime<chrono::Utc>> {
    (ms > 0)
        .then(|| chrono::DateTime::from_timestamp_millis(ms))
        .flatten()
}

/// Milliseconds since the epoch as RFC 3339 (UTC); `null` for 0.
pub fn time(ms: i64) -> Value {
    datetime(ms)
        .map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)))
        .unwrap_or(Value::Null)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

pub fn snapshot(repo_id: &str, s: &Snapshot) -> Map<String, Value> {
    let summary = s.summary.as_ref().map(|x| {
        json!({
            "files_new": x.files_new.get(), "files_changed": x.files_changed.get(),
            "files_unmodified": x.files_unmodified.get(), "data_added": x.data_added.get(),
            "total_files_processed": x.total_files_processed.get(),
            "total_bytes_processed": x.total_bytes_processed.get(),
            "total_duration_seconds": x.total_duration,
        })
    });
    object(json!({
        "repo_id": repo_id,
        "snapshot_id": s.id,
        "short_id": s.id.get(..8).unwrap_or(&s.id),
        "time": time(s.unix_time_ms.get()),
        "unix_time_ms": s.unix_time_ms.get(),
        "plan_id": s.plan_tag(),
        "hostname": s.hostname,
        "username": s.username,
        "paths": s.paths,
        "tags": s.tags,
        "summary": summary,
    }))
}

pub fn ls_entry(e: &LsEntry) -> Value {
    json!({
        "name": e.name, "type": e.kind, "path": e.path, "size": e.size.get(),
        "mtime": e.mtime,
    })
}

pub fn operation(op: &Operation) -> Map<String, Value> {
    let start = op.unix_time_start_ms.get();
    let end = op.unix_time_end_ms.get();
    let mut row = object(json!({
        "operation_id": op.id.get().to_string(),
        "flow_id": op.flow_id.get().to_string(),
        "type": op.kind(),
        "status": op.status.name(),
        "repo_id": op.repo_id,
        "plan_id": op.plan_id,
        "instance_id": op.instance_id,
        "snapshot_id": (!op.snapshot_id.is_empty()).then_some(&op.snapshot_id),
        "started": time(start),
        "ended": time(end),
        "unix_time_start_ms": start,
        "duration_ms": (end > 0 && start > 0).then(|| end - start),
        "message": (!op.display_message.is_empty()).then(|| scrub::message(&op.display_message)),
        "logref": (!op.logref.is_empty()).then_some(&op.logref),
        "output_logref": op.output_logref(),
    }));
    if let Some(b) = &op.operation_backup {
        let p = &b.last_status;
        if let Some(s) = &p.summary {
            row.insert("bytes_added".into(), json!(s.data_added.get()));
            row.insert(
                "bytes_processed".into(),
                json!(s.total_bytes_processed.get()),
            );
            row.insert(
                "files_processed".into(),
                json!(s.total_files_processed.get()),
            );
        } else if let Some(s) = &p.status {
            row.insert("percent_done".into(), json!(s.percent_done));
            row.insert("bytes_done".into(), json!(s.bytes_done.get()));
            row.insert("bytes_total".into(), json!(s.total_bytes.get()));
        }
        row.insert("dry_run".into(), json!(b.dry_run));
    }
    if let Some(r) = &op.operation_restore {
        row.insert("restore_path".into(), json!(r.path));
        row.insert("restore_target".into(), json!(r.target));
        row.insert(
            "bytes_restored".into(),
            json!(r.last_status.bytes_restored.get()),
        );
        row.insert("bytes_total".into(), json!(r.last_status.total_bytes.get()));
    }
    if let Some(stats) = op.operation_stats.as_ref().and_then(|s| s.get("stats")) {
        row.insert("stats".into(), stats.clone());
    }
    row
}

pub fn summary(s: &Summary) -> Value {
    let r = &s.recent_backups;
    let recent: Vec<Value> = (0..r.timestamp_ms.len())
        .rev()
        .take(5)
        .map(|i| {
            json!({
                "time": time(r.timestamp_ms[i].get()),
                "status": r.status.get(i).copied().unwrap_or_default().name(),
                "duration_ms": r.duration_ms.get(i).map(|d| d.get()),
                "bytes_added": r.bytes_added.get(i).map(|d| d.get()),
            })
        })
        .collect();
    json!({
        "id": s.id,
        "backups_success_last_30_days": s.backups_success_last30days.get(),
        "backups_warning_last_30_days": s.backups_warning_last30days.get(),
        "backups_failed_last_30_days": s.backups_failed30days.get(),
        "bytes_added_last_30_days": s.bytes_added_last30days.get(),
        "bytes_scanned_last_30_days": s.bytes_scanned_last30days.get(),
        "bytes_added_avg": s.bytes_added_avg.get(),
        "protected_bytes": s.protected_bytes.get(),
        "next_backup": time(s.next_backup_time_ms.get()),
        "recent_backups": recent,
    })
}
