//! Example data in the shapes of docs/upstream/novabackup.md §7, plus every case of §9.2, relative to a given "now".
//!
//! Two tenants (Acme Dental with a nested branch group, Blue Ridge Law) under a root group
//! without tenant; agents with S3 and local devices, a disconnected failing agent, an agent
//! with nothing yet, legacy and dangling S3 devices; managed and agent-defined jobs; runs of
//! every interesting status inside and outside the last 24 hours; two users.

use std::collections::HashMap;

use chrono::{Duration, DurationRound};

use super::dataset::Dataset;
use super::model::{
    Agent, BackupSource, CloudStorageAccount, Device, Group, Job, JobHistory, LogMessage, RunLog,
    S3Target, StorageServer, Time, User, status,
};

/// Tenant of Acme Dental (groups 10 and 11).
pub const ACME_TENANT: &str = "3f2c8a4e-1b7d-4c1a-9e55-0a1b2c3d4e5f";
/// Tenant of Blue Ridge Law (group 20).
pub const BLUE_RIDGE_TENANT: &str = "8d0e6b12-5a43-4f7e-8c21-9f8e7d6c5b4a";

impl Dataset {
    /// The fixture described in the module docs; all times are offsets from `now`.
    pub fn sample(now: Time) -> Dataset {
        let now = now.duration_trunc(Duration::seconds(1)).unwrap_or(now);
        let ago = |minutes: i64| Some(now - Duration::minutes(minutes));
        let agents = sample_agents(&ago);
        Dataset {
            groups: sample_groups(),
            job_histories: sample_runs(&agents, &ago),
            agents,
            cloud_storage_accounts: sample_csas(&ago),
            storage_servers: vec![StorageServer {
                storage_server_id: 3,
                name: "Wasabi us-east-1".into(),
                url: "https://s3.example.net".into(),
                region: "us-east-1".into(),
            }],
            logs: HashMap::from([(70002, failed_log(now))]),
            users: sample_users(now),
            backup_sources: standard_sources(),
            ..Dataset::default()
        }
    }
}

/// A group row.
pub(super) fn group(id: i64, name: &str, parent: Option<i64>, tenant: Option<&str>) -> Group {
    Group {
        group_id: id,
        group_name: name.into(),
        description: parent.filter(|&p| p == 1).map(|_| "Customer".into()),
        parent_group_id: parent,
        tenant_id: tenant.map(Into::into),
        is_default: false,
    }
}

/// The root group: no tenant, no parent, the default.
pub(super) fn root_group() -> Group {
    Group {
        description: Some("Top".into()),
        is_default: true,
        ..group(1, "Root", None, None)
    }
}

fn sample_groups() -> Vec<Group> {
    vec![
        group(10, "Acme Dental", Some(1), Some(ACME_TENANT)),
        group(11, "Acme Dental - Branch", Some(10), Some(ACME_TENANT)),
        group(20, "Blue Ridge Law", Some(1), Some(BLUE_RIDGE_TENANT)),
        root_group(),
    ]
}

/// An S3-compatible device.
pub(super) fn s3_device(id: i64, name: &str, csa_id: Option<i64>, bucket: &str) -> Device {
    Device {
        odata_type: "#Devices.AmazonS3CompatibleDevice".into(),
        agent_device_id: id,
        display_type: "AmazonS3Compatible".into(),
        name: name.into(),
        size: None,
        free_space: None,
        status: 0,
        status_updated: None,
        s3: Some(S3Target {
            csa_id,
            bucket_name: bucket.into(),
            url: "https://s3.example.net".into(),
        }),
    }
}

/// A local disk device.
pub(super) fn local_device(id: i64, name: &str, size: i64, free: i64) -> Device {
    Device {
        odata_type: "#Devices.LocalDevice".into(),
        display_type: "Local".into(),
        size: Some(size),
        free_space: Some(free),
        s3: None,
        ..s3_device(id, name, None, "")
    }
}

/// A job definition.
pub(super) fn job(job_id: Option<i64>, schedule_id: i64, name: &str, job_type: &str) -> Job {
    Job {
        job_id,
        schedule_id,
        name: name.into(),
        job_type: job_type.into(),
        enabled: true,
    }
}

/// An agent with the fields most rows share.
pub(super) fn agent(id: i64, guid: &str, name: &str, ip: &str, group_id: i64) -> Agent {
    Agent {
        agent_id: id,
        agent_guid: guid.into(),
        friendly_name: name.into(),
        machine_name: name.into(),
        ip_address: ip.into(),
        connected: true,
        backup_client_type: 1,
        backup_client_version_number: "21.1.1010".into(),
        group_id,
        last_activity_date: None,
        last_backup_date: None,
        last_backup_status: None,
        devices: Vec::new(),
        jobs: Vec::new(),
    }
}

