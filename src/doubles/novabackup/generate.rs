//! Large, deterministic datasets for truncation, paging and benchmark tests, and the demo
//! fleet's Management Servers (named tenants with named machines).
//!
//! The same [`GenSpec`] always yields the same dataset. Runs take as long as their bytes need
//! (see `incidents`), failed and warning runs have logs with a reason, the last 24 hours always
//! hold a failure and a warning, and a dataset of four agents or more has a stale one. Ids follow the sample's ranges
//! (groups 10+, agents 101+, jobs 900+, runs 70000+ or higher), so two instances generated
//! with different seeds still share ids, as real servers do.

use std::collections::HashMap;

use chrono::{Duration, DurationRound};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::dataset::Dataset;
use super::incidents;
use super::model::{Agent, CloudStorageAccount, JobHistory, StorageServer, Time, status};
use super::sample::{
    RunSpec, agent, group, job, local_device, root_group, run, s3_device, sample_users,
    standard_sources,
};

/// Size and naming knobs of a generated dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct GenSpec {
    /// Seed of the random choices.
    pub seed: u64,
    /// Number of tenants (customer groups); at least 1.
    pub tenants: usize,
    /// Number of agents.
    pub agents: usize,
    /// Number of job runs, spread over the last `days` days.
    pub runs: usize,
    /// Span of the run history in days.
    pub days: i64,
    /// Names of the first tenants; the others are `Customer 001`, `Customer 002`, ...
    pub tenant_names: Vec<String>,
    /// Machine names of the first agents of each tenant (agents go to tenants in turn); the
    /// others are `<CODE>-PC0001`, ...
    pub tenant_hosts: Vec<Vec<String>>,
}

impl Default for GenSpec {
    fn default() -> Self {
        GenSpec {
            seed: 1,
            tenants: 10,
            agents: 100,
            runs: 2_000,
            days: 30,
            tenant_names: Vec::new(),
            tenant_hosts: Vec::new(),
        }
    }
}

/// Per-agent traits decided up front.
struct Profile {
    stale_since: Option<Time>,
    always_fails: bool,
}

impl Dataset {
    /// A dataset of the requested size, deterministic for `spec`.
    pub fn generated(now: Time, spec: &GenSpec) -> Dataset {
        let now = now.duration_trunc(Duration::seconds(1)).unwrap_or(now);
        let mut rng = StdRng::seed_from_u64(spec.seed);
        let tenants = spec.tenants.max(1);
        let names: Vec<String> = (0..tenants)
            .map(|t| {
                spec.tenant_names
                    .get(t)
                    .cloned()
                    .unwrap_or_else(|| format!("Customer {:03}", t + 1))
            })
            .collect();
        let guids: Vec<String> = (0..tenants).map(|_| guid(&mut rng)).collect();
        let mut groups = vec![root_group()];
        for (t, (name, tenant)) in names.iter().zip(&guids).enumerate() {
            let id = tenant_group(t);
            groups.push(group(id, name, Some(1), Some(tenant)));
            if t.is_multiple_of(3) {
                let branch = format!("{name} - Branch");
                groups.push(group(id + 1, &branch, Some(id), Some(tenant)));
            }
        }
        let csas = (0..tenants)
            .map(|t| csa(t, &names[t], now, &mut rng))
            .collect();
        let (mut agents, profiles) = agents(spec, &names, now, &mut rng);
        let runs = runs(spec, &mut agents, &profiles, now, &mut rng);
        let hosts: HashMap<i64, &str> = agents
            .iter()
            .map(|a| (a.agent_id, a.machine_name.as_str()))
            .collect();
        let logs = runs
            .iter()
            .filter_map(|r| {
                let name = hosts.get(&r.agent_id).copied().unwrap_or_default();
                Some((r.job_log_id, incidents::log_of(r, name, &mut rng)?))
            })
            .collect();
        Dataset {
            groups,
            agents,
            cloud_storage_accounts: csas,
            storage_servers: vec![
                StorageServer {
                    storage_server_id: 3,
                    name: "Wasabi us-east-1".into(),
                    url: "https://s3.example.net".into(),
                    region: "us-east-1".into(),
                },
                StorageServer {
                    storage_server_id: 4,
                    name: "MinIO on-prem".into(),
                    url: "https://minio.msp.example".into(),
                    region: "local".into(),
                },
            ],
            job_histories: runs,
            logs,
            users: sample_users(now),
            backup_sources: standard_sources(),
            ..Dataset::default()
        }
    }
}

