//! The backup overview: per tenant and per server, the last success, failure and warning counts,
//! and the agents or plans with no success for too long.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::Serialize;

use super::RunStatus;
use crate::store::ServerKind;

/// One thing that gets backed up: a NovaBACKUP agent or a Backrest plan.
#[derive(Debug, Clone)]
pub struct UnitActivity {
    pub tenant_id: Option<String>,
    /// Agent name or plan id.
    pub unit: String,
    pub last_success: Option<DateTime<Utc>>,
    /// Counts of runs that started inside the window.
    pub succeeded: usize,
    pub failed: usize,
    pub warnings: usize,
}

impl UnitActivity {
    /// A unit with no runs seen yet.
    pub fn new(
        tenant_id: Option<String>,
        unit: String,
        last_success: Option<DateTime<Utc>>,
    ) -> Self {
        UnitActivity {
            tenant_id,
            unit,
            last_success,
            succeeded: 0,
            failed: 0,
            warnings: 0,
        }
    }

    /// Takes one run into account: a success moves the last success; runs inside the window
    /// are counted by status.
    pub fn record(
        &mut self,
        status: RunStatus,
        started: DateTime<Utc>,
        window_start: DateTime<Utc>,
    ) {
        if status == RunStatus::Success {
            self.last_success = self.last_success.max(Some(started));
        }
        if started >= window_start {
            match status {
                RunStatus::Success => self.succeeded += 1,
                RunStatus::Failed => self.failed += 1,
                RunStatus::Warning => self.warnings += 1,
                _ => {}
            }
        }
    }
}

/// What one server reported.
#[derive(Debug, Clone)]
pub struct ServerActivity {
    pub server_id: String,
    pub kind: ServerKind,
    pub units: Vec<UnitActivity>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct StaleUnit {
    pub server_id: String,
    #[schemars(with = "String")]
    pub server_kind: ServerKind,
    pub tenant_id: Option<String>,
    /// Agent name (NovaBACKUP) or plan id (Backrest).
    pub unit: String,
    /// Null when no success was ever seen.
    pub last_success: Option<DateTime<Utc>>,
}

/// Counters shared by the tenant and server summaries.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Totals {
    pub units: usize,
    pub last_success: Option<DateTime<Utc>>,
    pub succeeded: usize,
    pub failed: usize,
    pub warnings: usize,
    pub stale: usize,
}

impl Totals {
    fn add(&mut self, unit: &UnitActivity, stale: bool) {
        self.units += 1;
        self.succeeded += unit.succeeded;
        self.failed += unit.failed;
        self.warnings += unit.warnings;
        self.stale += usize::from(stale);
        self.last_success = self.last_success.max(unit.last_success);
    }
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TenantSummary {
    pub tenant_id: Option<String>,
    pub servers: Vec<String>,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServerSummary {
    pub server_id: String,
    #[schemars(with = "String")]
    pub server_kind: ServerKind,
    pub tenants: Vec<Option<String>>,
    #[serde(flatten)]
    pub totals: Totals,
}

#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Overview {
    pub tenants: Vec<TenantSummary>,
    pub servers: Vec<ServerSummary>,
    /// Oldest (or never) first.
    pub stale: Vec<StaleUnit>,
}

/// Aggregates what the servers reported; a unit is stale when its last success is before
/// `stale_before` (or it never succeeded).
pub fn summarize(reports: &[ServerActivity], stale_before: DateTime<Utc>) -> Overview {
    let mut tenants: BTreeMap<Option<String>, TenantSummary> = BTreeMap::new();
    let mut overview = Overview::default();
    for report in reports {
        let mut server = ServerSummary {
            server_id: report.server_id.clone(),
            server_kind: report.kind,
            tenants: Vec::new(),
            totals: Totals::default(),
        };
        for unit in &report.units {
            let stale = unit.last_success.is_none_or(|t| t < stale_before);
            server.totals.add(unit, stale);
            if !server.tenants.contains(&unit.tenant_id) {
                server.tenants.push(unit.tenant_id.clone());
            }
            let tenant = tenants
                .entry(unit.tenant_id.clone())
                .or_insert_with(|| TenantSummary {
                    tenant_id: unit.tenant_id.clone(),
                    servers: Vec::new(),
                    totals: Totals::default(),
                });
            tenant.totals.add(unit, stale);
            if !tenant.servers.contains(&report.server_id) {
                tenant.servers.push(report.server_id.clone());
            }
            if stale {
                overview.stale.push(StaleUnit {
                    server_id: report.server_id.clone(),
                    server_kind: report.kind,
                    tenant_id: unit.tenant_id.clone(),
                    unit: unit.unit.clone(),
                    last_success: unit.last_success,
                });
            }
        }
        overview.servers.push(server);
    }
    overview.tenants = tenants.into_values().collect();
    overview.stale.sort_by(|a, b| {
        a.last_success
            .cmp(&b.last_success)
            .then(a.unit.cmp(&b.unit))
    });
    overview
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn unit(tenant: &str, name: &str, last: Option<i64>, failed: usize) -> UnitActivity {
        let now = DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        UnitActivity {
            tenant_id: Some(tenant.into()),
            unit: name.into(),
            last_success: last.map(|d| now - Duration::days(d)),
            succeeded: 1,
            failed,
            warnings: 0,
        }
    }

    #[test]
    fn aggregates_per_tenant_and_server_and_finds_stale_units() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let reports = vec![
            ServerActivity {
                server_id: "cmc".into(),
                kind: ServerKind::Novabackup,
                units: vec![
                    unit("acme", "dc01", Some(1), 2),
                    unit("blue", "fs01", Some(10), 0),
                    unit("acme", "lap", None, 0),
                ],
            },
            ServerActivity {
                server_id: "nas".into(),
                kind: ServerKind::Backrest,
                units: vec![unit("acme", "daily", Some(0), 1)],
            },
        ];
        let o = summarize(&reports, now - Duration::days(7));
        let acme = o
            .tenants
            .iter()
            .find(|t| t.tenant_id.as_deref() == Some("acme"))
            .unwrap();
        assert_eq!(acme.servers, ["cmc", "nas"]);
        assert_eq!(
            (acme.totals.units, acme.totals.failed, acme.totals.stale),
            (3, 3, 1)
        );
        assert_eq!(acme.totals.last_success, Some(now));
        let stale: Vec<&str> = o.stale.iter().map(|s| s.unit.as_str()).collect();
        assert_eq!(stale, ["lap", "fs01"], "never first, then oldest");
        assert_eq!(o.servers[0].totals.stale, 2);
        assert_eq!(o.servers[1].tenants, [Some("acme".to_owned())]);
    }
}