fn sample_agents(ago: &dyn Fn(i64) -> Option<Time>) -> Vec<Agent> {
    let dc01 = Agent {
        last_activity_date: ago(90),
        last_backup_date: ago(204),
        last_backup_status: Some(status::SUCCESS),
        devices: vec![
            Device {
                size: Some(214_748_364_800),
                status_updated: ago(194),
                ..s3_device(5001, "Cloud (Wasabi)", Some(7), "acme-dental")
            },
            Device {
                status_updated: ago(194),
                ..local_device(5002, "D:\\Backups", 53_687_091_200, 10_737_418_240)
            },
        ],
        jobs: vec![
            job(Some(900), 1, "Nightly image", "ImageBackup"),
            job(None, 2, "Local files (agent-defined)", "FileBackup"),
        ],
        ..agent(
            101,
            "0b6f7c1e-8a9d-4e2f-b3c4-d5e6f7a8b9c0",
            "ACME-DC01",
            "10.0.0.5",
            10,
        )
    };
    let fs01 = Agent {
        connected: false,
        backup_client_version_number: "20.0.1118".into(),
        last_activity_date: ago(75_000),
        last_backup_date: ago(75_564),
        last_backup_status: Some(status::FAILED),
        devices: vec![Device {
            status: 1,
            status_updated: ago(75_000),
            ..s3_device(5003, "Legacy bucket", None, "old-bucket")
        }],
        jobs: vec![job(Some(901), 1, "Shares to cloud", "FileBackup")],
        ..agent(
            102,
            "1c7a8d2f-9bae-4f30-84d5-e6f7a8b9c0d1",
            "ACME-FS01",
            "10.0.0.6",
            11,
        )
    };
    let laptop = Agent {
        backup_client_type: 2,
        last_activity_date: ago(324),
        ..agent(
            103,
            "2d8b9e3a-acbf-4041-95e6-f7a8b9c0d1e2",
            "BRL-LAPTOP-7",
            "192.0.2.17",
            20,
        )
    };
    let ws01 = Agent {
        last_activity_date: ago(5),
        last_backup_date: ago(480),
        last_backup_status: Some(status::WARNING),
        devices: vec![
            Device {
                size: Some(1_073_741_824),
                ..s3_device(5004, "Cloud (BRL)", Some(8), "blue-ridge-law")
            },
            Device {
                size: Some(2_147_483_648),
                ..s3_device(5005, "Old cloud account", Some(42), "brl-archive")
            },
        ],
        jobs: vec![job(Some(902), 1, "Daily documents", "FileBackup")],
        ..agent(
            104,
            "3e9cafb4-bdc0-4152-a6f7-08b9c0d1e2f3",
            "BRL-WS01",
            "192.0.2.21",
            20,
        )
    };
    vec![dc01, fs01, laptop, ws01]
}

fn sample_csas(ago: &dyn Fn(i64) -> Option<Time>) -> Vec<CloudStorageAccount> {
    let acme = CloudStorageAccount {
        cloud_storage_account_id: 7,
        user_name: "acme-dental".into(),
        used_bytes: Some(220_000_000_000),
        used_bytes_last_calculation_completed: ago(1_344),
        backup_client_license_key: "NBXXX-AAAA-BBBB-CCCC".into(),
        storage_server_id: 3,
        quota_bytes: Some(536_870_912_000),
        free_bytes: Some(316_870_912_000),
        computed_quota_bytes: Some(536_870_912_000),
        computed_free_bytes: Some(316_870_912_000),
        enabled: true,
        display_type: "Amazon S3 Compatible Cloud Storage Account".into(),
        last_backup_date: ago(204),
    };
    let blue_ridge = CloudStorageAccount {
        cloud_storage_account_id: 8,
        user_name: "blue-ridge-law".into(),
        used_bytes: Some(0),
        used_bytes_last_calculation_completed: None,
        backup_client_license_key: "NBXXX-DDDD-EEEE-FFFF".into(),
        quota_bytes: None,
        free_bytes: None,
        computed_quota_bytes: None,
        computed_free_bytes: None,
        last_backup_date: None,
        ..acme.clone()
    };
    vec![acme, blue_ridge]
}

/// A run; `minutes` is how long ago it started, `length` how long it took (`None` = running).
pub(super) struct RunSpec<'a> {
    pub id: i64,
    pub job: &'a Job,
    pub agent_id: i64,
    pub status: i64,
    pub started: Option<Time>,
    pub seconds: Option<i64>,
    pub bytes: i64,
}

