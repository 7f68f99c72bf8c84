//! [`BackrestDataset::site`]: one customer's Backrest host described by a [`SiteSpec`] (its
//! plans, schedules, data sizes and troubles) with `days` of history relative to `now`. The
//! same spec always gives the same dataset, so a demo fleet is reproducible per seed while every
//! customer looks different.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::backup::BackupOutcome;
use super::data::BackrestDataset;
use super::ids::IdGen;
use super::model::{OpKind, OpStatus, SourceFile};
use super::sample::{Event, replay};

const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const RESTIC: &str = "/usr/local/bin/restic";
/// Backup throughput in MB/s (restic re-reads changed files, skips unchanged ones by metadata).
const RATE_MB_S: std::ops::Range<u64> = 40..220;

/// One customer's Backrest host.
#[derive(Clone, Debug)]
pub struct SiteSpec {
    /// Instance id; also the host name in snapshots, as the MSP names the machine.
    pub instance: String,
    /// Lowercase customer slug, used in bucket names and hook URLs.
    pub tenant: String,
    /// Where the off-site repository lives.
    pub offsite: Offsite,
    /// Backup plans.
    pub plans: Vec<PlanSpec>,
    /// Days of history.
    pub days: i64,
    /// Seed of every random choice (durations, sporadic failures, reasons, ids).
    pub seed: u64,
}

/// A backup plan of a site.
#[derive(Clone, Debug)]
pub struct PlanSpec {
    /// Plan id.
    pub id: String,
    /// The one path the plan backs up.
    pub path: String,
    /// Files under `path` (sizes make the byte counts and durations).
    pub files: Vec<SourceFile>,
    /// When it runs.
    pub schedule: Schedule,
    /// To the off-site repository (else the local one).
    pub offsite: bool,
    /// What goes wrong with it.
    pub trouble: Trouble,
}

/// A plan's schedule.
#[derive(Clone, Copy, Debug)]
pub enum Schedule {
    /// Every day at this UTC time.
    Daily { hour: u32, minute: u32 },
    /// Every `n` hours since the last run.
    EveryHours(u32),
}

/// What goes wrong with a plan beyond the sporadic failures every plan has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trouble {
    /// Only sporadic failures and warnings.
    None,
    /// Among the runs of the last day: the newest failed (`failed`), and the newest other one
    /// (or the newest, when it did not fail) finished with unreadable files (`warned`).
    Recent { failed: bool, warned: bool },
    /// Every run of the last `days` days failed with the same reason: the plan is stale.
    BrokenFor { days: i64 },
}

/// The off-site repository's provider.
#[derive(Clone, Copy, Debug)]
pub enum Offsite {
    B2,
    Wasabi,
    Sftp,
}

/// restic failures by repository kind: exit code and the `Fatal:` line (`{host}`, `{repo}` as
/// restic prints the location, `{url}` the location's HTTP URL, made-up `{pid}`, `{blob}`).
const OFFSITE_FAILURES: [(i32, &str); 4] = [
    (
        11,
        "Fatal: unable to create lock in backend: repository is already locked by PID {pid} on {host} by root (UID 0, GID 0)",
    ),
    (
        1,
        "Fatal: unable to open config file: Stat: {repo}/config: 503 Service Unavailable",
    ),
    (
        12,
        "Fatal: wrong password or no key found: the repository password was changed or the key was removed",
    ),
    (
        1,
        "Fatal: unable to save snapshot: Save(<data/{blob}>): context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
    ),
];
const LOCAL_FAILURES: [(i32, &str); 3] = [
    (
        11,
        "Fatal: unable to create lock in backend: repository is already locked exclusively by PID {pid} on {host} by root (UID 0, GID 0)",
    ),
    (
        1,
        "Fatal: unable to open repository at {repo}: Head \"{url}config\": dial tcp 10.{net}.0.20:8000: connect: connection refused",
    ),
    (
        1,
        "Fatal: unable to save snapshot: write /srv/restic/{host}/data/{blob2}/{blob}: no space left on device",
    ),
];
/// Files restic could not read (the run still makes a snapshot): `{file}` is a path of the plan.
const WARNINGS: [&str; 3] = [
    "open {file}: permission denied",
    "lstat {file}: no such file or directory",
    "read {file}: input/output error",
];