fn tenant_group(t: usize) -> i64 {
    10 + 10 * t as i64
}

fn csa_id(t: usize) -> i64 {
    7 + t as i64
}

fn guid(rng: &mut StdRng) -> String {
    let hex = format!("{:032x}", rng.random::<u128>());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

fn slug(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ' ')
        .collect::<String>()
        .to_lowercase()
        .replace(' ', "-")
}

fn csa(t: usize, name: &str, now: Time, rng: &mut StdRng) -> CloudStorageAccount {
    let quota = 1_i64 << rng.random_range(39..43);
    let used = rng.random_range(0..quota);
    let recalculated = t % 10 != 9;
    CloudStorageAccount {
        cloud_storage_account_id: csa_id(t),
        user_name: slug(name),
        used_bytes: Some(if recalculated { used } else { 0 }),
        used_bytes_last_calculation_completed: recalculated
            .then(|| now - Duration::hours(rng.random_range(1..72))),
        backup_client_license_key: format!(
            "NBXXX-{:04X}-{:04X}-{:04X}",
            t,
            rng.random::<u16>(),
            rng.random::<u16>()
        ),
        storage_server_id: 3 + (t % 2) as i64,
        quota_bytes: Some(quota),
        free_bytes: Some(quota - used),
        computed_quota_bytes: Some(quota),
        computed_free_bytes: Some(quota - used),
        enabled: true,
        display_type: "Amazon S3 Compatible Cloud Storage Account".into(),
        last_backup_date: None,
    }
}

/// Job definitions agents get, by name and type.
const JOBS: [(&str, &str); 6] = [
    ("Nightly backup", "FileBackup"),
    ("Nightly image", "ImageBackup"),
    ("File shares to cloud", "FileBackup"),
    ("SQL dumps to cloud", "FileBackup"),
    ("User profiles", "FileBackup"),
    ("Weekly system image", "ImageBackup"),
];

fn agents(
    spec: &GenSpec,
    names: &[String],
    now: Time,
    rng: &mut StdRng,
) -> (Vec<Agent>, Vec<Profile>) {
    let count = spec.agents;
    let mut agents = Vec::with_capacity(count);
    let mut profiles = Vec::with_capacity(count);
    for i in 0..count {
        let t = i % names.len();
        let group_id = tenant_group(t) + i64::from(t.is_multiple_of(3) && i.is_multiple_of(5));
        let code: String = slug(&names[t]).replace('-', "").chars().take(4).collect();
        let name = spec
            .tenant_hosts
            .get(t)
            .and_then(|hosts| hosts.get(i / names.len()))
            .cloned()
            .unwrap_or_else(|| format!("{}-PC{:04}", code.to_uppercase(), i + 1));
        let id = 101 + i as i64;
        let ip = format!("10.{}.{}.{}", t % 250, (i / 250) % 250, i % 250 + 1);
        let mut a = agent(id, &guid(rng), &name, &ip, group_id);
        let roll = rng.random_range(0..100);
        // Every dataset of a few agents has a stale one, whatever the dice say.
        let forced_stale = count >= 4 && i == count / 2;
        let stale_since =
            (roll < 6 || forced_stale).then(|| now - Duration::days(rng.random_range(8..60)));
        a.connected = stale_since.is_none() && roll >= 9;
        a.last_activity_date =
            Some(stale_since.unwrap_or(now - Duration::minutes(rng.random_range(1..30))));
        if forced_stale || (roll != 50 && roll != 51) {
            let device_id = 5_001 + 2 * i as i64;
            let legacy = roll == 52;
            let bucket = format!("{}-{}", slug(&names[t]), i + 1);
            let mut cloud = s3_device(device_id, "Cloud", (!legacy).then(|| csa_id(t)), &bucket);
            cloud.size = Some(rng.random_range(1_i64 << 30..1_i64 << 40));
            cloud.status_updated = a.last_activity_date;
            a.devices.push(cloud);
            if rng.random_bool(0.5) {
                let size = 1_i64 << 40;
                a.devices.push(local_device(
                    device_id + 1,
                    "D:\\Backups",
                    size,
                    rng.random_range(0..size),
                ));
            }
            let (job_name, job_type) = JOBS[rng.random_range(0..JOBS.len())];
            a.jobs
                .push(job(Some(900 + i as i64), 1, job_name, job_type));
            if rng.random_bool(0.3) {
                a.jobs
                    .push(job(None, 2, "Local files (agent-defined)", "FileBackup"));
            }
        }
        agents.push(a);
        profiles.push(Profile {
            stale_since,
            always_fails: (10..14).contains(&roll),
        });
    }
    (agents, profiles)
}

