//! How each entity type of the model plugs into the query engine: one property table per
//! type (name, type, getter) that serves both as the schema and as the field reader, plus
//! its navigation properties and tenant visibility.

use std::marker::PhantomData;

use serde::Serialize;
use serde_json::{Map, Value};

use super::dataset::{Dataset, Scope};
use super::model::{
    Agent, BackupSource, CloudStorageAccount, Device, Group, Job, JobHistory, StorageServer, User,
};
use super::odata::{NavValue, Row, Schema, Ty, Val};

/// One structural property: its name, type and reader.
pub struct Prop<T> {
    name: &'static str,
    ty: Ty,
    get: fn(&T) -> Val<'_>,
}

const fn prop<T>(name: &'static str, ty: Ty, get: fn(&T) -> Val<'_>) -> Prop<T> {
    Prop { name, ty, get }
}

/// One navigation property.
pub struct NavDef {
    name: &'static str,
    many: bool,
    target: &'static dyn Schema,
}

/// An entity type served by the double.
pub trait Entity: Serialize + Sync + Sized + 'static {
    /// Type name for error messages.
    const TYPE_NAME: &'static str;
    /// Structural properties, in schema order.
    const PROPS: &'static [Prop<Self>];
    /// Navigation properties.
    const NAVS: &'static [NavDef] = &[];
    /// The schema of this type.
    const SCHEMA: &'static dyn Schema = &TypeSchema::<Self>(PhantomData);

    /// The rows behind a navigation property of [`Self::NAVS`].
    fn navigate<'a>(&'a self, _ds: &'a Dataset, _name: &str) -> NavValue<'a> {
        NavValue::One(None)
    }

    /// Whether a caller with this scope may see the row.
    fn visible(&self, _ds: &Dataset, _scope: &Scope) -> bool {
        true
    }
}

/// The [`Schema`] of an [`Entity`] type.
pub struct TypeSchema<T>(PhantomData<fn() -> T>);

impl<T: Entity> Schema for TypeSchema<T> {
    fn type_name(&self) -> &'static str {
        T::TYPE_NAME
    }

    fn prop(&self, name: &str) -> Option<(usize, Ty)> {
        let i = T::PROPS.iter().position(|p| p.name == name)?;
        Some((i, T::PROPS[i].ty))
    }

    fn nav(&self, name: &str) -> Option<(&'static dyn Schema, bool)> {
        let nav = T::NAVS.iter().find(|n| n.name == name)?;
        Some((nav.target, nav.many))
    }
}

impl<T: Entity> Row for T {
    fn field(&self, index: usize) -> Val<'_> {
        T::PROPS.get(index).map_or(Val::Null, |p| (p.get)(self))
    }

    fn nav<'a>(&'a self, ds: &'a Dataset, name: &str) -> NavValue<'a> {
        self.navigate(ds, name)
    }

    fn to_json(&self) -> Map<String, Value> {
        match serde_json::to_value(self) {
            Ok(Value::Object(map)) => map,
            _ => Map::new(),
        }
    }
}

/// Rows as trait objects for the query engine.
pub fn rows<T: Entity>(items: &[T]) -> Vec<&dyn Row> {
    items.iter().map(|i| i as &dyn Row).collect()
}

impl Entity for Agent {
    const TYPE_NAME: &'static str = "Agent";
    const PROPS: &'static [Prop<Self>] = &[
        prop("AgentId", Ty::Int, |a| a.agent_id.into()),
        prop("AgentGuid", Ty::Str, |a| a.agent_guid.as_str().into()),
        prop("FriendlyName", Ty::Str, |a| a.friendly_name.as_str().into()),
        prop("MachineName", Ty::Str, |a| a.machine_name.as_str().into()),
        prop("IPAddress", Ty::Str, |a| a.ip_address.as_str().into()),
        prop("Connected", Ty::Bool, |a| a.connected.into()),
        prop("BackupClientType", Ty::Int, |a| a.backup_client_type.into()),
        prop("BackupClientVersionNumber", Ty::Str, |a| {
            a.backup_client_version_number.as_str().into()
        }),
        prop("GroupId", Ty::Int, |a| a.group_id.into()),
        prop("LastActivityDate", Ty::Date, |a| {
            a.last_activity_date.into()
        }),
        prop("LastBackupDate", Ty::Date, |a| a.last_backup_date.into()),
        prop("LastBackupStatus", Ty::Int, |a| a.last_backup_status.into()),
    ];
    const NAVS: &'static [NavDef] = &[
        NavDef {
            name: "Group",
            many: false,
            target: Group::SCHEMA,
        },
        NavDef {
            name: "Devices",
            many: true,
            target: Device::SCHEMA,
        },
    ];

    fn navigate<'a>(&'a self, ds: &'a Dataset, name: &str) -> NavValue<'a> {
        match name {
            "Group" => NavValue::One(ds.group(self.group_id).map(|g| g as &dyn Row)),
            "Devices" => NavValue::Many(rows(&self.devices)),
            _ => NavValue::One(None),
        }
    }

    fn visible(&self, ds: &Dataset, scope: &Scope) -> bool {
        scope.allows(ds.agent_tenant(self))
    }
}

