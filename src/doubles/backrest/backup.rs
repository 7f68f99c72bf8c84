//! What a backup does to the ledger: the in-progress operation, progress, the summary, the new
//! snapshot and the forget + index-snapshot operations that follow it in the same flow.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::ledger::Ledger;
use super::model::{OpKind, OpStatus, Snapshot, SourceFile};
use super::omit::Obj;

/// Everything about a plan a backup needs.
#[derive(Clone, Debug)]
pub struct BackupSpec {
    /// Plan id.
    pub plan_id: String,
    /// Repo id.
    pub repo_id: String,
    /// Repo guid.
    pub repo_guid: String,
    /// Instance id (operations and `created-by:` tag).
    pub instance: String,
    /// Snapshot host name.
    pub hostname: String,
    /// Plan paths.
    pub paths: Vec<String>,
    /// Files under the plan paths.
    pub files: Vec<SourceFile>,
    /// Plan retention policy (`RetentionPolicy` JSON), if any.
    pub retention: Option<Value>,
    /// Path of the restic binary, as it appears in error messages.
    pub restic_bin: String,
}

/// How a backup ends.
#[derive(Clone, Debug)]
pub enum BackupOutcome {
    /// Snapshot created.
    Success,
    /// Snapshot created, some files unreadable (message per file).
    Warning(String),
    /// Failed with a display message.
    Error(String),
    /// restic exited with `code` after printing `fatal` (its `exit_error` line); Backrest's
    /// message quotes the command line and restic's JSON output, as the captures show.
    ResticFailed { code: i32, fatal: String },
    /// Cancelled by a user, with the display message.
    Cancelled(String),
    /// `--dry-run`: a summary, no snapshot.
    DryRun,
}

impl BackupSpec {
    /// The restic command line Backrest would print in error messages.
    pub fn command_line(&self) -> String {
        format!(
            "{} backup --json {} -o sftp.args=-oBa...",
            self.restic_bin,
            self.paths.join(" ")
        )
    }

    /// Message of a backup killed by Cancel (as captured from Backrest 1.14).
    pub fn cancel_message(&self) -> String {
        format!(
            "failed to backup: command {:?} failed: exit code -1: backup failed\noutput processing: no summary event found",
            self.command_line()
        )
    }

    /// Backrest's display message for a restic run that exited with `code` (the captured shape:
    /// the quoted command line, the exit status and restic's `--json` output).
    pub fn restic_failure(&self, code: i32, fatal: &str) -> String {
        let exit = json!({"message_type": "exit_error", "code": code, "message": fatal});
        format!(
            "failed to backup: command {:?} failed: exit status {code}\nOutput:\n{exit}\n",
            self.command_line()
        )
    }

    /// Bytes under the plan paths.
    pub fn total_bytes(&self) -> i64 {
        self.files
            .iter()
            .map(|f| i64::try_from(f.size).unwrap_or(i64::MAX))
            .sum()
    }

    fn dir_count(&self) -> i64 {
        let dirs: BTreeSet<&str> = self
            .files
            .iter()
            .filter_map(|f| f.path.rsplit_once('/').map(|(d, _)| d))
            .collect();
        i64::try_from(dirs.len()).unwrap_or(0) + 1
    }

    /// A `BackupProgressEntry.summary`; `first` = nothing to deduplicate against.
    pub fn summary(&self, first: bool, dry: bool, secs: f64, snapshot_id: &str) -> Obj {
        let n = i64::try_from(self.files.len()).unwrap_or(0);
        let bytes = self.total_bytes();
        let dirs = self.dir_count();
        let s = Obj::new();
        let s = if dry {
            s.i64("filesUnmodified", n).i64("dirsUnmodified", dirs)
        } else if first {
            s.i64("filesNew", n)
                .i64("dirsNew", dirs)
                .i64("dataBlobs", n)
                .i64("treeBlobs", dirs + 1)
                .i64("dataAdded", bytes + bytes / 20 + 512)
        } else {
            let changed = n.min(1);
            s.i64("filesChanged", changed)
                .i64("filesUnmodified", n - changed)
                .i64("dirsChanged", dirs)
                .i64("dataBlobs", changed)
                .i64("treeBlobs", dirs)
                .i64("dataAdded", bytes / n.max(1) / 10 + 300)
        };
        s.i64("totalFilesProcessed", n)
            .i64("totalBytesProcessed", bytes)
            .f64("totalDuration", secs)
            .str("snapshotId", snapshot_id)
    }

