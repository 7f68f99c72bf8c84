//! The operation log, snapshots and task logs of one instance, with the bookkeeping Backrest does
//! when operations are created, modified, removed and when snapshots are forgotten.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ids::IdGen;
use super::model::{OpKind, OpStatus, Operation, Snapshot};

/// Plan id Backrest records repo maintenance under.
pub const SYSTEM_PLAN: &str = "_system_";

/// Operations, snapshots and logs plus the id and modno counters.
#[derive(Clone, Debug)]
pub struct Ledger {
    /// Operations by id.
    pub operations: BTreeMap<i64, Operation>,
    /// Snapshots of all repos, in creation order.
    pub snapshots: Vec<Snapshot>,
    /// Log text by log ref.
    pub logs: BTreeMap<String, String>,
    /// Id generator for snapshots, trees and log refs.
    pub ids: IdGen,
    next_id: i64,
    modno: i64,
}

impl Ledger {
    /// A ledger continuing the counters of existing data.
    pub fn new(
        operations: Vec<Operation>,
        snapshots: Vec<Snapshot>,
        logs: BTreeMap<String, String>,
        ids: IdGen,
    ) -> Self {
        let next_id = operations.iter().map(|o| o.id).max().unwrap_or(0) + 1;
        let modno = operations.iter().map(|o| o.modno).max().unwrap_or(0);
        Ledger {
            operations: operations.into_iter().map(|o| (o.id, o)).collect(),
            snapshots,
            logs,
            ids,
            next_id,
            modno,
        }
    }

    /// An operation skeleton with its common fields set.
    pub fn blank(
        repo: (&str, &str),
        plan_id: &str,
        instance: &str,
        status: OpStatus,
        kind: OpKind,
    ) -> Operation {
        Operation {
            id: 0,
            modno: 0,
            flow_id: 0,
            repo_id: repo.0.to_string(),
            repo_guid: repo.1.to_string(),
            plan_id: plan_id.to_string(),
            instance_id: instance.to_string(),
            snapshot_id: String::new(),
            status,
            unix_time_start_ms: 0,
            unix_time_end_ms: 0,
            display_message: String::new(),
            logref: String::new(),
            kind,
        }
    }

    /// Stores a new operation (id and modno assigned; flow defaults to its own id).
    pub fn insert(&mut self, mut op: Operation) -> i64 {
        op.id = self.next_id;
        self.next_id += 1;
        if op.flow_id == 0 {
            op.flow_id = op.id;
        }
        self.modno += 1;
        op.modno = self.modno;
        let id = op.id;
        self.operations.insert(id, op);
        id
    }

    /// Modifies an operation and bumps its modno; false if it does not exist.
    pub fn update(&mut self, id: i64, f: impl FnOnce(&mut Operation)) -> bool {
        let Some(op) = self.operations.get_mut(&id) else {
            return false;
        };
        f(op);
        self.modno += 1;
        op.modno = self.modno;
        true
    }

    /// Marks an operation terminal with an end time and optional message.
    pub fn finish(&mut self, id: i64, status: OpStatus, end_ms: i64, message: &str) -> bool {
        self.update(id, |op| {
            op.status = status;
            op.unix_time_end_ms = end_ms;
            if !message.is_empty() {
                op.display_message = message.to_string();
            }
        })
    }

    /// Stores log text under a fresh ref with the given prefix (`t` task log, `c` command output).
    pub fn add_log(&mut self, prefix: char, text: String) -> String {
        let logref = format!("{prefix}-{}", self.ids.uuid());
        self.logs.insert(logref.clone(), text);
        logref
    }

    /// Snapshots of a repo, oldest first.
    pub fn repo_snapshots(&self, repo_id: &str) -> Vec<&Snapshot> {
        let mut v: Vec<&Snapshot> = self
            .snapshots
            .iter()
            .filter(|s| s.repo_id == repo_id)
            .collect();
        v.sort_by_key(|s| s.unix_time_ms);
        v
    }

    /// Finds a snapshot of a repo by id or unique id prefix, as restic does.
    pub fn find_snapshot(&self, repo_id: &str, id: &str) -> Option<&Snapshot> {
        if id.is_empty() {
            return None;
        }
        let mut hits = self
            .snapshots
            .iter()
            .filter(|s| s.repo_id == repo_id && s.id.starts_with(id));
        let first = hits.next()?;
        hits.next().is_none().then_some(first)
    }

    /// Removes snapshots and flags their index operations `forgot`; returns what was removed.
    pub fn forget_snapshots(&mut self, repo_id: &str, ids: &[String]) -> Vec<Snapshot> {
        let (gone, kept): (Vec<Snapshot>, Vec<Snapshot>) = std::mem::take(&mut self.snapshots)
            .into_iter()
            .partition(|s| s.repo_id == repo_id && ids.contains(&s.id));
        self.snapshots = kept;
        let index_ops: Vec<i64> = self
            .operations
            .values()
            .filter(|o| {
                matches!(o.kind, OpKind::OperationIndexSnapshot(_))
                    && gone.iter().any(|s| s.id == o.snapshot_id)
            })
            .map(|o| o.id)
            .collect();
        for id in index_ops {
            self.update(id, |op| {
                if let Value::Object(m) = op.kind.body_mut() {
                    m.insert("forgot".into(), json!(true));
                }
            });
        }
        gone
    }
}
