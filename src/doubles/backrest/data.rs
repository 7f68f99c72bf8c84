//! Datasets a double serves: [`BackrestDataset::from_fixtures`] reproduces the captured server
//! (`tests/fixtures/backrest/`); [`BackrestDataset::sample`] builds a plausible MSP instance with
//! fixed cases for tests; [`BackrestDataset::site`] builds one customer's host from a spec.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{OpKind, Operation, Snapshot, SourceFile};

/// Repo password put in place of the captures' `<REPO_PASSWORD>` placeholder (served in clear).
pub const FIXTURE_REPO_PASSWORD: &str = "fixture-repo-password-4f8a";

const CONFIG: &str = include_str!("../../../tests/fixtures/backrest/authed_bearer_get_config.json");
const OPERATIONS: &str =
    include_str!("../../../tests/fixtures/backrest/get_operations_all_final.json");
const SNAPSHOTS: &str = include_str!("../../../tests/fixtures/backrest/list_snapshots_final.json");
const DASHBOARD: &str =
    include_str!("../../../tests/fixtures/backrest/get_summary_dashboard_final.json");
const BROKEN_BACKUP: &str =
    include_str!("../../../tests/fixtures/backrest/backup_broken_plan_error.json");

/// Everything an instance serves.
#[derive(Clone, Debug, Default)]
pub struct BackrestDataset {
    /// `v1.Config` JSON with secrets in clear (`auth` is replaced by the double's auth mode).
    pub config: Value,
    /// Operation log.
    pub operations: Vec<Operation>,
    /// Snapshots, each with its `repo_id`.
    pub snapshots: Vec<Snapshot>,
    /// Log text by log ref.
    pub logs: BTreeMap<String, String>,
    /// Log refs whose GetLogs stream ends with an error.
    pub unreadable_logs: BTreeSet<String>,
    /// Files under each plan path (snapshot contents and backup sizes).
    pub source_files: BTreeMap<String, Vec<SourceFile>>,
    /// Plans whose backups fail, with the message.
    pub failing_plans: BTreeMap<String, String>,
    /// Host paths that already exist (restore targets).
    pub existing_paths: BTreeSet<String>,
    /// Host name in new snapshots.
    pub hostname: String,
    /// restic binary path quoted in error messages.
    pub restic_bin: String,
    /// Dashboard `configPath`.
    pub config_path: String,
    /// Dashboard `dataPath`.
    pub data_path: String,
}

/// The response body of a bundled capture (`Null` if unreadable).
fn response_body(capture: &str) -> Value {
    serde_json::from_str::<Value>(capture)
        .ok()
        .and_then(|v| v.pointer("/response/body").cloned())
        .unwrap_or(Value::Null)
}

fn list<T: serde::de::DeserializeOwned>(body: &Value, key: &str) -> Vec<T> {
    body.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| serde_json::from_value(v.clone()).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Task log text the captured operations plausibly had.
fn fixture_log(op: &Operation) -> String {
    let what = match &op.kind {
        OpKind::OperationBackup(_) => "backup",
        OpKind::OperationForget(_) => "forget",
        OpKind::OperationRestore(_) => "restore",
        OpKind::OperationPrune(_) => "prune",
        OpKind::OperationCheck(_) => "check",
        OpKind::OperationStats(_) => "stats",
        _ => "task",
    };
    let outcome = match op.display_message.as_str() {
        "" => format!("{} finished: {}", what, op.status.name()),
        m => m.to_string(),
    };
    format!(
        "running {what} for plan {:?} in repo {:?}\n{outcome}\n",
        op.plan_id, op.repo_id
    )
}

impl BackrestDataset {
    /// The server the captures were taken from, in its final captured state: instance
    /// `gateway-test`, repo `local-repo`, plans `big-plan`, `broken-plan` (its backups fail),
    /// `docs-plan`, `photos-plan`, 18 operations and 2 snapshots.
    pub fn from_fixtures() -> BackrestDataset {
        let config_text = response_body(CONFIG)
            .to_string()
            .replace("<REPO_PASSWORD>", FIXTURE_REPO_PASSWORD);
        let config: Value = serde_json::from_str(&config_text).unwrap_or(Value::Null);
        let operations: Vec<Operation> = list(&response_body(OPERATIONS), "operations");
        let mut snapshots: Vec<Snapshot> = list(&response_body(SNAPSHOTS), "snapshots");
        for s in &mut snapshots {
            s.repo_id = "local-repo".into();
        }
        let mut logs = BTreeMap::new();
        for op in &operations {
            if !op.logref.is_empty() {
                logs.insert(op.logref.clone(), fixture_log(op));
            }
            if let Some(out) = op.kind.body().get("outputLogref").and_then(Value::as_str) {
                logs.insert(out.to_string(), "no errors were found\n".to_string());
            }
        }
        let dashboard = response_body(DASHBOARD);
        let text = |v: &Value, k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let broken = response_body(BROKEN_BACKUP);
        let root = "/srv/backrest/run/sources";
        let source_files = BTreeMap::from([
            (
                format!("{root}/docs"),
                vec![
                    SourceFile::new("added-later.txt", 14),
                    SourceFile::new("numbers.txt", 8893),
                    SourceFile::new("readme.txt", 15),
                    SourceFile::new("sub/nested.txt", 13),
                ],
            ),
            (
                format!("{root}/photos"),
                vec![
                    SourceFile::new("img-0001.jpg", 30000),
                    SourceFile::new("img-0002.jpg", 20000),
                ],
            ),
            (
                format!("{root}/big"),
                vec![SourceFile::new("big.bin", 268_435_456)],
            ),
        ]);
        BackrestDataset {
            config,
            operations,
            snapshots,
            logs,
            unreadable_logs: BTreeSet::new(),
            source_files,
            failing_plans: BTreeMap::from([("broken-plan".to_string(), text(&broken, "message"))]),
            existing_paths: BTreeSet::new(),
            hostname: "vm".into(),
            restic_bin: "/srv/backrest/bin/restic".into(),
            config_path: text(&dashboard, "configPath"),
            data_path: text(&dashboard, "dataPath"),
        }
    }
}