impl Offsite {
    fn repo(self, tenant: &str, instance: &str) -> (&'static str, String, Vec<String>) {
        match self {
            Offsite::B2 => (
                "b2-offsite",
                format!("b2:msp-{tenant}:/{instance}"),
                vec!["B2_ACCOUNT_ID".into(), "B2_ACCOUNT_KEY".into()],
            ),
            Offsite::Wasabi => (
                "wasabi-offsite",
                format!("s3:https://s3.us-east-2.wasabisys.com/msp-{tenant}/{instance}"),
                vec!["AWS_ACCESS_KEY_ID".into(), "AWS_SECRET_ACCESS_KEY".into()],
            ),
            Offsite::Sftp => (
                "sftp-dr",
                format!("sftp:restic@dr.msp.example:/srv/restic/{tenant}/{instance}"),
                Vec::new(),
            ),
        }
    }
}

impl Schedule {
    fn json(self) -> Value {
        match self {
            Schedule::Daily { hour, minute } => {
                json!({"cron": format!("{minute} {hour} * * *"), "clock": "CLOCK_LOCAL"})
            }
            Schedule::EveryHours(n) => {
                json!({"maxFrequencyHours": n, "clock": "CLOCK_LAST_RUN_TIME"})
            }
        }
    }

    /// Start times (ms) of the runs in `[now - days, now)`, oldest first.
    fn starts(self, now_ms: i64, days: i64, ids: &mut IdGen) -> Vec<i64> {
        let first = now_ms - days * DAY;
        let mut out = Vec::new();
        match self {
            Schedule::Daily { hour, minute } => {
                let midnight = now_ms / DAY * DAY;
                for d in (0..=days).rev() {
                    let at =
                        midnight - d * DAY + i64::from(hour) * HOUR + i64::from(minute) * MINUTE;
                    out.push(at + jitter(ids, 90_000));
                }
            }
            Schedule::EveryHours(n) => {
                let step = i64::from(n.max(1)) * HOUR;
                let mut at = now_ms - step + jitter(ids, 20 * MINUTE);
                while at > first {
                    out.push(at);
                    at -= step + jitter(ids, 5 * MINUTE);
                }
                out.reverse();
            }
        }
        out.retain(|t| (first..now_ms).contains(t));
        out
    }
}

fn jitter(ids: &mut IdGen, max_ms: i64) -> i64 {
    i64::try_from(ids.below(u64::try_from(max_ms).unwrap_or(1))).unwrap_or(0)
}

fn fill(template: &str, site: &SiteSpec, repo: &str, ids: &mut IdGen) -> String {
    template
        .replace("{host}", &site.instance)
        .replace("{repo}", repo)
        .replace("{url}", repo.strip_prefix("rest:").unwrap_or(repo))
        .replace("{pid}", &(1_000 + ids.below(60_000)).to_string())
        .replace("{net}", &(ids.below(200) + 20).to_string())
        .replace("{blob2}", &ids.hex(2))
        .replace("{blob}", &ids.hex(64))
}

/// A restic failure fitting the plan's repository.
fn failure(site: &SiteSpec, plan: &PlanSpec, repo: &str, ids: &mut IdGen) -> BackupOutcome {
    let table: &[(i32, &str)] = if plan.offsite {
        &OFFSITE_FAILURES
    } else {
        &LOCAL_FAILURES
    };
    let (code, template) = table[ids.below(table.len() as u64) as usize];
    BackupOutcome::ResticFailed {
        code,
        fatal: fill(template, site, repo, ids),
    }
}

fn warning(plan: &PlanSpec, ids: &mut IdGen) -> BackupOutcome {
    let template = WARNINGS[ids.below(WARNINGS.len() as u64) as usize];
    let file = plan
        .files
        .get(ids.below(plan.files.len().max(1) as u64) as usize)
        .map_or_else(
            || plan.path.clone(),
            |f| format!("{}/{}", plan.path, f.path),
        );
    BackupOutcome::Warning(template.replace("{file}", &file))
}