    /// A `BackupProgressEntry.status` at `fraction` done.
    pub fn progress(&self, fraction: f64) -> Value {
        let n = i64::try_from(self.files.len()).unwrap_or(0);
        let bytes = self.total_bytes();
        // Truncation is intended: progress counters are whole files and bytes.
        let part = |v: i64| (v as f64 * fraction) as i64;
        json!({"lastStatus": {"status": Obj::new()
            .f64("percentDone", fraction)
            .i64("totalFiles", n)
            .i64("totalBytes", bytes)
            .i64("filesDone", part(n))
            .i64("bytesDone", part(bytes))
            .build()}})
    }
}

/// Creates the INPROGRESS backup operation and its task log; returns its id.
pub fn start(ledger: &mut Ledger, spec: &BackupSpec, start_ms: i64) -> i64 {
    let mut op = Ledger::blank(
        (&spec.repo_id, &spec.repo_guid),
        &spec.plan_id,
        &spec.instance,
        OpStatus::InProgress,
        OpKind::OperationBackup(json!({})),
    );
    op.unix_time_start_ms = start_ms;
    op.logref = ledger.add_log(
        't',
        format!("command: {}\nscanning...\n", spec.command_line()),
    );
    ledger.insert(op)
}

/// Records the end of a backup started with [`start`].
pub fn finish(
    ledger: &mut Ledger,
    id: i64,
    spec: &BackupSpec,
    outcome: &BackupOutcome,
    end_ms: i64,
) {
    let start_ms = ledger
        .operations
        .get(&id)
        .map_or(end_ms, |o| o.unix_time_start_ms);
    let secs = (end_ms - start_ms).max(0) as f64 / 1000.0;
    let log = |ledger: &mut Ledger, line: &str| {
        if let Some(op) = ledger.operations.get(&id) {
            let logref = op.logref.clone();
            if let Some(text) = ledger.logs.get_mut(&logref) {
                text.push_str(line);
                text.push('\n');
            }
        }
    };
    match outcome {
        BackupOutcome::ResticFailed { code, fatal } => {
            log(ledger, fatal);
            let msg = spec.restic_failure(*code, fatal);
            ledger.finish(id, OpStatus::Error, end_ms, &msg);
        }
        BackupOutcome::Error(msg) | BackupOutcome::Cancelled(msg) => {
            let status = if matches!(outcome, BackupOutcome::Error(_)) {
                OpStatus::Error
            } else {
                OpStatus::UserCancelled
            };
            log(ledger, msg);
            ledger.finish(id, status, end_ms, msg);
        }
        BackupOutcome::DryRun => {
            let snap = ledger.ids.object_id();
            let summary = spec.summary(false, true, secs, &snap);
            log(ledger, "dry run complete");
            ledger.update(id, |op| {
                op.kind = OpKind::OperationBackup(json!({
                    "lastStatus": {"summary": summary.build()}, "dryRun": true
                }));
            });
            ledger.finish(
                id,
                OpStatus::Success,
                end_ms,
                "Dry run backup, not saved in repo",
            );
        }
        BackupOutcome::Success | BackupOutcome::Warning(_) => {
            let warning = match outcome {
                BackupOutcome::Warning(w) => w.clone(),
                _ => String::new(),
            };
            let snapshot = new_snapshot(ledger, spec, start_ms + (end_ms - start_ms) / 3, secs);
            let first = snapshot.parent.is_empty();
            let summary = spec.summary(first, false, secs, &snapshot.id).build();
            if !warning.is_empty() {
                log(ledger, &format!("error: {warning}"));
            }
            log(ledger, &format!("snapshot {} saved", snapshot.id));
            let errors = if warning.is_empty() {
                Value::Null
            } else {
                json!([{"item": spec.paths.first().cloned().unwrap_or_default(), "during": "archival", "message": warning}])
            };
            ledger.update(id, |op| {
                op.snapshot_id = snapshot.id.clone();
                op.kind = OpKind::OperationBackup(
                    Obj::new()
                        .val("lastStatus", json!({"summary": summary}))
                        .val("errors", errors)
                        .build(),
                );
            });
            let status = if warning.is_empty() {
                OpStatus::Success
            } else {
                OpStatus::Warning
            };
            let message = if warning.is_empty() {
                String::new()
            } else {
                format!("partial backup, 1 file could not be read: {warning}")
            };
            ledger.finish(id, status, end_ms, &message);
            follow_up(ledger, id, spec, snapshot, end_ms);
        }
    }
}

