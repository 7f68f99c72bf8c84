//! [`BackrestDataset::sample`]: a plausible MSP-managed instance with 30 days of history
//! (successes, a failure, a warning, one backup still running, repo maintenance), relative to
//! `now`, reproducible for a given instance id and tenant hint.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::backup::{self, BackupOutcome};
use super::data::BackrestDataset;
use super::ids::IdGen;
use super::ledger::{Ledger, SYSTEM_PLAN};
use super::model::{OpKind, OpStatus, SourceFile};
use super::state::Store;

const HOUR: i64 = 3_600_000;
const DAY: i64 = 24 * HOUR;
const RESTIC: &str = "/usr/local/bin/restic";

/// Lowercase `[a-z0-9-]` form of the tenant hint.
fn slug(hint: &str) -> String {
    let s: String = hint
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    match s.trim_matches('-') {
        "" => "tenant".to_string(),
        t => t.to_string(),
    }
}

/// The sample config: two repos, two plans, secrets in clear (passwords, env, hook credentials).
fn config(ids: &mut IdGen, instance: &str, tenant: &str) -> Value {
    json!({
        "modno": 7,
        "version": 6,
        "instance": instance,
        "repos": [
            {
                "id": "b2-offsite",
                "uri": format!("b2:msp-{tenant}-backups:/{instance}"),
                "guid": ids.object_id(),
                "password": format!("{tenant}-offsite-{}", ids.hex(12)),
                "env": [format!("B2_ACCOUNT_ID=0012{}", ids.hex(8)), format!("B2_ACCOUNT_KEY=K001{}", ids.hex(27))],
                "prunePolicy": {"schedule": {"maxFrequencyDays": 7, "clock": "CLOCK_LAST_RUN_TIME"}, "maxUnusedPercent": 10},
                "checkPolicy": {"schedule": {"maxFrequencyDays": 7, "clock": "CLOCK_LAST_RUN_TIME"}, "readDataSubsetPercent": 5},
                "hooks": [{
                    "conditions": ["CONDITION_SNAPSHOT_ERROR", "CONDITION_ANY_ERROR"],
                    "actionWebhook": {
                        "webhookUrl": format!("https://hooks.example.net/backrest/{tenant}?token={}", ids.hex(24)),
                        "method": "POST",
                        "template": "{{ .Summary }}"
                    }
                }],
                "autoUnlock": true
            },
            {
                "id": "nas-local",
                "uri": format!("/mnt/nas/restic/{instance}"),
                "guid": ids.object_id(),
                "password": format!("{tenant}-nas-{}", ids.hex(12)),
                "prunePolicy": {"schedule": {"maxFrequencyDays": 1, "clock": "CLOCK_LAST_RUN_TIME"}, "maxUnusedPercent": 25},
                "forgetPolicy": {"schedule": {"maxFrequencyDays": 1}, "retention": {"policyKeepLastN": 40}},
                "hooks": [{
                    "conditions": ["CONDITION_PRUNE_ERROR", "CONDITION_CHECK_ERROR"],
                    "actionTelegram": {
                        "botToken": format!("6{}:AA{}", ids.below(1_000_000_000), ids.hex(33)),
                        "chatId": format!("-100{}", ids.below(10_000_000_000)),
                        "template": "{{ .Summary }}"
                    }
                }]
            }
        ],
        "plans": [
            {
                "id": "daily-home",
                "repo": "b2-offsite",
                "paths": ["/home"],
                "excludes": ["/home/*/.cache"],
                "schedule": {"cron": "0 2 * * *", "clock": "CLOCK_LOCAL"},
                "retention": {"policyTimeBucketed": {"daily": 7, "weekly": 4, "monthly": 6}},
                "hooks": [{
                    "conditions": ["CONDITION_SNAPSHOT_END"],
                    "actionHealthchecks": {"webhookUrl": format!("https://hc-ping.com/{}", ids.uuid())}
                }]
            },
            {
                "id": "db-dumps",
                "repo": "nas-local",
                "paths": ["/var/backups/postgres"],
                "schedule": {"maxFrequencyHours": 6, "clock": "CLOCK_LAST_RUN_TIME"},
                "retention": {"policyKeepLastN": 20},
                "backup_flags": ["--exclude-caches"],
                "hooks": [{
                    "conditions": ["CONDITION_SNAPSHOT_ERROR"],
                    "actionSlack": {"webhookUrl": format!("https://hooks.slack.com/services/T0{}/B0{}/{}", ids.hex(8), ids.hex(8), ids.hex(24))}
                }]
            }
        ],
        "sync": {"identity": {"keyId": format!("ed25519.{}", ids.hex(43))}}
    })
}

