//! Mutating RPCs: Backup (blocking), DoRepoTask, Cancel, Forget and Restore.

use std::sync::Arc;

use serde_json::{Value, json};

use super::backup::apply_retention;
use super::errors::{Code, RpcError};
use super::jobs::{self, Completion};
use super::ledger::{Ledger, SYSTEM_PLAN};
use super::model::{OpKind, OpStatus};
use super::omit::Obj;
use super::shared::{Shared, now_ms};
use super::state::Store;
use super::wire;

/// `DoRepoTask.Task` names in number order.
const TASKS: [&str; 7] = [
    "TASK_NONE",
    "TASK_INDEX_SNAPSHOTS",
    "TASK_PRUNE",
    "TASK_CHECK",
    "TASK_STATS",
    "TASK_UNLOCK",
    "TASK_FORGET",
];

/// `Backup`: blocks until the backup ends; the backup outlives a disconnected client.
pub async fn backup(shared: &Arc<Shared>, body: &Value) -> Result<Value, RpcError> {
    let plan_id = wire::string(body, "value")?;
    let dry_run = wire::boolean(body, "dryRun")?;
    let spec = shared
        .lock()
        .backup_spec(&plan_id)
        .ok_or_else(|| RpcError::plan_not_found(&plan_id))?;
    let done = jobs::start_backup(shared, spec, dry_run);
    match done.await {
        Ok(result) => result.map(|()| json!({})),
        Err(_) => Err(RpcError::unknown("failed to backup: task dropped")),
    }
}

/// An operation id response (`{}` for 0).
fn operation_id(id: i64) -> Value {
    Obj::new().i64("operationId", id).build()
}

/// Creates a PENDING operation scheduled now and starts its job.
fn schedule_op(
    shared: &Arc<Shared>,
    store: &mut Store,
    mut op: super::model::Operation,
    done: Completion,
) -> i64 {
    op.unix_time_start_ms = now_ms();
    op.logref = store
        .ledger
        .add_log('t', format!("scheduled {}\n", op.plan_id));
    let id = store.ledger.insert(op);
    jobs::schedule(shared, store, id, done);
    id
}

fn success() -> Completion {
    Box::new(|store, id, end| {
        store.ledger.finish(id, OpStatus::Success, end, "");
    })
}

/// `DoRepoTask`: schedules maintenance under plan `_system_`.
pub fn do_repo_task(shared: &Arc<Shared>, body: &Value) -> Result<Value, RpcError> {
    let repo_id = wire::string(body, "repoId")?;
    let task = wire::enumeration(body, "task", &TASKS)?;
    let mut store = shared.lock();
    let repo = store
        .repo(&repo_id)
        .cloned()
        .ok_or_else(|| RpcError::repo_not_found(&repo_id))?;
    let (kind, done): (OpKind, Completion) = match TASKS[task] {
        "TASK_INDEX_SNAPSHOTS" | "TASK_UNLOCK" => return Ok(json!({})),
        "TASK_PRUNE" => (
            OpKind::OperationPrune(json!({})),
            jobs::with_output(OpKind::OperationPrune, "loading indexes...\nfinding data that is still in use\nremoving 0 unused packs\ndone\n".into()),
        ),
        "TASK_CHECK" => (
            OpKind::OperationCheck(json!({})),
            jobs::with_output(OpKind::OperationCheck, "using temporary cache\nload indexes\ncheck all packs\ncheck snapshots, trees and blobs\nno errors were found\n".into()),
        ),
        "TASK_STATS" => (OpKind::OperationStats(json!({})), stats_completion(repo_id.clone())),
        "TASK_FORGET" => {
            let Some(policy) = repo.pointer("/forgetPolicy/retention").cloned() else {
                return Err(RpcError::unknown(format!("repo {repo_id:?} has no forget policy configured")));
            };
            (OpKind::OperationForget(json!({"policy": policy})), success())
        }
        other => return Err(RpcError::invalid(format!("unknown task {other}"))),
    };
    let (repo_id, guid) = store.repo_key(&repo_id).unwrap_or_default();
    let op = Ledger::blank(
        (&repo_id, &guid),
        SYSTEM_PLAN,
        &store.instance(),
        OpStatus::Pending,
        kind,
    );
    Ok(operation_id(schedule_op(shared, &mut store, op, done)))
}

/// Completion of TASK_STATS: repository totals from the snapshots.
fn stats_completion(repo_id: String) -> Completion {
    Box::new(move |store, id, end| {
        let snaps = store.ledger.repo_snapshots(&repo_id);
        let sum = |k: &str| -> i64 {
            snaps
                .iter()
                .filter_map(|s| s.summary.as_ref()?.get(k).and_then(wire::int64_value))
                .sum()
        };
        let size = sum("dataAdded");
        let blobs = sum("dataBlobs") + sum("treeBlobs");
        let count = i64::try_from(snaps.len()).unwrap_or(0);
        let stats = Obj::new()
            .i64("totalSize", size)
            .i64("totalUncompressedSize", size + size / 6)
            .f64("compressionRatio", if size > 0 { 1.16 } else { 0.0 })
            .i64("totalBlobCount", blobs)
            .i64("snapshotCount", count);
        store.ledger.update(id, |op| {
            op.kind = OpKind::OperationStats(Obj::new().msg("stats", stats).build())
        });
        store.ledger.finish(id, OpStatus::Success, end, "");
    })
}

/// `Cancel`: `operationId` (1.14) or `value` (1.13); unknown ids are accepted silently.
pub fn cancel(shared: &Shared, body: &Value) -> Result<Value, RpcError> {
    let id = match wire::int64(body, "operationId")? {
        0 => wire::int64(body, "value")?,
        id => id,
    };
    jobs::cancel(&mut shared.lock(), id);
    Ok(json!({}))
}

