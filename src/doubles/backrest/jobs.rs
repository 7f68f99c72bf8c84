//! Background jobs: backups and scheduled operations (repo tasks, forget, restore) run in their
//! own tasks so they keep going when the client disconnects, and can be cancelled by id.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio_util::sync::CancellationToken;

use super::backup::{self, BackupOutcome, BackupSpec};
use super::errors::RpcError;
use super::model::{OpKind, OpStatus};
use super::shared::{Shared, now_ms};
use super::state::Store;

/// Progress updates during a backup.
const BACKUP_STEPS: u32 = 4;

/// Sleeps unless cancelled (by Cancel or shutdown); true if it slept the whole time.
async fn pause(shared: &Shared, token: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => true,
        () = token.cancelled() => false,
        () = shared.shutdown.cancelled() => false,
    }
}

/// Starts a backup of a plan; the returned receiver yields the RPC result when it ends.
pub fn start_backup(
    shared: &Arc<Shared>,
    spec: BackupSpec,
    dry_run: bool,
) -> tokio::sync::oneshot::Receiver<Result<(), RpcError>> {
    let token = CancellationToken::new();
    let id = {
        let mut store = shared.lock();
        let id = backup::start(&mut store.ledger, &spec, now_ms());
        store.running.insert(id, token.clone());
        id
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let shared = shared.clone();
    tokio::spawn(async move {
        let result = run_backup(&shared, id, &spec, dry_run, &token).await;
        let _ = tx.send(result);
    });
    rx
}

async fn run_backup(
    shared: &Shared,
    id: i64,
    spec: &BackupSpec,
    dry_run: bool,
    token: &CancellationToken,
) -> Result<(), RpcError> {
    let step = shared.backup_duration / BACKUP_STEPS;
    let mut completed = true;
    for i in 1..=BACKUP_STEPS {
        if !pause(shared, token, step).await {
            completed = false;
            break;
        }
        if i < BACKUP_STEPS {
            let progress = spec.progress(f64::from(i) / f64::from(BACKUP_STEPS));
            shared
                .lock()
                .ledger
                .update(id, |op| op.kind = OpKind::OperationBackup(progress));
        }
    }
    let mut store = shared.lock();
    let outcome = if !completed {
        BackupOutcome::Cancelled(format!(
            "{}\n\nnote: task was cancelled by user request",
            spec.cancel_message()
        ))
    } else if let Some(msg) = store.failing_plans.get(&spec.plan_id) {
        BackupOutcome::Error(msg.clone())
    } else if dry_run {
        BackupOutcome::DryRun
    } else {
        BackupOutcome::Success
    };
    backup::finish(&mut store.ledger, id, spec, &outcome, now_ms());
    store.running.remove(&id);
    match outcome {
        BackupOutcome::Error(msg) => Err(RpcError::unknown(msg)),
        BackupOutcome::ResticFailed { code, fatal } => {
            Err(RpcError::unknown(spec.restic_failure(code, &fatal)))
        }
        BackupOutcome::Cancelled(_) => Err(RpcError::unknown(spec.cancel_message())),
        _ => Ok(()),
    }
}

/// How a scheduled operation completes, applied under the store lock with the end time.
pub type Completion = Box<dyn FnOnce(&mut Store, i64, i64) + Send>;

/// Runs a PENDING operation: INPROGRESS after half the task time, `complete` at the end,
/// USER_CANCELLED if cancelled first.
pub fn schedule(shared: &Arc<Shared>, store: &mut Store, id: i64, complete: Completion) {
    let token = CancellationToken::new();
    store.running.insert(id, token.clone());
    let shared = shared.clone();
    tokio::spawn(async move {
        let half = shared.task_duration / 2;
        let mut done = pause(&shared, &token, half).await;
        if done {
            shared.lock().ledger.update(id, |op| {
                op.status = OpStatus::InProgress;
                op.unix_time_start_ms = now_ms();
            });
            done = pause(&shared, &token, half).await;
        }
        let mut store = shared.lock();
        store.running.remove(&id);
        if done {
            complete(&mut store, id, now_ms());
        } else {
            store
                .ledger
                .finish(id, OpStatus::UserCancelled, now_ms(), "operation cancelled");
        }
    });
}

/// Cancel: signals a job, or directly cancels an active operation without one; unknown ids and
/// finished operations are ignored.
pub fn cancel(store: &mut Store, id: i64) {
    if let Some(token) = store.running.get(&id) {
        token.cancel();
        return;
    }
    let active = store
        .ledger
        .operations
        .get(&id)
        .is_some_and(|o| o.status.is_active());
    if active {
        store
            .ledger
            .finish(id, OpStatus::UserCancelled, now_ms(), "operation cancelled");
    }
}

/// Completion of a prune or check: command output log and success.
pub fn with_output(kind: fn(serde_json::Value) -> OpKind, text: String) -> Completion {
    Box::new(move |store, id, end| {
        let logref = store.ledger.add_log('c', text);
        store
            .ledger
            .update(id, |op| op.kind = kind(json!({"outputLogref": logref})));
        store.ledger.finish(id, OpStatus::Success, end, "");
    })
}
