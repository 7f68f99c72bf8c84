//! Storage questions: device usage per agent, tenant, device type or server, and cloud storage
//! accounts with the tenants and devices that use them.
//!
//! Usage is each device's reported `Size`; `FreeSpace` is added up separately (both only where
//! reported, with counts of devices that did not report). Agents are read page by page and
//! folded into per-group totals, so memory grows with the number of groups, never with rows.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::{Nova, ScanEnd};
use super::error::NovaError;
use super::odata::Query;
use super::present;
use super::tenancy::{int, text};
use crate::fanout::Row;
use crate::tenants::TenantIds;
use crate::tenants::ids::admits;

/// Devices listed per group with `include_devices`, at most.
pub const DEVICES_PER_GROUP: usize = 50;

const S3_TYPES: [&str; 3] = ["AmazonS3CompatibleDevice", "AmazonS3Device", "CloudDevice"];
const CSA_ID: &str = "AmazonS3CompatibleCloudStorageAccountId";

/// Whether a device writes to S3-type cloud storage.
pub fn is_s3(device: &Map<String, Value>) -> bool {
    let odata_type = device
        .get("@odata.type")
        .and_then(Value::as_str)
        .unwrap_or("");
    S3_TYPES.iter().any(|t| odata_type.ends_with(t)) || device.contains_key(CSA_ID)
}

/// `DisplayType`, else the derived type name, else `unknown`.
pub fn device_type(device: &Map<String, Value>) -> String {
    text(device, "DisplayType")
        .or_else(|| {
            text(device, "@odata.type").map(|t| t.rsplit('.').next().unwrap_or(&t).to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// Bytes on devices, counted only where reported.
#[derive(Debug, Clone, Default, Serialize, JsonSchema, PartialEq)]
pub struct Totals {
    pub devices: u64,
    /// Sum of the devices' reported `Size` (the usage).
    pub size_bytes: u64,
    /// Sum of the reported `FreeSpace` (cloud devices usually report none).
    pub free_space_bytes: u64,
    pub devices_without_size: u64,
    pub devices_without_free_space: u64,
}

impl Totals {
    pub fn add_device(&mut self, device: &Map<String, Value>) {
        self.devices += 1;
        match int(device, "Size") {
            Some(s) => self.size_bytes += s.max(0) as u64,
            None => self.devices_without_size += 1,
        }
        match int(device, "FreeSpace") {
            Some(f) => self.free_space_bytes += f.max(0) as u64,
            None => self.devices_without_free_space += 1,
        }
    }

    pub fn add(&mut self, other: &Totals) {
        self.devices += other.devices;
        self.size_bytes += other.size_bytes;
        self.free_space_bytes += other.free_space_bytes;
        self.devices_without_size += other.devices_without_size;
        self.devices_without_free_space += other.devices_without_free_space;
    }
}

/// Puts `storage` totals on an agent row that has its `Devices` expanded.
pub fn add_agent_storage(agent: &mut Map<String, Value>) {
    let mut totals = Totals::default();
    if let Some(Value::Array(devices)) = agent.get("Devices") {
        devices
            .iter()
            .filter_map(Value::as_object)
            .for_each(|d| totals.add_device(d));
    }
    if let Ok(v) = serde_json::to_value(totals) {
        agent.insert("storage".into(), v);
    }
}

/// The agent a device belongs to.
#[derive(Debug, Clone)]
pub struct Owner {
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub tenant: Option<String>,
}

/// Visits every device of every agent on the server (agents read page by page).
pub async fn scan_devices(
    nova: &Nova<'_>,
    mut visit: impl FnMut(&Owner, &Map<String, Value>),
) -> Result<ScanEnd, NovaError> {
    let tenancy = nova.tenancy().await?;
    let query = Query {
        select: Some("AgentId,FriendlyName,GroupId".into()),
        expand: Some("Devices".into()),
        orderby: Some("AgentId".into()),
        ..Query::default()
    };
    nova.scan("Agents", &query, |agent| {
        let owner = Owner {
            agent_id: int(&agent, "AgentId"),
            agent_name: text(&agent, "FriendlyName"),
            tenant: tenancy.of_agent_row(&agent),
        };
        if let Some(Value::Array(devices)) = agent.get("Devices") {
            for device in devices.iter().filter_map(Value::as_object) {
                visit(&owner, device);
            }
        }
        true
    })
    .await
}

/// How `summarize_storage_usage` groups devices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    Agent,
    Tenant,
    DeviceType,
    Server,
}

/// One group of a storage summary.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct UsageGroup {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_id: Option<String>,
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "present::opt_id_text"
    )]
    #[schemars(with = "Option<String>")]
    pub agent_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_type: Option<String>,
    /// The group's tenant (`null`: none, or several for device-type and server groups).
    pub tenant_id: Option<String>,
    #[serde(flatten)]
    pub totals: Totals,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<Value>>,
}