/// `Forget`: one snapshot (the operation then removes itself) or the plan's retention policy.
pub fn forget(shared: &Arc<Shared>, body: &Value) -> Result<Value, RpcError> {
    let repo_id = wire::string(body, "repoId")?;
    let plan_id = wire::string(body, "planId")?;
    let snapshot_id = wire::string(body, "snapshotId")?;
    if repo_id.is_empty() || plan_id.is_empty() {
        return Err(RpcError::invalid(
            "must specify repoId and planId and (optionally) snapshotId",
        ));
    }
    let mut store = shared.lock();
    let (repo_id, guid) = store
        .repo_key(&repo_id)
        .ok_or_else(|| RpcError::repo_not_found(&repo_id))?;
    let plan = store
        .plan(&plan_id)
        .cloned()
        .ok_or_else(|| RpcError::plan_not_found(&plan_id))?;
    let instance = store.instance();
    let (kind, done): (OpKind, Completion) = if snapshot_id.is_empty() {
        let policy = plan.get("retention").cloned().unwrap_or(Value::Null);
        let kind = OpKind::OperationForget(Obj::new().val("policy", policy.clone()).build());
        let (repo, plan_id) = (repo_id.clone(), plan_id.clone());
        let done: Completion = Box::new(move |store, id, end| {
            let gone = apply_retention(&mut store.ledger, &repo, &plan_id, &policy);
            store.ledger.update(id, |op| {
                if let Value::Object(m) = op.kind.body_mut()
                    && !gone.is_empty()
                {
                    m.insert("forget".into(), json!(gone));
                }
            });
            store.ledger.finish(id, OpStatus::Success, end, "");
        });
        (kind, done)
    } else {
        let snapshot = store.ledger.find_snapshot(&repo_id, &snapshot_id).cloned();
        let body = Obj::new()
            .val("forget", json!(snapshot.iter().collect::<Vec<_>>()))
            .build();
        let repo = repo_id.clone();
        let done: Completion = Box::new(move |store, id, end| match snapshot {
            Some(s) => {
                store.ledger.forget_snapshots(&repo, &[s.id]);
                store.ledger.operations.remove(&id);
            }
            None => {
                let msg = format!("forget: no matching ID found for prefix {snapshot_id:?}");
                store.ledger.finish(id, OpStatus::Error, end, &msg);
            }
        });
        (OpKind::OperationForget(body), done)
    };
    let op = Ledger::blank(
        (&repo_id, &guid),
        &plan_id,
        &instance,
        OpStatus::Pending,
        kind,
    );
    Ok(operation_id(schedule_op(shared, &mut store, op, done)))
}

/// `Restore`: schedules a restore into a target that must not exist yet; a restore without a
/// `planId` fails as on a real Backrest (500 `unknown`).
pub fn restore(shared: &Arc<Shared>, body: &Value) -> Result<Value, RpcError> {
    let repo_id = wire::string(body, "repoId")?;
    let plan_id = wire::string(body, "planId")?;
    let snapshot_id = wire::string(body, "snapshotId")?;
    let path = match wire::string(body, "path")?.trim() {
        "" => "/".to_string(),
        p => p.to_string(),
    };
    let target = match wire::string(body, "target")?.trim() {
        "" => format!(
            "/root/Downloads/backrest-restore-{}",
            chrono::Utc::now().format("%Y%m%d%H%M%S")
        ),
        t => t.to_string(),
    };
    let mut store = shared.lock();
    let (repo_id, guid) = store
        .repo_key(&repo_id)
        .ok_or_else(|| RpcError::repo_not_found(&repo_id))?;
    if snapshot_id.is_empty() {
        return Err(RpcError::invalid("snapshotId is required"));
    }
    if store.existing_paths.contains(&target) {
        return Err(RpcError::new(
            Code::FailedPrecondition,
            format!("target directory {target:?} already exists"),
        ));
    }
    if plan_id.is_empty() {
        // Backrest 1.14 checks the plan only when the task reaches the oplog, after the target.
        return Err(RpcError::unknown(
            "failed to schedule restore task: add operation to oplog: plan_id is required",
        ));
    }
    store.existing_paths.insert(target.clone());
    let snapshot = store.ledger.find_snapshot(&repo_id, &snapshot_id).cloned();
    let files = snapshot
        .as_ref()
        .map(|s| super::files::totals(s, &store.source_files, &path));
    let mut op = Ledger::blank(
        (&repo_id, &guid),
        &plan_id,
        &store.instance(),
        OpStatus::Pending,
        OpKind::OperationRestore(json!({"path": path, "target": target})),
    );
    op.snapshot_id = snapshot
        .as_ref()
        .map_or(snapshot_id.clone(), |s| s.id.clone());
    let done: Completion = Box::new(move |store, id, end| match files {
        Some((count, bytes)) => {
            let status = Obj::new()
                .str("messageType", "summary")
                .i64("totalBytes", bytes)
                .i64("bytesRestored", bytes)
                .i64("totalFiles", count)
                .i64("filesRestored", count);
            store.ledger.update(id, |op| {
                if let Value::Object(m) = op.kind.body_mut() {
                    m.insert("lastStatus".into(), status.build());
                }
            });
            store.ledger.finish(id, OpStatus::Success, end, "");
        }
        None => {
            let msg = format!("restore failed: no matching ID found for prefix {snapshot_id:?}");
            store.ledger.finish(id, OpStatus::Error, end, &msg);
        }
    });
    Ok(operation_id(schedule_op(shared, &mut store, op, done)))
}