/// How long a backup of `bytes` takes: a scan plus the data at a plausible rate.
fn duration_ms(bytes: u64, ids: &mut IdGen) -> i64 {
    let rate = RATE_MB_S.start + ids.below(RATE_MB_S.end - RATE_MB_S.start);
    let transfer = bytes / (rate * 1_000);
    i64::try_from(transfer).unwrap_or(i64::MAX / 2) + 5_000 + jitter(ids, 15_000)
}

/// The backups of one plan, oldest first.
fn plan_events(
    site: &SiteSpec,
    plan: &PlanSpec,
    repo: &str,
    now_ms: i64,
    ids: &mut IdGen,
) -> Vec<(i64, Event)> {
    let bytes: u64 = plan.files.iter().map(|f| f.size).sum();
    let broken_reason = failure(site, plan, repo, ids);
    let runs: Vec<(i64, i64)> = plan
        .schedule
        .starts(now_ms, site.days, ids)
        .into_iter()
        .map(|start| (start, duration_ms(bytes, ids)))
        .collect();
    let done = |i: usize| runs[i].0 + runs[i].1 < now_ms;
    let of_last_day: Vec<usize> = (0..runs.len())
        .rev()
        .filter(|&i| done(i) && runs[i].0 >= now_ms - DAY)
        .collect();
    let (fail_at, warn_at) = match plan.trouble {
        Trouble::Recent { failed, warned } => {
            let fail_at = of_last_day.first().copied().filter(|_| failed);
            let skip = usize::from(fail_at.is_some());
            (fail_at, of_last_day.get(skip).copied().filter(|_| warned))
        }
        _ => (None, None),
    };
    let mut out = Vec::with_capacity(runs.len());
    for (i, &(start, dur)) in runs.iter().enumerate() {
        if !done(i) {
            // Still running: Backrest shows it in progress.
            out.push((start, Event::Running(plan.id.clone())));
            continue;
        }
        let outcome = match plan.trouble {
            Trouble::BrokenFor { days } if start >= now_ms - days * DAY => broken_reason.clone(),
            _ if fail_at == Some(i) => failure(site, plan, repo, ids),
            _ if warn_at == Some(i) => warning(plan, ids),
            _ => match ids.below(100) {
                0..3 => failure(site, plan, repo, ids),
                3..8 => warning(plan, ids),
                _ => BackupOutcome::Success,
            },
        };
        // A failed run ends early: restic gives up when it meets the problem.
        let dur = match outcome {
            BackupOutcome::ResticFailed { .. } => 2_000 + jitter(ids, dur / 3 + 1),
            _ => dur,
        };
        out.push((start, Event::Backup(plan.id.clone(), outcome, dur)));
    }
    out
}

/// Weekly prune and check of each repository, the newest a few days ago.
fn maintenance(repos: &[&str], now_ms: i64, days: i64, ids: &mut IdGen) -> Vec<(i64, Event)> {
    let out_log = |what: &str| json!({"outputLogref": what});
    let mut out = Vec::new();
    for (r, repo) in repos.iter().enumerate() {
        let offset = (r as i64 + 1) * DAY + jitter(ids, 6 * HOUR);
        for week in 0..days / 7 {
            let at = now_ms - offset - week * 7 * DAY;
            let prune = 120_000 + jitter(ids, 600_000);
            out.push((
                at,
                Event::System(
                    (*repo).to_owned(),
                    OpKind::OperationPrune(out_log("prune")),
                    OpStatus::Success,
                    prune,
                ),
            ));
            out.push((
                at + prune + 60_000,
                Event::System(
                    (*repo).to_owned(),
                    OpKind::OperationCheck(out_log("check")),
                    OpStatus::Success,
                    300_000 + jitter(ids, 900_000),
                ),
            ));
        }
    }
    out
}