/// A storage summary over every server asked.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct StorageReport {
    pub group_by: GroupBy,
    /// The largest groups by `size_bytes`, at most `top` of them.
    pub groups: Vec<UsageGroup>,
    pub group_count: usize,
    /// Over every group, not only those shown.
    pub grand_total: Totals,
    /// True when groups were cut by `top`, or a server had more agents than one scan reads.
    pub truncated: bool,
}

/// One server's groups, keyed.
#[derive(Debug, Default)]
pub struct ServerUsage {
    groups: BTreeMap<String, UsageGroup>,
    pub capped: bool,
}

/// Folds every device of one server into groups (only the wanted tenant's, when given).
pub async fn server_usage(
    nova: &Nova<'_>,
    group_by: GroupBy,
    tenant: Option<&TenantIds>,
    include_devices: bool,
) -> Result<ServerUsage, NovaError> {
    let server_id = nova.server.id().to_owned();
    let mut usage = ServerUsage::default();
    let end = scan_devices(nova, |owner, device| {
        if !admits(tenant, owner.tenant.as_deref()) {
            return;
        }
        let (key, seed) = match group_by {
            GroupBy::Agent => (
                format!("{server_id}/{}", owner.agent_id.unwrap_or_default()),
                UsageGroup {
                    server_id: Some(server_id.clone()),
                    agent_id: owner.agent_id,
                    agent_name: owner.agent_name.clone(),
                    tenant_id: owner.tenant.clone(),
                    ..UsageGroup::default()
                },
            ),
            GroupBy::Tenant => (
                owner.tenant.clone().unwrap_or_default(),
                UsageGroup {
                    tenant_id: owner.tenant.clone(),
                    ..UsageGroup::default()
                },
            ),
            GroupBy::DeviceType => {
                let kind = device_type(device);
                (
                    kind.clone(),
                    UsageGroup {
                        device_type: Some(kind),
                        tenant_id: tenant.and_then(TenantIds::single).map(str::to_owned),
                        ..UsageGroup::default()
                    },
                )
            }
            GroupBy::Server => (
                server_id.clone(),
                UsageGroup {
                    server_id: Some(server_id.clone()),
                    tenant_id: tenant.and_then(TenantIds::single).map(str::to_owned),
                    ..UsageGroup::default()
                },
            ),
        };
        let group = usage.groups.entry(key).or_insert(seed);
        group.totals.add_device(device);
        if include_devices {
            let list = group.devices.get_or_insert_with(Vec::new);
            if list.len() < DEVICES_PER_GROUP {
                let mut d = device.clone();
                d.insert("server_id".into(), Value::String(server_id.clone()));
                d.insert("AgentId".into(), owner.agent_id.into());
                list.push(Value::Object(d));
            }
        }
    })
    .await?;
    usage.capped = end.capped;
    Ok(usage)
}

impl StorageReport {
    /// Merges the servers' groups (tenants and device types across servers), largest first.
    pub fn merge(group_by: GroupBy, parts: Vec<ServerUsage>, top: usize) -> Self {
        let mut merged: BTreeMap<String, UsageGroup> = BTreeMap::new();
        let mut truncated = false;
        for part in parts {
            truncated |= part.capped;
            for (key, group) in part.groups {
                match merged.get_mut(&key) {
                    None => {
                        merged.insert(key, group);
                    }
                    Some(existing) => {
                        existing.totals.add(&group.totals);
                        if let (Some(a), Some(b)) = (&mut existing.devices, group.devices) {
                            let room = DEVICES_PER_GROUP.saturating_sub(a.len());
                            a.extend(b.into_iter().take(room));
                        }
                    }
                }
            }
        }
        let mut grand_total = Totals::default();
        merged.values().for_each(|g| grand_total.add(&g.totals));
        let mut groups: Vec<UsageGroup> = merged.into_values().collect();
        groups.sort_by_key(|g| std::cmp::Reverse(g.totals.size_bytes));
        let group_count = groups.len();
        if groups.len() > top {
            groups.truncate(top);
            truncated = true;
        }
        StorageReport {
            group_by,
            groups,
            group_count,
            grand_total,
            truncated,
        }
    }
}

/// Which tenants' agents use each cloud storage account.
#[derive(Debug, Default)]
pub struct CsaTenants {
    by_csa: HashMap<i64, BTreeSet<String>>,
}