/// A run row from its essentials; byte and file counters follow the status.
pub(super) fn run(spec: RunSpec<'_>) -> JobHistory {
    let end = spec
        .started
        .zip(spec.seconds)
        .map(|(s, l)| s + Duration::seconds(l));
    let files = spec.bytes / 8_192;
    let finished = if spec.status == status::SUCCESS {
        1.0
    } else {
        0.95
    };
    JobHistory {
        job_log_id: spec.id,
        job_id: spec.job.job_id,
        agent_id: spec.agent_id,
        job_name: spec.job.name.clone(),
        job_type: spec.job.job_type.clone(),
        status: spec.status,
        start_date_time: spec.started,
        end_date_time: end,
        elapsed_time_in_seconds: spec.seconds.unwrap_or(0),
        size_in_bytes: Some(spec.bytes),
        bytes_processed: Some(spec.bytes),
        bytes_finished: Some((spec.bytes as f64 * finished) as i64),
        files_processed: Some(files),
        files_finished: Some((files as f64 * finished) as i64),
    }
}

fn sample_runs(agents: &[Agent], ago: &dyn Fn(i64) -> Option<Time>) -> Vec<JobHistory> {
    let (image, local) = (&agents[0].jobs[0], &agents[0].jobs[1]);
    let (shares, docs) = (&agents[1].jobs[0], &agents[3].jobs[0]);
    let spec = |id, job, agent_id, status, minutes, seconds: Option<i64>, bytes| RunSpec {
        id,
        job,
        agent_id,
        status,
        started: ago(minutes),
        seconds,
        bytes,
    };
    let mut failed_now = run(spec(70002, shares, 102, status::FAILED, 300, Some(360), 0));
    failed_now.elapsed_time_in_seconds = 0;
    vec![
        run(spec(
            70001,
            image,
            101,
            status::SUCCESS,
            3_000,
            Some(1_800),
            40_000_000_000,
        )),
        failed_now,
        run(spec(
            70003,
            local,
            101,
            status::WARNING,
            1_560,
            Some(3_600),
            1_048_576,
        )),
        run(spec(
            70004,
            image,
            101,
            status::SUCCESS,
            204,
            Some(1_500),
            41_000_000_000,
        )),
        run(spec(
            70005,
            shares,
            102,
            status::FAILED,
            4_320,
            Some(900),
            5_000_000,
        )),
        run(spec(
            70006,
            docs,
            104,
            status::WARNING,
            480,
            Some(600),
            300_000_000,
        )),
        run(spec(70007, docs, 104, status::RUNNING, 10, None, 1_000_000)),
        run(spec(70008, local, 101, status::PENDING, 0, None, 0)),
    ]
}

fn failed_log(now: Time) -> RunLog {
    let at = |minutes: i64, kind: &str, message: &str| LogMessage {
        kind: kind.into(),
        time: now - Duration::minutes(minutes) + Duration::seconds(1),
        message: message.into(),
    };
    RunLog {
        script_file_path: "C:\\ProgramData\\NovaStor\\Jobs\\Shares to cloud.nsscript".into(),
        messages: vec![
            at(300, "Information", "Backup started"),
            at(300, "Warning", "Share \\\\fs01\\scans is not reachable"),
            at(294, "Error", "Cloud device authentication failed (403)"),
        ],
    }
}

/// The two CMon users `alice` (administrator) and `tech2`.
pub(super) fn sample_users(now: Time) -> Vec<User> {
    let ago = |minutes: i64| Some(now - Duration::minutes(minutes));
    let alice = User {
        user_id: 1,
        user_name: "alice".into(),
        email_address: "alice@msp.example".into(),
        enabled: true,
        is_approved: true,
        is_locked_out: false,
        is_online: true,
        last_login_date: ago(1),
        role_id: 1,
        description: Some("MSP administrator".into()),
    };
    let tech2 = User {
        user_id: 2,
        user_name: "tech2".into(),
        email_address: "tech2@msp.example".into(),
        is_online: false,
        last_login_date: ago(4_320),
        role_id: 2,
        description: None,
        ..alice.clone()
    };
    vec![alice, tech2]
}

/// The source tree every connected agent reports: two roots and a few children of `C:\`.
pub(super) fn standard_sources() -> Vec<BackupSource> {
    let item =
        |name: &str, path: &str, kind: &str, children: bool, parent: Option<&str>| BackupSource {
            name: name.into(),
            path: path.into(),
            source_type: kind.into(),
            has_children: children,
            parent: parent.map(Into::into),
        };
    vec![
        item("C:", "C:\\", "Volume", true, None),
        item("System State", "SystemState", "SystemState", false, None),
        item("Users", "C:\\Users", "Folder", true, Some("C:\\")),
        item("Data", "C:\\Data", "Folder", true, Some("C:\\")),
        item(
            "pagefile.sys",
            "C:\\pagefile.sys",
            "File",
            false,
            Some("C:\\"),
        ),
    ]
}