fn runs(
    spec: &GenSpec,
    agents: &mut [Agent],
    profiles: &[Profile],
    now: Time,
    rng: &mut StdRng,
) -> Vec<JobHistory> {
    let with_jobs: Vec<usize> = (0..agents.len())
        .filter(|&i| !agents[i].jobs.is_empty())
        .collect();
    let active: Vec<usize> = with_jobs
        .iter()
        .copied()
        .filter(|&i| profiles[i].stale_since.is_none())
        .collect();
    if with_jobs.is_empty() {
        return Vec::new();
    }
    let last_job = 900 + agents.len() as i64;
    let first_run = (last_job / 10_000 + 1).max(7) * 10_000;
    let span = spec.days.max(1) * 86_400;
    let mut out = Vec::with_capacity(spec.runs);
    let mut newest: HashMap<usize, usize> = HashMap::new();
    for k in 0..spec.runs {
        let offset = span - (k as i64 * span) / spec.runs as i64;
        let started = now - Duration::seconds(offset - rng.random_range(0..60));
        let mut a = with_jobs[rng.random_range(0..with_jobs.len())];
        if profiles[a].stale_since.is_some_and(|s| started > s) && !active.is_empty() {
            a = active[rng.random_range(0..active.len())];
        }
        let agent = &agents[a];
        let job = &agent.jobs[rng.random_range(0..agent.jobs.len())];
        let recent = offset < 1_800;
        let status = match rng.random_range(0..100) {
            _ if recent && k.is_multiple_of(20) => status::RUNNING,
            _ if profiles[a].always_fails => status::FAILED,
            0..80 => status::SUCCESS,
            80..88 => status::WARNING,
            88..96 => status::FAILED,
            _ => status::CANCELLED,
        };
        let bytes = match status {
            status::FAILED if rng.random_bool(0.5) => 0,
            _ => rng.random_range(1_i64 << 28..1_i64 << 37),
        };
        let seconds = (status != status::RUNNING).then(|| match bytes {
            0 => rng.random_range(5..180),
            _ => incidents::seconds_for(bytes, rng),
        });
        out.push(run(RunSpec {
            id: first_run + k as i64,
            job,
            agent_id: agent.agent_id,
            status,
            started: Some(started),
            seconds,
            bytes,
        }));
        if status != status::RUNNING {
            newest.insert(a, k);
        }
    }
    let active_agent = |r: &JobHistory| {
        let a = agents.iter().position(|x| x.agent_id == r.agent_id);
        a.is_some_and(|a| profiles[a].stale_since.is_none())
    };
    for wanted in [status::FAILED, status::WARNING] {
        ensure_recent(&mut out, wanted, now, &active_agent);
    }
    for r in &mut out {
        incidents::settle_counters(r, rng);
    }
    for (a, k) in newest {
        let r = &out[k];
        agents[a].last_backup_date = r.start_date_time;
        agents[a].last_backup_status = Some(r.status);
    }
    out
}

/// Every generated day has its incidents: unless a run of the last 24 hours already ended with
/// `wanted`, the newest successful one of an active agent does.
fn ensure_recent(
    runs: &mut [JobHistory],
    wanted: i64,
    now: Time,
    active_agent: &dyn Fn(&JobHistory) -> bool,
) {
    let day_ago = Some(now - Duration::hours(24));
    let recent = |r: &JobHistory| r.start_date_time > day_ago;
    if runs.iter().any(|r| recent(r) && r.status == wanted) {
        return;
    }
    if let Some(r) = runs
        .iter_mut()
        .rev()
        .find(|r| recent(r) && r.status == status::SUCCESS && active_agent(r))
    {
        r.status = wanted;
    }
}