impl CsaTenants {
    pub async fn load(nova: &Nova<'_>) -> Result<Self, NovaError> {
        let mut t = CsaTenants::default();
        scan_devices(nova, |owner, device| {
            if let (Some(csa), Some(tenant)) = (int(device, CSA_ID), &owner.tenant) {
                t.by_csa.entry(csa).or_default().insert(tenant.clone());
            }
        })
        .await?;
        Ok(t)
    }

    /// The account's tenant when its agents agree, else `None` with every tenant seen.
    pub fn tenant(&self, csa_id: i64) -> (Option<String>, Vec<String>) {
        let seen: Vec<String> = self
            .by_csa
            .get(&csa_id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        match seen.as_slice() {
            [only] => (Some(only.clone()), seen),
            _ => (None, seen),
        }
    }

    /// An account row with its tenant, the tenants seen when they disagree, key masked.
    pub fn present(&self, mut map: Map<String, Value>) -> Row {
        let (tenant, seen) = int(&map, "CloudStorageAccountId")
            .map(|id| self.tenant(id))
            .unwrap_or_default();
        if tenant.is_none() && !seen.is_empty() {
            map.insert("tenants_seen".into(), seen.into());
        }
        present::row(tenant, map)
    }
}

/// A device that writes to cloud storage no account on its server explains.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct OrphanedDevice {
    pub server_id: String,
    pub tenant_id: Option<String>,
    #[serde(serialize_with = "present::opt_id_text")]
    #[schemars(with = "Option<String>")]
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    #[serde(serialize_with = "present::opt_id_text")]
    #[schemars(with = "Option<String>")]
    pub device_id: Option<i64>,
    pub device_name: Option<String>,
    pub size_bytes: Option<i64>,
    #[serde(serialize_with = "present::opt_id_text")]
    #[schemars(with = "Option<String>")]
    pub cloud_storage_account_id: Option<i64>,
    pub reason: String,
}

/// Totals of a cloud-storage-account summary.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct CsaTotals {
    pub accounts: u64,
    /// Sum of `UsedBytes` as last recalculated by the server.
    pub used_bytes: u64,
    pub quota_bytes: u64,
    /// Accounts whose usage was never recalculated (`UsedBytesLastCalculationCompleted` null).
    pub accounts_never_recalculated: u64,
    /// Sum of the reported `Size` of the devices that use an account.
    pub device_size_bytes: u64,
    pub orphaned_devices: u64,
}

impl CsaTotals {
    pub fn add(&mut self, other: &CsaTotals) {
        self.accounts += other.accounts;
        self.used_bytes += other.used_bytes;
        self.quota_bytes += other.quota_bytes;
        self.accounts_never_recalculated += other.accounts_never_recalculated;
        self.device_size_bytes += other.device_size_bytes;
        self.orphaned_devices += other.orphaned_devices;
    }
}

/// One server's accounts with usage, and its orphaned devices.
#[derive(Debug, Default)]
pub struct CsaUsage {
    pub accounts: Vec<Row>,
    pub orphaned: Vec<OrphanedDevice>,
    pub totals: CsaTotals,
    pub capped: bool,
}

#[derive(Default)]
struct Linked {
    devices: u64,
    size: u64,
    agents: BTreeSet<i64>,
    tenants: BTreeSet<String>,
}