/// Adds a snapshot for the plan (parent = the plan's latest) and returns it.
fn new_snapshot(ledger: &mut Ledger, spec: &BackupSpec, time_ms: i64, secs: f64) -> Snapshot {
    let parent = ledger
        .repo_snapshots(&spec.repo_id)
        .into_iter()
        .rev()
        .find(|s| s.has_plan(&spec.plan_id))
        .map(|s| s.id.clone())
        .unwrap_or_default();
    let id = ledger.ids.object_id();
    let rounded = (secs * 1000.0).round() / 1000.0;
    let mut summary = spec.summary(parent.is_empty(), false, rounded, "").build();
    if let Value::Object(m) = &mut summary {
        m.remove("snapshotId");
    }
    let snapshot = Snapshot {
        id,
        unix_time_ms: time_ms,
        hostname: spec.hostname.clone(),
        username: "root".into(),
        tree: ledger.ids.object_id(),
        parent,
        paths: spec.paths.clone(),
        tags: vec![
            format!("plan:{}", spec.plan_id),
            format!("created-by:{}", spec.instance),
        ],
        summary: Some(summary),
        repo_id: spec.repo_id.clone(),
    };
    ledger.snapshots.push(snapshot.clone());
    snapshot
}

/// The index-snapshot and retention forget operations of a finished backup's flow.
fn follow_up(ledger: &mut Ledger, flow: i64, spec: &BackupSpec, snapshot: Snapshot, end_ms: i64) {
    let repo = (spec.repo_id.as_str(), spec.repo_guid.as_str());
    let mut index = Ledger::blank(
        repo,
        &spec.plan_id,
        &spec.instance,
        OpStatus::Success,
        OpKind::OperationIndexSnapshot(json!({"snapshot": snapshot})),
    );
    index.flow_id = flow;
    index.snapshot_id = snapshot.id.clone();
    index.unix_time_start_ms = snapshot.unix_time_ms;
    index.unix_time_end_ms = end_ms;
    ledger.insert(index);

    let policy = spec.retention.clone().unwrap_or(Value::Null);
    let gone = apply_retention(ledger, &spec.repo_id, &spec.plan_id, &policy);
    let mut forget = Ledger::blank(
        repo,
        &spec.plan_id,
        &spec.instance,
        OpStatus::Success,
        OpKind::OperationForget(
            Obj::new()
                .val("forget", serde_json::to_value(&gone).unwrap_or(Value::Null))
                .val("policy", policy)
                .build(),
        ),
    );
    forget.flow_id = flow;
    forget.unix_time_start_ms = end_ms + 5;
    forget.unix_time_end_ms = end_ms + 600;
    forget.logref = ledger.add_log('t', format!("forget: {} snapshot(s) removed\n", gone.len()));
    ledger.insert(forget);
}

/// Forgets the plan's snapshots a retention policy drops. Only `policyKeepLastN` removes
/// anything in the double; time-bucketed and keep-all policies keep every snapshot.
pub fn apply_retention(
    ledger: &mut Ledger,
    repo_id: &str,
    plan_id: &str,
    policy: &Value,
) -> Vec<Snapshot> {
    let Some(keep) = policy.get("policyKeepLastN").and_then(Value::as_u64) else {
        return Vec::new();
    };
    let plan: Vec<String> = ledger
        .repo_snapshots(repo_id)
        .into_iter()
        .filter(|s| s.has_plan(plan_id))
        .map(|s| s.id.clone())
        .collect();
    let drop = plan
        .len()
        .saturating_sub(usize::try_from(keep).unwrap_or(usize::MAX));
    ledger.forget_snapshots(repo_id, &plan[..drop])
}
