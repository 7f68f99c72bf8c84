//! The contents of one fake server, with the lookups the routes need.
//!
//! A [`Dataset`] is plain public data; the indexes behind the lookups are built on first use,
//! so a dataset can be written as a struct literal and then shared read-only in an `Arc`.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::model::{
    Agent, BackupSource, CloudStorageAccount, Group, JobHistory, LogMessage, RunLog, StorageServer,
    Time, User, status,
};

/// Everything one fake Management Server knows.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub groups: Vec<Group>,
    pub agents: Vec<Agent>,
    pub cloud_storage_accounts: Vec<CloudStorageAccount>,
    pub storage_servers: Vec<StorageServer>,
    /// Job runs; keep `JobLogId`s disjoint from `JobId`s (the Log route tries both).
    pub job_histories: Vec<JobHistory>,
    /// Explicit logs by `JobLogId`; other finished runs get a log made up from the run.
    pub logs: HashMap<i64, RunLog>,
    pub users: Vec<User>,
    /// The source tree every connected agent reports.
    pub backup_sources: Vec<BackupSource>,
    /// Key indexes, built on first lookup; leave it `Default::default()`.
    pub lookup: Lookup,
}

/// Lazily built key indexes of a [`Dataset`]. A clone starts empty, so a cloned and
/// edited dataset never uses stale positions.
#[derive(Debug, Default)]
pub struct Lookup(OnceLock<Index>);

impl Clone for Lookup {
    fn clone(&self) -> Self {
        Lookup::default()
    }
}

/// Positions by key, built once.
#[derive(Debug, Default)]
struct Index {
    agents: HashMap<i64, usize>,
    groups: HashMap<i64, usize>,
    runs: HashMap<i64, usize>,
    newest_run_of_job: HashMap<i64, usize>,
    csa_tenants: HashMap<i64, Vec<String>>,
}

impl Dataset {
    fn index(&self) -> &Index {
        self.lookup.0.get_or_init(|| self.build_index())
    }

    fn build_index(&self) -> Index {
        let positions = |keys: &mut dyn Iterator<Item = i64>| {
            keys.enumerate()
                .map(|(i, k)| (k, i))
                .collect::<HashMap<_, _>>()
        };
        let mut index = Index {
            agents: positions(&mut self.agents.iter().map(|a| a.agent_id)),
            groups: positions(&mut self.groups.iter().map(|g| g.group_id)),
            runs: positions(&mut self.job_histories.iter().map(|r| r.job_log_id)),
            ..Index::default()
        };
        for (i, run) in self.job_histories.iter().enumerate() {
            if let Some(job) = run.job_id {
                let newest = index.newest_run_of_job.entry(job).or_insert(i);
                if self.job_histories[*newest].start_date_time < run.start_date_time {
                    *newest = i;
                }
            }
        }
        for agent in &self.agents {
            let Some(tenant) = self.group_tenant(&index, agent.group_id) else {
                continue;
            };
            for csa in agent.devices.iter().filter_map(|d| d.s3.as_ref()?.csa_id) {
                let tenants = index.csa_tenants.entry(csa).or_default();
                if !tenants.iter().any(|t| t == tenant) {
                    tenants.push(tenant.to_owned());
                }
            }
        }
        index
    }

    fn group_tenant(&self, index: &Index, group_id: i64) -> Option<&str> {
        let group = &self.groups[*index.groups.get(&group_id)?];
        group.tenant_id.as_deref()
    }

    /// The agent with this `AgentId`.
    pub fn agent(&self, agent_id: i64) -> Option<&Agent> {
        self.index().agents.get(&agent_id).map(|&i| &self.agents[i])
    }

    /// The group with this `GroupId`.
    pub fn group(&self, group_id: i64) -> Option<&Group> {
        self.index().groups.get(&group_id).map(|&i| &self.groups[i])
    }

    /// The run with this `JobLogId`.
    pub fn run(&self, job_log_id: i64) -> Option<&JobHistory> {
        self.index()
            .runs
            .get(&job_log_id)
            .map(|&i| &self.job_histories[i])
    }

    /// The most recent run (by `StartDateTime`) of a managed job.
    pub fn newest_run_of_job(&self, job_id: i64) -> Option<&JobHistory> {
        let i = *self.index().newest_run_of_job.get(&job_id)?;
        Some(&self.job_histories[i])
    }

    /// The Log route's key resolution: a `JobLogId` first, else a `JobId` (its newest run).
    pub fn run_for_log_key(&self, key: i64) -> Option<&JobHistory> {
        self.run(key).or_else(|| self.newest_run_of_job(key))
    }

    /// The tenant of an agent, through its group.
    pub fn agent_tenant(&self, agent: &Agent) -> Option<&str> {
        self.group_tenant(self.index(), agent.group_id)
    }

    /// Tenants of the agents whose S3 devices reference this cloud storage account.
    pub fn csa_tenants(&self, csa_id: i64) -> &[String] {
        self.index()
            .csa_tenants
            .get(&csa_id)
            .map_or(&[], Vec::as_slice)
    }

    /// The log of a finished run: the explicit one, else one made up from the run.
    /// `None` for runs that are pending, queued or still running.
    pub fn log_of(&self, run: &JobHistory) -> Option<RunLog> {
        if matches!(
            run.status,
            status::PENDING | status::RUNNING | status::QUEUED
        ) {
            return None;
        }
        if let Some(log) = self.logs.get(&run.job_log_id) {
            return Some(log.clone());
        }
        let start = run.start_date_time?;
        let end = run.end_date_time.unwrap_or(start);
        let line = |kind: &str, time: Time, message: &str| LogMessage {
            kind: kind.to_owned(),
            time,
            message: message.to_owned(),
        };
        let mut messages = vec![line("Information", start, "Backup started")];
        match run.status {
            status::WARNING => messages.push(line("Warning", end, "2 files skipped (in use)")),
            status::CANCELLED => messages.push(line("Warning", end, "Job cancelled by user")),
            status::FAILED => messages.push(line(
                "Error",
                end,
                "Backup failed: destination not reachable",
            )),
            _ => {}
        }
        messages.push(line("Information", end, "Backup finished"));
        Some(RunLog {
            script_file_path: format!("C:\\ProgramData\\NovaStor\\Jobs\\{}.nsscript", run.job_name),
            messages,
        })
    }
}

/// Which tenants a caller may see (`visible_tenants` fault); unrestricted by default.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    tenants: Option<Vec<String>>,
}

impl Scope {
    /// Restrict to these tenants.
    pub fn tenants(tenants: Vec<String>) -> Self {
        Scope {
            tenants: Some(tenants),
        }
    }

    /// Whether a row of this tenant (`None` = no tenant) is visible.
    pub fn allows(&self, tenant: Option<&str>) -> bool {
        match &self.tenants {
            None => true,
            Some(list) => tenant.is_some_and(|t| list.iter().any(|l| l == t)),
        }
    }

    /// Whether any of these tenants is visible.
    pub fn allows_any(&self, tenants: &[String]) -> bool {
        self.tenants.is_none() || tenants.iter().any(|t| self.allows(Some(t)))
    }
}
