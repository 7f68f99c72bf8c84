//! Writes that take more than one call: starting a backup without waiting for it, cancelling
//! and verifying by re-reading, and finding which snapshot (and plan) a forget or restore is about.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::client::BackrestClient;
use super::error::BackrestError;
use super::rows;
use super::wire::{OpStatus, Operation};
use crate::fleet::Server;
use crate::policy::{Authorized, Refusal};

/// How long a started backup may take to show up in the operation history.
const FIND_BACKUP_WITHIN: Duration = Duration::from_secs(20);
/// How long a cancelled operation may take to reach a final status.
const VERIFY_CANCEL_WITHIN: Duration = Duration::from_secs(5);
/// How long a detached Backup call may stay open (the backup itself runs on regardless).
const BACKUP_CALL_LIMIT: Duration = Duration::from_secs(24 * 3600);
const POLL: Duration = Duration::from_millis(150);

/// A backup that was started (and is usually still running).
#[derive(Debug, Clone)]
pub struct BackupStarted {
    pub operation: Option<Map<String, Value>>,
    pub operation_id: Option<String>,
}

/// Starts a backup of `plan_id` and returns as soon as its operation appears, leaving the backup
/// running: Backrest's `Backup` call blocks until the backup ends, so it is sent in the
/// background (never retried) and the new operation is found through `GetOperations`.
pub async fn trigger_backup(
    server: Arc<Server>,
    deadline: Instant,
    plan_id: &str,
    dry_run: bool,
    token: Authorized,
) -> Result<BackupStarted, BackrestError> {
    let client = BackrestClient::new(&server, deadline);
    let config = client.config().await?.view;
    if config.plan(plan_id).is_none() {
        return Err(BackrestError::NotFound(format!(
            "plan {plan_id:?} is not on server {}; its plans: {}",
            server.id(),
            config
                .plans
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut selector = json!({"planId": plan_id});
    if !config.instance.is_empty() {
        selector["instanceId"] = json!(config.instance);
    }
    let newest_before =
        newest_backup(&client.operations(selector.clone(), 5).await?, 0).map_or(0, |o| o.id.get());

    let (tx, mut rx) = tokio::sync::oneshot::channel();
    let background = server.clone();
    let plan = plan_id.to_owned();
    tokio::spawn(async move {
        let client = BackrestClient::new(&background, Instant::now() + BACKUP_CALL_LIMIT);
        let result = client.backup(&plan, dry_run, token).await;
        match &result {
            Ok(()) => tracing::info!(server_id = background.id(), plan = %plan, "backup finished"),
            Err(e) => {
                tracing::warn!(server_id = background.id(), plan = %plan, "backup ended: {e}")
            }
        }
        let _ = tx.send(result);
    });

    let give_up = deadline.min(Instant::now() + FIND_BACKUP_WITHIN);
    let mut finished = false;
    loop {
        tokio::time::sleep(POLL).await;
        match rx.try_recv() {
            Ok(Err(e)) => return Err(e),
            Ok(Ok(())) => finished = true,
            Err(_) => {}
        }
        let ops = client.operations(selector.clone(), 5).await?;
        if let Some(op) = newest_backup(&ops, newest_before) {
            let mut operation = rows::operation(op);
            // A just-started backup's `operationBackup` is often still `{}` (no `dryRun` yet):
            // the request says what this run is.
            operation.insert("dry_run".into(), json!(dry_run));
            return Ok(BackupStarted {
                operation_id: Some(op.id.get().to_string()),
                operation: Some(operation),
            });
        }
        if finished || Instant::now() + POLL >= give_up {
            return Ok(BackupStarted {
                operation: None,
                operation_id: None,
            });
        }
    }
}

fn newest_backup(ops: &[Operation], after: i64) -> Option<&Operation> {
    ops.iter()
        .filter(|o| o.operation_backup.is_some() && o.id.get() > after)
        .max_by_key(|o| o.id)
}

/// What a cancel achieved, as re-read from the server.
#[derive(Debug, Clone)]
pub struct CancelResult {
    pub status: OpStatus,
    pub operation: Map<String, Value>,
}

/// Cancels an operation that exists and is not finished, then re-reads it until it is final.
pub async fn cancel(
    server: &Server,
    deadline: Instant,
    operation_id: i64,
    token: Authorized,
) -> Result<CancelResult, BackrestError> {
    let client = BackrestClient::new(server, deadline);
    let before = client.operation(operation_id).await?.ok_or_else(|| {
        BackrestError::NotFound(format!(
            "operation {operation_id} is not on server {} (operation ids are per server; see get_operations)",
            server.id()
        ))
    })?;
    if before.status.is_terminal() {
        return Err(BackrestError::Conflict(format!(
            "operation {operation_id} already finished with status {}; nothing to cancel",
            before.status.name()
        )));
    }
    client.cancel(operation_id, token).await?;
    let give_up = deadline.min(Instant::now() + VERIFY_CANCEL_WITHIN);
    let mut latest = before;
    while !latest.status.is_terminal() && Instant::now() + POLL < give_up {
        tokio::time::sleep(POLL).await;
        if let Some(op) = client.operation(operation_id).await? {
            latest = op;
        }
    }
    Ok(CancelResult {
        status: latest.status,
        operation: rows::operation(&latest),
    })
}

/// A snapshot a forget or restore is about, with the plan Backrest needs for either.
#[derive(Debug, Clone)]
pub struct OwnedSnapshot {
    pub repo_id: String,
    pub plan_id: String,
    pub snapshot_id: String,
}

/// Finds the snapshot and its owning plan (`plan:<id>` tag); refuses a `plan_id` that does not
/// own it, an unknown or ambiguous snapshot, and a snapshot with no plan. Backrest needs the plan
/// for both calls (a restore without one fails with "plan_id is required").
pub async fn owned_snapshot(
    client: &BackrestClient<'_>,
    repo_id: &str,
    snapshot_id: &str,
    plan_id: Option<&str>,
) -> Result<Result<OwnedSnapshot, Refusal>, BackrestError> {
    let snapshots = client.snapshots(repo_id, None).await?;
    let matches: Vec<_> = snapshots
        .iter()
        .filter(|s| s.matches_id(snapshot_id))
        .collect();
    let snapshot = match matches.as_slice() {
        [one] => *one,
        [] => {
            return Ok(Err(Refusal::new(format!(
                "snapshot {snapshot_id:?} is not in repo {repo_id:?} (see list_snapshots)"
            ))));
        }
        _ => {
            return Ok(Err(Refusal::new(format!(
                "snapshot id {snapshot_id:?} is ambiguous in repo {repo_id:?}; give the full id"
            ))));
        }
    };
    let owner = snapshot.plan_tag();
    let plan = match (plan_id, owner) {
        (Some(given), Some(owner)) if given != owner => {
            return Ok(Err(Refusal::new(format!(
                "plan {given:?} does not own snapshot {snapshot_id}: it was made by plan {owner:?}"
            ))));
        }
        (_, Some(owner)) => owner.to_owned(),
        (_, None) => {
            return Ok(Err(Refusal::new(format!(
                "snapshot {snapshot_id} has no plan:<id> tag, so its plan cannot be verified; nothing is sent"
            ))));
        }
    };
    Ok(Ok(OwnedSnapshot {
        repo_id: repo_id.to_owned(),
        plan_id: plan,
        snapshot_id: snapshot.id.clone(),
    }))
}