/// Source trees of the two plans.
fn sources() -> BTreeMap<String, Vec<SourceFile>> {
    BTreeMap::from([
        (
            "/home".to_string(),
            vec![
                SourceFile::new("alice/Documents/report-q3.docx", 182_331),
                SourceFile::new("alice/Documents/budget.xlsx", 48_112),
                SourceFile::new("alice/Pictures/team.jpg", 2_481_002),
                SourceFile::new("bob/notes.md", 4_210),
                SourceFile::new("bob/projects/app/src/main.rs", 12_400),
                SourceFile::new("bob/projects/app/Cargo.toml", 612),
            ],
        ),
        (
            "/var/backups/postgres".to_string(),
            vec![
                SourceFile::new("crm.sql.gz", 48_221_000),
                SourceFile::new("erp.sql.gz", 91_002_114),
            ],
        ),
    ])
}

/// One entry of a generated history (plan or repo id, outcome, duration in ms).
pub(super) enum Event {
    Backup(String, BackupOutcome, i64),
    Running(String),
    System(String, OpKind, OpStatus, i64),
}

/// The generated history, oldest first, as `(start ms, event)`.
fn events(ids: &mut IdGen, now_ms: i64) -> Vec<(i64, Event)> {
    let midnight = now_ms / DAY * DAY;
    let mut ev = Vec::new();
    for d in 0..30 {
        let start = midnight + 2 * HOUR - d * DAY;
        let outcome = match d {
            3 => BackupOutcome::Error(format!(
                "failed to backup: command \"{RESTIC} backup --json /home\" failed: exit status 1\nOutput:\nFatal: unable to open repository: b2_download_file_by_name: 503: Service Unavailable"
            )),
            1 => BackupOutcome::Warning("lstat /home/bob/.gvfs: permission denied".into()),
            _ => BackupOutcome::Success,
        };
        // A few MB of home directories: a scan and a small upload.
        let dur = 8_000 + i64::try_from(ids.below(20_000)).unwrap_or(0);
        if start + dur < now_ms {
            ev.push((start, Event::Backup("daily-home".into(), outcome, dur)));
        }
    }
    for k in 1..=28 {
        let start = now_ms - k * 6 * HOUR - 17 * 60_000;
        let outcome = if k == 9 {
            BackupOutcome::Error("failed to backup: hook \"pre-dump\" failed: pg_dump: error: connection to server on socket \"/run/postgresql/.s.PGSQL.5432\" failed: No such file or directory".into())
        } else {
            BackupOutcome::Success
        };
        ev.push((
            start,
            Event::Backup(
                "db-dumps".into(),
                outcome,
                20_000 + i64::try_from(ids.below(30_000)).unwrap_or(0),
            ),
        ));
    }
    ev.push((now_ms - 90_000, Event::Running("db-dumps".into())));
    let out = |text: &str| json!({"outputLogref": text});
    for week in 0..4 {
        let base = midnight - (6 + 7 * week) * DAY + 4 * HOUR;
        ev.push((
            base,
            Event::System(
                "b2-offsite".into(),
                OpKind::OperationPrune(out("prune")),
                OpStatus::Success,
                420_000,
            ),
        ));
        ev.push((
            base + DAY,
            Event::System(
                "b2-offsite".into(),
                OpKind::OperationCheck(out("check")),
                OpStatus::Success,
                900_000,
            ),
        ));
    }
    ev.push((
        now_ms - 3 * HOUR,
        Event::System(
            "b2-offsite".into(),
            OpKind::OperationCheck(out("check")),
            OpStatus::Success,
            600_000,
        ),
    ));
    ev.push((
        now_ms - 20 * HOUR,
        Event::System(
            "nas-local".into(),
            OpKind::OperationPrune(out("prune")),
            OpStatus::Success,
            120_000,
        ),
    ));
    ev.push((
        now_ms - 10 * HOUR,
        Event::System(
            "nas-local".into(),
            OpKind::OperationForget(json!({"policy": {"policyKeepLastN": 40}})),
            OpStatus::Success,
            20_000,
        ),
    ));
    for d in 1..=2 {
        let stats = json!({"stats": {"totalSize": (139_000_000_i64 * d).to_string(), "totalUncompressedSize": (161_000_000_i64 * d).to_string(), "compressionRatio": 1.158, "totalBlobCount": (4_200 * d).to_string(), "snapshotCount": "20"}});
        ev.push((
            midnight - d * DAY + 5 * HOUR,
            Event::System(
                "nas-local".into(),
                OpKind::OperationStats(stats),
                OpStatus::Success,
                30_000,
            ),
        ));
    }
    ev.retain(|(t, _)| *t < now_ms);
    ev.sort_by_key(|(t, _)| *t);
    ev
}