impl Entity for Device {
    const TYPE_NAME: &'static str = "Device";
    const PROPS: &'static [Prop<Self>] = &[
        prop("AgentDeviceId", Ty::Int, |d| d.agent_device_id.into()),
        prop("DisplayType", Ty::Str, |d| d.display_type.as_str().into()),
        prop("Name", Ty::Str, |d| d.name.as_str().into()),
        prop("Size", Ty::Int, |d| d.size.into()),
        prop("FreeSpace", Ty::Int, |d| d.free_space.into()),
        prop("Status", Ty::Int, |d| d.status.into()),
        prop("StatusUpdated", Ty::Date, |d| d.status_updated.into()),
        prop("AmazonS3CompatibleCloudStorageAccountId", Ty::Int, |d| {
            d.s3.as_ref().and_then(|s| s.csa_id).into()
        }),
        prop("BucketName", Ty::Str, |d| {
            d.s3.as_ref().map(|s| s.bucket_name.as_str()).into()
        }),
        prop("URL", Ty::Str, |d| {
            d.s3.as_ref().map(|s| s.url.as_str()).into()
        }),
    ];
}

impl Entity for Job {
    const TYPE_NAME: &'static str = "Job";
    const PROPS: &'static [Prop<Self>] = &[
        prop("JobId", Ty::Int, |j| j.job_id.into()),
        prop("ScheduleId", Ty::Int, |j| j.schedule_id.into()),
        prop("Name", Ty::Str, |j| j.name.as_str().into()),
        prop("JobType", Ty::Str, |j| j.job_type.as_str().into()),
        prop("Enabled", Ty::Bool, |j| j.enabled.into()),
    ];
}

impl Entity for BackupSource {
    const TYPE_NAME: &'static str = "BackupSource";
    const PROPS: &'static [Prop<Self>] = &[
        prop("Name", Ty::Str, |s| s.name.as_str().into()),
        prop("Path", Ty::Str, |s| s.path.as_str().into()),
        prop("Type", Ty::Str, |s| s.source_type.as_str().into()),
        prop("HasChildren", Ty::Bool, |s| s.has_children.into()),
    ];
}

impl Entity for Group {
    const TYPE_NAME: &'static str = "Group";
    const PROPS: &'static [Prop<Self>] = &[
        prop("GroupId", Ty::Int, |g| g.group_id.into()),
        prop("GroupName", Ty::Str, |g| g.group_name.as_str().into()),
        prop("Description", Ty::Str, |g| g.description.as_deref().into()),
        prop("ParentGroupId", Ty::Int, |g| g.parent_group_id.into()),
        prop("TenantId", Ty::Str, |g| g.tenant_id.as_deref().into()),
        prop("Default", Ty::Bool, |g| g.is_default.into()),
    ];

    fn visible(&self, _ds: &Dataset, scope: &Scope) -> bool {
        scope.allows(self.tenant_id.as_deref())
    }
}