/// Accounts with the devices and tenants that use them, plus orphaned devices.
pub async fn csa_usage(nova: &Nova<'_>, tenant: Option<&TenantIds>) -> Result<CsaUsage, NovaError> {
    let server_id = nova.server.id();
    let mut accounts: Vec<Map<String, Value>> = Vec::new();
    let csa_end = nova
        .scan(
            "CloudStorageAccounts",
            &Query {
                orderby: Some("CloudStorageAccountId".into()),
                ..Query::default()
            },
            |row| {
                accounts.push(row);
                true
            },
        )
        .await?;
    let known: BTreeSet<i64> = accounts
        .iter()
        .filter_map(|a| int(a, "CloudStorageAccountId"))
        .collect();
    let mut linked: HashMap<i64, Linked> = HashMap::new();
    let mut orphaned = Vec::new();
    let device_end = scan_devices(nova, |owner, device| {
        if !is_s3(device) {
            return;
        }
        let csa = int(device, CSA_ID);
        match csa.filter(|id| known.contains(id)) {
            Some(id) => {
                let l = linked.entry(id).or_default();
                l.devices += 1;
                l.size += int(device, "Size").unwrap_or(0).max(0) as u64;
                l.agents.extend(owner.agent_id);
                l.tenants.extend(owner.tenant.clone());
            }
            None if admits(tenant, owner.tenant.as_deref()) => {
                let reason = match csa {
                    None => "S3-type device without a cloud storage account id (legacy device)"
                        .to_owned(),
                    Some(id) => format!(
                        "points to cloud storage account {id}, which is not among this server's accounts"
                    ),
                };
                orphaned.push(OrphanedDevice {
                    server_id: server_id.to_owned(),
                    tenant_id: owner.tenant.clone(),
                    agent_id: owner.agent_id,
                    agent_name: owner.agent_name.clone(),
                    device_id: int(device, "AgentDeviceId"),
                    device_name: text(device, "Name"),
                    size_bytes: int(device, "Size"),
                    cloud_storage_account_id: csa,
                    reason,
                });
            }
            None => {}
        }
    })
    .await?;
    let mut usage = CsaUsage {
        capped: csa_end.capped || device_end.capped,
        ..CsaUsage::default()
    };
    for mut account in accounts {
        let l = int(&account, "CloudStorageAccountId")
            .and_then(|id| linked.remove(&id))
            .unwrap_or_default();
        let seen: Vec<String> = l.tenants.iter().cloned().collect();
        let account_tenant = match seen.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        };
        if !admits(tenant, account_tenant.as_deref()) {
            continue;
        }
        let recalculated = !account
            .get("UsedBytesLastCalculationCompleted")
            .is_none_or(Value::is_null);
        let t = &mut usage.totals;
        t.accounts += 1;
        t.used_bytes += int(&account, "UsedBytes").unwrap_or(0).max(0) as u64;
        t.quota_bytes += int(&account, "QuotaBytes").unwrap_or(0).max(0) as u64;
        t.accounts_never_recalculated += u64::from(!recalculated);
        t.device_size_bytes += l.size;
        account.insert("usage_recalculated".into(), recalculated.into());
        account.insert("devices".into(), l.devices.into());
        account.insert("device_size_bytes".into(), l.size.into());
        account.insert("agents".into(), l.agents.len().into());
        account.insert("tenants_seen".into(), seen.into());
        usage.accounts.push(present::row(account_tenant, account));
    }
    usage.totals.orphaned_devices = orphaned.len() as u64;
    usage.orphaned = orphaned;
    Ok(usage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn size_is_usage_and_free_space_is_separate() {
        let mut t = Totals::default();
        t.add_device(&obj(json!({"Size": 100, "FreeSpace": null})));
        t.add_device(&obj(json!({"Size": null, "FreeSpace": 7})));
        assert_eq!(t.devices, 2);
        assert_eq!(t.size_bytes, 100);
        assert_eq!(t.free_space_bytes, 7);
        assert_eq!(t.devices_without_size, 1);
        assert_eq!(t.devices_without_free_space, 1);
    }

    #[test]
    fn s3_devices_are_recognised_by_type_or_account_id() {
        assert!(is_s3(&obj(
            json!({"@odata.type": "#Devices.AmazonS3CompatibleDevice"})
        )));
        assert!(is_s3(&obj(json!({"@odata.type": "#Devices.CloudDevice"}))));
        assert!(is_s3(&obj(json!({CSA_ID: 7}))));
        assert!(!is_s3(&obj(json!({"@odata.type": "#Devices.LocalDevice"}))));
        assert_eq!(
            device_type(&obj(json!({"@odata.type": "#Devices.LocalDevice"}))),
            "LocalDevice"
        );
    }

    #[test]
    fn merge_adds_across_servers_sorts_and_cuts_to_top() {
        let part = |key: &str, size: u64| {
            let mut groups = BTreeMap::new();
            groups.insert(
                key.to_owned(),
                UsageGroup {
                    device_type: Some(key.to_owned()),
                    totals: Totals {
                        devices: 1,
                        size_bytes: size,
                        ..Totals::default()
                    },
                    ..UsageGroup::default()
                },
            );
            ServerUsage {
                groups,
                capped: false,
            }
        };
        let report = StorageReport::merge(
            GroupBy::DeviceType,
            vec![part("Local", 5), part("S3", 7), part("Local", 4)],
            1,
        );
        assert_eq!(report.group_count, 2);
        assert_eq!(report.groups.len(), 1);
        assert_eq!(report.groups[0].device_type.as_deref(), Some("Local"));
        assert_eq!(report.groups[0].totals.size_bytes, 9);
        assert_eq!(report.grand_total.size_bytes, 16);
        assert!(report.truncated);
    }
}
