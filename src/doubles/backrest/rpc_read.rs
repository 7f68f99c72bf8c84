//! Read-only RPCs: GetConfig, ListSnapshots, ListSnapshotFiles, GetSummaryDashboard,
//! GetOperations and the text behind GetLogs.

use serde_json::{Value, json};

use super::errors::RpcError;
use super::omit::Obj;
use super::shared::{Shared, now_ms};
use super::{dashboard, files, query, wire};

/// `GetConfig`: the stored config with secrets in clear and user hashes masked.
pub fn get_config(shared: &Shared) -> Value {
    let mut config = shared.lock().config.clone();
    if let Value::Object(m) = &mut config {
        m.insert("auth".into(), shared.auth.config_section());
    }
    config
}

/// `ListSnapshots`: a repo's snapshots, optionally those a plan of this instance made.
pub fn list_snapshots(shared: &Shared, body: &Value) -> Result<Value, RpcError> {
    let repo_id = wire::string(body, "repoId")?;
    let plan_id = wire::string(body, "planId")?;
    let store = shared.lock();
    if store.repo(&repo_id).is_none() {
        return Err(RpcError::not_found(format!(
            "failed to get repo: {}",
            RpcError::repo_not_found(&repo_id).message
        )));
    }
    if !plan_id.is_empty() && store.plan(&plan_id).is_none() {
        return Err(RpcError::not_found(format!(
            "failed to get plan {plan_id:?}: {}",
            RpcError::plan_not_found(&plan_id).message
        )));
    }
    let instance = store.instance();
    let snapshots: Vec<Value> = store
        .ledger
        .repo_snapshots(&repo_id)
        .into_iter()
        .filter(|s| plan_id.is_empty() || (s.has_plan(&plan_id) && s.created_by(&instance)))
        .map(|s| json!(s))
        .collect();
    Ok(Obj::new().val("snapshots", Value::Array(snapshots)).build())
}

/// `ListSnapshotFiles`: one directory level of a snapshot (repo by id, or guid as in 1.13).
pub fn list_snapshot_files(shared: &Shared, body: &Value) -> Result<Value, RpcError> {
    let repo_id = wire::string(body, "repoId")?;
    let repo_guid = wire::string(body, "repoGuid")?;
    let snapshot_id = wire::string(body, "snapshotId")?;
    let path = match wire::string(body, "path")? {
        p if p.is_empty() => "/".to_string(),
        p => p,
    };
    let store = shared.lock();
    let repo_id = if repo_id.is_empty() {
        store
            .config
            .get("repos")
            .and_then(Value::as_array)
            .and_then(|repos| {
                repos
                    .iter()
                    .find(|r| r.get("guid").and_then(Value::as_str) == Some(&repo_guid))
            })
            .and_then(|r| r.get("id").and_then(Value::as_str))
            .unwrap_or_default()
            .to_string()
    } else {
        repo_id
    };
    if store.repo(&repo_id).is_none() {
        return Err(RpcError::not_found(format!(
            "failed to get repo: {}",
            RpcError::repo_not_found(&repo_id).message
        )));
    }
    let Some(snapshot) = store.ledger.find_snapshot(&repo_id, &snapshot_id) else {
        return Err(RpcError::unknown(format!(
            "failed to list snapshot files: failed to list snapshot files: command \"{} ls --json {snapshot_id} {path} -o sftp.args=-oBatchMode=yes --no-lock\" failed: error running command: exit status 1\nOutput:\n{{\"message_type\":\"exit_error\",\"code\":1,\"message\":\"no matching ID found for prefix \\\"{snapshot_id}\\\"\"}}\n",
            store.restic_bin
        )));
    };
    Ok(files::list(snapshot, &store.source_files, &path))
}

/// `GetSummaryDashboard`.
pub fn summary_dashboard(shared: &Shared) -> Value {
    dashboard::build(&shared.lock(), now_ms())
}

/// `GetOperations`.
pub fn get_operations(shared: &Shared, body: &Value) -> Result<Value, RpcError> {
    let store = shared.lock();
    let ops = query::run(store.ledger.operations.values(), body)?;
    Ok(Obj::new().val("operations", json!(ops)).build())
}

/// The log text GetLogs streams for a `LogDataRequest`.
pub fn log_text(shared: &Shared, body: &Value) -> Result<Vec<u8>, RpcError> {
    let logref = wire::string(body, "ref")?;
    let store = shared.lock();
    if store.unreadable_logs.contains(&logref) {
        return Err(RpcError::unknown(format!(
            "get log data {logref}: read log: unexpected EOF"
        )));
    }
    Ok(match store.ledger.logs.get(&logref) {
        Some(text) => text.clone().into_bytes(),
        None => format!("file associated with log {logref} not found, it may have expired.")
            .into_bytes(),
    })
}