/// A repository location as restic prints it: the password of `user:password@` replaced.
fn without_password(uri: &str) -> String {
    match (uri.find("://"), uri.find('@')) {
        (Some(scheme), Some(at)) if at > scheme => match uri[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &uri[..scheme + 3], &uri[at..]),
            None => uri.to_owned(),
        },
        _ => uri.to_owned(),
    }
}

fn config(site: &SiteSpec, ids: &mut IdGen) -> Value {
    let (offsite_id, offsite_uri, env) = site.offsite.repo(&site.tenant, &site.instance);
    let local_uri = format!(
        "rest:https://restic:{}@backup.{}.lan:8000/{}/",
        ids.hex(16),
        site.tenant,
        site.instance
    );
    let env: Vec<String> = env.iter().map(|k| format!("{k}={}", ids.hex(24))).collect();
    let plans: Vec<Value> = site
        .plans
        .iter()
        .map(|p| {
            json!({
                "id": p.id,
                "repo": if p.offsite { offsite_id } else { "nas-local" },
                "paths": [p.path],
                "schedule": p.schedule.json(),
                "retention": {"policyTimeBucketed": {"daily": 7, "weekly": 4, "monthly": 6}},
            })
        })
        .collect();
    json!({
        "modno": 3 + ids.below(40),
        "version": 6,
        "instance": site.instance,
        "repos": [
            {
                "id": offsite_id,
                "uri": offsite_uri,
                "guid": ids.object_id(),
                "password": format!("{}-offsite-{}", site.tenant, ids.hex(12)),
                "env": env,
                "prunePolicy": {"schedule": {"maxFrequencyDays": 7, "clock": "CLOCK_LAST_RUN_TIME"}, "maxUnusedPercent": 10},
                "checkPolicy": {"schedule": {"maxFrequencyDays": 7, "clock": "CLOCK_LAST_RUN_TIME"}, "readDataSubsetPercent": 5},
                "hooks": [{
                    "conditions": ["CONDITION_SNAPSHOT_ERROR", "CONDITION_ANY_ERROR"],
                    "actionWebhook": {
                        "webhookUrl": format!("https://hooks.msp.example/backrest/{}?token={}", site.tenant, ids.hex(24)),
                        "method": "POST",
                        "template": "{{ .Summary }}"
                    }
                }],
                "autoUnlock": true
            },
            {
                "id": "nas-local",
                "uri": local_uri,
                "guid": ids.object_id(),
                "password": format!("{}-nas-{}", site.tenant, ids.hex(12)),
                "prunePolicy": {"schedule": {"maxFrequencyDays": 7, "clock": "CLOCK_LAST_RUN_TIME"}, "maxUnusedPercent": 25},
                "checkPolicy": {"schedule": {"maxFrequencyDays": 7, "clock": "CLOCK_LAST_RUN_TIME"}, "readDataSubsetPercent": 1}
            }
        ],
        "plans": plans,
    })
}