/// Applies one event to the store.
pub(super) fn apply(store: &mut Store, start: i64, event: Event) {
    let instance = store.instance();
    match event {
        Event::Backup(plan, outcome, dur) => {
            let Some(spec) = store.backup_spec(&plan) else {
                return;
            };
            let id = backup::start(&mut store.ledger, &spec, start);
            backup::finish(&mut store.ledger, id, &spec, &outcome, start + dur);
        }
        Event::Running(plan) => {
            let Some(spec) = store.backup_spec(&plan) else {
                return;
            };
            let id = backup::start(&mut store.ledger, &spec, start);
            let progress = spec.progress(0.4);
            store
                .ledger
                .update(id, |op| op.kind = OpKind::OperationBackup(progress));
        }
        Event::System(repo, mut kind, status, dur) => {
            let Some(key) = store.repo_key(&repo) else {
                return;
            };
            if let Value::Object(m) = kind.body_mut()
                && let Some(Value::String(what)) = m.get("outputLogref").cloned()
            {
                let logref = store
                    .ledger
                    .add_log('c', format!("{what} completed without errors\n"));
                m.insert("outputLogref".into(), Value::String(logref));
            }
            let mut op = Ledger::blank((&key.0, &key.1), SYSTEM_PLAN, &instance, status, kind);
            op.unix_time_start_ms = start;
            op.unix_time_end_ms = start + dur;
            op.logref = store
                .ledger
                .add_log('t', format!("repo task on {repo} finished\n"));
            store.ledger.insert(op);
        }
    }
}

impl BackrestDataset {
    /// A sample instance for demos and tests, reproducible for the same arguments: repos
    /// `b2-offsite` and `nas-local` (with a forget policy), plans `daily-home` (daily at 02:00;
    /// one failed and one warning run) and `db-dumps` (every 6 h; one failure, one running now),
    /// weekly prune/check, recent stats/forget/prune, snapshots tagged `plan:<id>` and
    /// `created-by:<instance>`.
    pub fn sample(now: DateTime<Utc>, instance_id: &str, tenant_hint: &str) -> BackrestDataset {
        let tenant = slug(tenant_hint);
        let mut ids = IdGen::seeded(&format!("{instance_id}/{tenant}"));
        let config = config(&mut ids, instance_id, &tenant);
        let skeleton = BackrestDataset {
            config,
            source_files: sources(),
            hostname: instance_id.to_string(),
            restic_bin: RESTIC.to_string(),
            config_path: "/etc/backrest/config.json".into(),
            data_path: "/var/lib/backrest".into(),
            ..BackrestDataset::default()
        };
        let history = events(&mut ids, now.timestamp_millis());
        replay(skeleton, ids, history)
    }
}

/// The dataset `skeleton` becomes once `history` (oldest first) happened to it; `ids` go on
/// generating ids in the running double.
pub(super) fn replay(
    skeleton: BackrestDataset,
    ids: IdGen,
    history: Vec<(i64, Event)>,
) -> BackrestDataset {
    let mut store = Store::new(skeleton.clone());
    store.ledger.ids = ids;
    for (start, event) in history {
        apply(&mut store, start, event);
    }
    BackrestDataset {
        operations: store.ledger.operations.values().cloned().collect(),
        snapshots: store.ledger.snapshots.clone(),
        logs: store.ledger.logs.clone(),
        unreadable_logs: BTreeSet::new(),
        ..skeleton
    }
}
