//! The mutable state of one double (config, ledger, scheduled jobs, recorded calls) and the
//! read-only [`BackrestState`] view tests assert on.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::backup::BackupSpec;
use super::data::BackrestDataset;
use super::ids::IdGen;
use super::ledger::Ledger;
use super::metrics::AuthScheme;
use super::model::{Operation, Snapshot, SourceFile};

/// One RPC the double received, with its exact decoded request body.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordedCall {
    /// Method name, e.g. `DoRepoTask`.
    pub method: String,
    /// Request body as sent.
    pub body: Value,
    /// Authorization scheme the request carried.
    pub auth: AuthScheme,
}

/// Snapshot of a double's state for assertions.
#[derive(Clone, Debug)]
pub struct BackrestState {
    /// Config as stored (secrets in clear, user hashes as given).
    pub config: Value,
    /// Operations in id order.
    pub operations: Vec<Operation>,
    /// Snapshots of all repos (see [`Snapshot::repo_id`]).
    pub snapshots: Vec<Snapshot>,
    /// Every decoded RPC request, in arrival order.
    pub calls: Vec<RecordedCall>,
}

impl BackrestState {
    /// Request bodies received for one method, in order.
    pub fn bodies(&self, method: &str) -> Vec<&Value> {
        self.calls
            .iter()
            .filter(|c| c.method == method)
            .map(|c| &c.body)
            .collect()
    }

    /// One operation by id.
    pub fn operation(&self, id: i64) -> Option<&Operation> {
        self.operations.iter().find(|o| o.id == id)
    }
}

/// The live state behind the double's mutex.
#[derive(Debug)]
pub struct Store {
    /// Config (`v1.Config` JSON) with secrets in clear.
    pub config: Value,
    /// Operations, snapshots, logs.
    pub ledger: Ledger,
    /// Files under each plan path.
    pub source_files: BTreeMap<String, Vec<SourceFile>>,
    /// Plans whose backups fail, with the error message.
    pub failing_plans: BTreeMap<String, String>,
    /// Log refs whose reading fails.
    pub unreadable_logs: BTreeSet<String>,
    /// Host paths that exist (restore targets are refused on them).
    pub existing_paths: BTreeSet<String>,
    /// Snapshot host name for new backups.
    pub hostname: String,
    /// Path of the restic binary quoted in error messages.
    pub restic_bin: String,
    /// `configPath` of the dashboard.
    pub config_path: String,
    /// `dataPath` of the dashboard.
    pub data_path: String,
    /// Cancellation handles of scheduled or running jobs, by operation id.
    pub running: HashMap<i64, CancellationToken>,
    /// Recorded requests.
    pub calls: Vec<RecordedCall>,
}

impl Store {
    /// A store holding a dataset.
    pub fn new(dataset: BackrestDataset) -> Self {
        Store {
            config: dataset.config,
            ledger: Ledger::new(
                dataset.operations,
                dataset.snapshots,
                dataset.logs,
                IdGen::random(),
            ),
            source_files: dataset.source_files,
            failing_plans: dataset.failing_plans,
            unreadable_logs: dataset.unreadable_logs,
            existing_paths: dataset.existing_paths,
            hostname: dataset.hostname,
            restic_bin: dataset.restic_bin,
            config_path: dataset.config_path,
            data_path: dataset.data_path,
            running: HashMap::new(),
            calls: Vec::new(),
        }
    }

    /// The read-only view.
    pub fn view(&self) -> BackrestState {
        BackrestState {
            config: self.config.clone(),
            operations: self.ledger.operations.values().cloned().collect(),
            snapshots: self.ledger.snapshots.clone(),
            calls: self.calls.clone(),
        }
    }

    /// `config.instance`.
    pub fn instance(&self) -> String {
        self.config
            .get("instance")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    }

    fn find(&self, list: &str, id: &str) -> Option<&Value> {
        self.config
            .get(list)?
            .as_array()?
            .iter()
            .find(|r| r.get("id").and_then(Value::as_str) == Some(id))
    }

    /// A repo by id.
    pub fn repo(&self, id: &str) -> Option<&Value> {
        self.find("repos", id)
    }

    /// A plan by id.
    pub fn plan(&self, id: &str) -> Option<&Value> {
        self.find("plans", id)
    }

    /// `(repo id, guid)` of a repo.
    pub fn repo_key(&self, id: &str) -> Option<(String, String)> {
        let repo = self.repo(id)?;
        let guid = repo.get("guid").and_then(Value::as_str).unwrap_or_default();
        Some((id.to_string(), guid.to_string()))
    }

    /// What a backup of a plan needs, if plan and repo exist.
    pub fn backup_spec(&self, plan_id: &str) -> Option<BackupSpec> {
        let plan = self.plan(plan_id)?;
        let repo_id = plan.get("repo").and_then(Value::as_str).unwrap_or_default();
        let (repo_id, repo_guid) = self.repo_key(repo_id)?;
        let paths: Vec<String> = plan
            .get("paths")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default();
        let files = paths
            .iter()
            .flat_map(|p| self.source_files.get(p).cloned().unwrap_or_default())
            .collect();
        Some(BackupSpec {
            plan_id: plan_id.to_string(),
            repo_id,
            repo_guid,
            instance: self.instance(),
            hostname: self.hostname.clone(),
            paths,
            files,
            retention: plan.get("retention").cloned(),
            restic_bin: self.restic_bin.clone(),
        })
    }
}