impl BackrestDataset {
    /// The Backrest host `site` describes: an off-site and a local repository, its plans with
    /// `days` of runs on their schedules (sizes from the plan's files, durations at 40–220
    /// MB/s, sporadic failures and warnings with real-looking restic errors, the plan's
    /// [`Trouble`]), weekly prune and check; runs not finished by `now` in progress, and one
    /// backup running now when a plan runs every few hours.
    pub fn site(now: DateTime<Utc>, site: &SiteSpec) -> BackrestDataset {
        let mut ids = IdGen::seeded(&format!("{}/{}/{}", site.instance, site.tenant, site.seed));
        let config = config(site, &mut ids);
        let repo_uri = |id: &str| -> String {
            config["repos"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|r| r["id"] == id)
                .and_then(|r| r["uri"].as_str())
                .map(without_password)
                .unwrap_or_default()
        };
        let offsite_id = site.offsite.repo(&site.tenant, &site.instance).0;
        let now_ms = now.timestamp_millis();
        let mut history = Vec::new();
        for plan in &site.plans {
            let repo = repo_uri(if plan.offsite {
                offsite_id
            } else {
                "nas-local"
            });
            history.extend(plan_events(site, plan, &repo, now_ms, &mut ids));
        }
        let running = |p: &&PlanSpec| {
            history
                .iter()
                .any(|(_, e)| matches!(e, Event::Running(id) if *id == p.id))
        };
        if let Some(plan) = site
            .plans
            .iter()
            .filter(|p| !running(p))
            .find(|p| matches!(p.schedule, Schedule::EveryHours(_)))
        {
            history.push((now_ms - 90_000, Event::Running(plan.id.clone())));
        }
        history.extend(maintenance(
            &[offsite_id, "nas-local"],
            now_ms,
            site.days,
            &mut ids,
        ));
        history.retain(|(t, _)| *t < now_ms);
        history.sort_by_key(|(t, _)| *t);
        let skeleton = BackrestDataset {
            config,
            source_files: site
                .plans
                .iter()
                .map(|p| (p.path.clone(), p.files.clone()))
                .collect(),
            hostname: site.instance.clone(),
            restic_bin: RESTIC.to_string(),
            config_path: "/etc/backrest/config.json".into(),
            data_path: "/var/lib/backrest".into(),
            ..BackrestDataset::default()
        };
        replay(skeleton, ids, history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RECENT: Trouble = Trouble::Recent {
        failed: true,
        warned: true,
    };

    fn spec(instance: &str, trouble: Trouble) -> SiteSpec {
        SiteSpec {
            instance: instance.into(),
            tenant: "acme-dental".into(),
            offsite: Offsite::B2,
            plans: vec![PlanSpec {
                id: "imaging".into(),
                path: "/srv/imaging".into(),
                files: vec![SourceFile::new("2025.tar", 40_000_000_000)],
                schedule: Schedule::EveryHours(6),
                offsite: true,
                trouble,
            }],
            days: 30,
            seed: 7,
        }
    }

    fn backups(d: &BackrestDataset, since_ms: i64) -> Vec<&crate::doubles::backrest::Operation> {
        let mut ops: Vec<_> = d
            .operations
            .iter()
            .filter(|o| matches!(o.kind, OpKind::OperationBackup(_)))
            .filter(|o| o.unix_time_start_ms >= since_ms && !o.status.is_active())
            .collect();
        ops.sort_by_key(|o| std::cmp::Reverse(o.unix_time_start_ms));
        ops
    }

    #[test]
    fn sites_are_reproducible_distinct_and_plausible() {
        let now = Utc::now();
        let a = BackrestDataset::site(now, &spec("acme-nas01", RECENT));
        let again = BackrestDataset::site(now, &spec("acme-nas01", RECENT));
        let other = BackrestDataset::site(now, &spec("blue-nas01", RECENT));
        assert_eq!(a.operations, again.operations);
        assert_eq!(a.snapshots, again.snapshots);
        assert_ne!(a.snapshots, other.snapshots);
        let done = backups(&a, 0);
        assert!(done.len() >= 4 * 29, "{}", done.len());
        assert_eq!(
            (done[0].status, done[1].status),
            (OpStatus::Error, OpStatus::Warning)
        );
        assert!(
            done[0]
                .display_message
                .contains("\"message_type\":\"exit_error\"")
        );
        for op in done.iter().filter(|o| o.status == OpStatus::Success) {
            let secs = (op.unix_time_end_ms - op.unix_time_start_ms) as f64 / 1000.0;
            let mb_s = 40_000.0 / secs;
            assert!((20.0..=250.0).contains(&mb_s), "{mb_s} MB/s");
        }
    }

    #[test]
    fn a_broken_plan_fails_every_run_of_its_days() {
        let now = Utc::now();
        let d = BackrestDataset::site(now, &spec("acme-nas01", Trouble::BrokenFor { days: 9 }));
        let recent = backups(&d, now.timestamp_millis() - 9 * DAY);
        assert!(recent.len() >= 4 * 8, "{}", recent.len());
        assert!(recent.iter().all(|o| o.status == OpStatus::Error));
        let messages: std::collections::BTreeSet<_> =
            recent.iter().map(|o| &o.display_message).collect();
        assert_eq!(messages.len(), 1, "one reason: {messages:?}");
    }
}
