//! Job-history summaries: every run in a window counted by status, per server and per tenant.
//!
//! Runs are read page by page and only counted, never kept, so a server with 100,000 runs in
//! the window costs the same memory as one with ten. Reading stops at the scan cap
//! ([`super::client::MAX_SCAN_ROWS`]) with `truncated` set.

use crate::tenants::TenantIds;
use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::client::Nova;
use super::error::NovaError;
use super::odata::{Query, STABLE_RUN_ORDER, datetime_literal};
use super::present::status_label;
use super::tenancy::int;

/// Runs counted by status label.
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq)]
pub struct Counts {
    pub total_runs: u64,
    /// `success`, `warning`, `failed`, ... (unknown codes as `unknown (N)`).
    pub by_status: BTreeMap<String, u64>,
}

impl Counts {
    fn add(&mut self, label: &str, n: u64) {
        self.total_runs += n;
        *self.by_status.entry(label.to_owned()).or_default() += n;
    }

    fn merge(&mut self, other: &Counts) {
        for (label, n) in &other.by_status {
            self.add(label, *n);
        }
    }
}

/// One server's counts.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct ServerCounts {
    pub server_id: String,
    #[serde(flatten)]
    pub counts: Counts,
    /// Distinct agents with at least one failed run.
    pub agents_with_failures: u64,
    /// Rows read from the server.
    pub runs_scanned: u64,
    /// The scan cap was hit: more runs exist than were counted.
    pub truncated: bool,
    #[serde(skip)]
    per_tenant: BTreeMap<Option<String>, Counts>,
}

/// One tenant's counts across servers.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TenantCounts {
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

/// The whole summary.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HistorySummary {
    /// The window as asked (`7d`, `48h`), or null when an explicit `since` was given.
    pub window: Option<String>,
    /// Runs that started after this instant are counted.
    pub since: String,
    #[serde(flatten)]
    pub counts: Counts,
    pub per_server: Vec<ServerCounts>,
    pub per_tenant: Vec<TenantCounts>,
    /// True when any server had more runs than one scan reads.
    pub truncated: bool,
}

/// Counts every run of one server since `since` (only the wanted tenant's, when given).
pub async fn count_runs(
    nova: &Nova<'_>,
    since: DateTime<Utc>,
    tenant: Option<&TenantIds>,
) -> Result<ServerCounts, NovaError> {
    let tenancy = nova.tenancy().await?;
    let query = Query {
        filter: Some(format!("StartDateTime gt {}", datetime_literal(since))),
        select: Some("JobLogId,JobId,AgentId,Status,StartDateTime".into()),
        orderby: Some(STABLE_RUN_ORDER.into()),
        ..Query::default()
    };
    let mut counts = ServerCounts {
        server_id: nova.server.id().to_owned(),
        ..ServerCounts::default()
    };
    let mut failing: HashSet<i64> = HashSet::new();
    let end = nova
        .scan("JobHistories", &query, |run| {
            let agent = int(&run, "AgentId");
            let run_tenant = agent.and_then(|a| tenancy.of_agent(a));
            if !crate::tenants::ids::admits(tenant, run_tenant.as_deref()) {
                return true;
            }
            let code = int(&run, "Status");
            let label = code.map_or_else(|| "none".to_owned(), status_label);
            counts.counts.add(&label, 1);
            counts
                .per_tenant
                .entry(run_tenant)
                .or_default()
                .add(&label, 1);
            if code == Some(4) {
                failing.extend(agent);
            }
            true
        })
        .await?;
    counts.agents_with_failures = failing.len() as u64;
    counts.runs_scanned = end.scanned;
    counts.truncated = end.capped;
    Ok(counts)
}

impl HistorySummary {
    pub fn merge(
        window: Option<String>,
        since: DateTime<Utc>,
        per_server: Vec<ServerCounts>,
    ) -> Self {
        let mut counts = Counts::default();
        let mut tenants: BTreeMap<Option<String>, Counts> = BTreeMap::new();
        for server in &per_server {
            counts.merge(&server.counts);
            for (tenant, c) in &server.per_tenant {
                tenants.entry(tenant.clone()).or_default().merge(c);
            }
        }
        HistorySummary {
            window,
            since: datetime_literal(since),
            truncated: per_server.iter().any(|s| s.truncated),
            counts,
            per_server,
            per_tenant: tenants
                .into_iter()
                .map(|(tenant_id, counts)| TenantCounts { tenant_id, counts })
                .collect(),
        }
    }
}

/// Orders tagged run rows newest first by `StartDateTime` (rows without one last).
pub fn newest_first(a: &serde_json::Value, b: &serde_json::Value) -> std::cmp::Ordering {
    crate::fanout::newest_by_time(a, b, "StartDateTime")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_and_tenants_add_up() {
        let mut a = ServerCounts {
            server_id: "a".into(),
            ..ServerCounts::default()
        };
        a.counts.add("success", 3);
        a.per_tenant
            .entry(Some("t1".into()))
            .or_default()
            .add("success", 3);
        let mut b = ServerCounts {
            server_id: "b".into(),
            truncated: true,
            ..ServerCounts::default()
        };
        b.counts.add("failed", 2);
        b.per_tenant
            .entry(Some("t1".into()))
            .or_default()
            .add("failed", 2);
        let now = Utc::now();
        let s = HistorySummary::merge(Some("7d".into()), now, vec![a, b]);
        assert_eq!(s.counts.total_runs, 5);
        assert_eq!(s.counts.by_status["failed"], 2);
        assert_eq!(s.per_tenant.len(), 1);
        assert_eq!(s.per_tenant[0].counts.total_runs, 5);
        assert!(s.truncated);
    }

    #[test]
    fn runs_sort_newest_first_across_offsets() {
        use serde_json::json;
        let mut rows = [
            json!({"StartDateTime": "2026-11-20T10:00:00Z"}),
            json!({"StartDateTime": null}),
            json!({"StartDateTime": "2026-11-20T10:30:00+01:00"}),
            json!({"StartDateTime": "2026-11-21T00:00:00.5Z"}),
        ];
        rows.sort_by(newest_first);
        assert_eq!(rows[0]["StartDateTime"], "2026-11-21T00:00:00.5Z");
        assert_eq!(rows[1]["StartDateTime"], "2026-11-20T10:00:00Z");
        assert!(rows[3]["StartDateTime"].is_null());
    }
}