impl Entity for CloudStorageAccount {
    const TYPE_NAME: &'static str = "CloudStorageAccount";
    const PROPS: &'static [Prop<Self>] = &[
        prop("CloudStorageAccountId", Ty::Int, |c| {
            c.cloud_storage_account_id.into()
        }),
        prop("UserName", Ty::Str, |c| c.user_name.as_str().into()),
        prop("UsedBytes", Ty::Int, |c| c.used_bytes.into()),
        prop("UsedBytesLastCalculationCompleted", Ty::Date, |c| {
            c.used_bytes_last_calculation_completed.into()
        }),
        prop("BackupClientLicenseKey", Ty::Str, |c| {
            c.backup_client_license_key.as_str().into()
        }),
        prop("StorageServerId", Ty::Int, |c| c.storage_server_id.into()),
        prop("QuotaBytes", Ty::Int, |c| c.quota_bytes.into()),
        prop("FreeBytes", Ty::Int, |c| c.free_bytes.into()),
        prop("ComputedQuotaBytes", Ty::Int, |c| {
            c.computed_quota_bytes.into()
        }),
        prop("ComputedFreeBytes", Ty::Int, |c| {
            c.computed_free_bytes.into()
        }),
        prop("Enabled", Ty::Bool, |c| c.enabled.into()),
        prop("DisplayType", Ty::Str, |c| c.display_type.as_str().into()),
        prop("LastBackupDate", Ty::Date, |c| c.last_backup_date.into()),
    ];

    fn visible(&self, ds: &Dataset, scope: &Scope) -> bool {
        scope.allows_any(ds.csa_tenants(self.cloud_storage_account_id))
    }
}

impl Entity for StorageServer {
    const TYPE_NAME: &'static str = "StorageServer";
    const PROPS: &'static [Prop<Self>] = &[
        prop("StorageServerId", Ty::Int, |s| s.storage_server_id.into()),
        prop("Name", Ty::Str, |s| s.name.as_str().into()),
        prop("Url", Ty::Str, |s| s.url.as_str().into()),
        prop("Region", Ty::Str, |s| s.region.as_str().into()),
    ];
}

impl Entity for JobHistory {
    const TYPE_NAME: &'static str = "JobHistory";
    const PROPS: &'static [Prop<Self>] = &[
        prop("JobLogId", Ty::Int, |r| r.job_log_id.into()),
        prop("JobId", Ty::Int, |r| r.job_id.into()),
        prop("AgentId", Ty::Int, |r| r.agent_id.into()),
        prop("JobName", Ty::Str, |r| r.job_name.as_str().into()),
        prop("JobType", Ty::Str, |r| r.job_type.as_str().into()),
        prop("Status", Ty::Int, |r| r.status.into()),
        prop("StartDateTime", Ty::Date, |r| r.start_date_time.into()),
        prop("EndDateTime", Ty::Date, |r| r.end_date_time.into()),
        prop("ElapsedTimeInSeconds", Ty::Int, |r| {
            r.elapsed_time_in_seconds.into()
        }),
        prop("SizeInBytes", Ty::Int, |r| r.size_in_bytes.into()),
        prop("BytesProcessed", Ty::Int, |r| r.bytes_processed.into()),
        prop("BytesFinished", Ty::Int, |r| r.bytes_finished.into()),
        prop("FilesProcessed", Ty::Int, |r| r.files_processed.into()),
        prop("FilesFinished", Ty::Int, |r| r.files_finished.into()),
    ];
    const NAVS: &'static [NavDef] = &[NavDef {
        name: "Agent",
        many: false,
        target: Agent::SCHEMA,
    }];

    fn navigate<'a>(&'a self, ds: &'a Dataset, name: &str) -> NavValue<'a> {
        match name {
            "Agent" => NavValue::One(ds.agent(self.agent_id).map(|a| a as &dyn Row)),
            _ => NavValue::One(None),
        }
    }

    fn visible(&self, ds: &Dataset, scope: &Scope) -> bool {
        ds.agent(self.agent_id)
            .is_some_and(|a| scope.allows(ds.agent_tenant(a)))
    }
}

impl Entity for User {
    const TYPE_NAME: &'static str = "User";
    const PROPS: &'static [Prop<Self>] = &[
        prop("UserId", Ty::Int, |u| u.user_id.into()),
        prop("UserName", Ty::Str, |u| u.user_name.as_str().into()),
        prop("EmailAddress", Ty::Str, |u| u.email_address.as_str().into()),
        prop("Enabled", Ty::Bool, |u| u.enabled.into()),
        prop("IsApproved", Ty::Bool, |u| u.is_approved.into()),
        prop("IsLockedOut", Ty::Bool, |u| u.is_locked_out.into()),
        prop("IsOnline", Ty::Bool, |u| u.is_online.into()),
        prop("LastLoginDate", Ty::Date, |u| u.last_login_date.into()),
        prop("RoleId", Ty::Int, |u| u.role_id.into()),
        prop("Description", Ty::Str, |u| u.description.as_deref().into()),
    ];
}
