//! GetSummaryDashboard computed from the operation log, the way Backrest 1.14 aggregates it:
//! 30-day counts per repo and plan, averages, recent backups and a per-day history.

use serde_json::Value;

use super::model::{OpKind, OpStatus, Operation};
use super::omit::{Obj, i64_list};
use super::state::Store;

const DAY_MS: i64 = 86_400_000;
const WINDOW_MS: i64 = 30 * DAY_MS;
const RECENT_MAX: usize = 60;
/// Shortest duration the dashboard reports for a backup.
const MIN_DURATION_MS: i64 = 1000;

/// The `SummaryDashboardResponse` at `now_ms`.
pub fn build(store: &Store, now_ms: i64) -> Value {
    let instance = store.instance();
    let mut backups: Vec<&Operation> = store
        .ledger
        .operations
        .values()
        .filter(|o| matches!(o.kind, OpKind::OperationBackup(_)))
        .filter(|o| o.instance_id == instance && o.unix_time_start_ms >= now_ms - WINDOW_MS)
        .collect();
    backups.sort_by_key(|o| std::cmp::Reverse((o.unix_time_start_ms, o.id)));
    let first_day = backups.last().map_or(now_ms, |o| o.unix_time_start_ms) / DAY_MS * DAY_MS;
    let days = Days {
        first: first_day,
        today: now_ms / DAY_MS * DAY_MS,
        now: now_ms,
    };

    let list = |name: &str| {
        store
            .config
            .get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let id_of = |v: &Value| {
        v.get("id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let plans = list("plans");
    let plan_next = |plan: &Value| next_backup(plan, &backups, now_ms);

    // One summary per config item, over the backups `owner` attributes to it.
    let summaries = |items: &[Value],
                     owner: fn(&Operation) -> &str,
                     next: &dyn Fn(&str, &Value) -> i64| {
        let rows = items.iter().map(|item| {
            let id = id_of(item);
            let ops: Vec<&Operation> = backups.iter().copied().filter(|o| owner(o) == id).collect();
            summarize(&id, &ops, &days, next(&id, item))
        });
        Value::Array(rows.collect())
    };
    let repo_next = |id: &str, _: &Value| {
        plans
            .iter()
            .filter(|p| p.get("repo").and_then(Value::as_str) == Some(id))
            .filter_map(plan_next)
            .min()
            .unwrap_or(0)
    };
    let repo_summaries = summaries(&list("repos"), |o| &o.repo_id, &repo_next);
    let plan_summaries = summaries(&plans, |o| &o.plan_id, &|_, plan| {
        plan_next(plan).unwrap_or(0)
    });
    Obj::new()
        .val("repoSummaries", repo_summaries)
        .val("planSummaries", plan_summaries)
        .str("configPath", &store.config_path)
        .str("dataPath", &store.data_path)
        .build()
}

/// Day range of the history.
struct Days {
    first: i64,
    today: i64,
    now: i64,
}

/// `(bytes scanned, bytes added)` of a backup's summary.
fn bytes(op: &Operation) -> (i64, i64) {
    let summary = op.kind.body().pointer("/lastStatus/summary");
    let get = |k: &str| {
        summary
            .and_then(|s| s.get(k))
            .and_then(super::wire::int64_value)
            .unwrap_or(0)
    };
    (get("totalBytesProcessed"), get("dataAdded"))
}

/// One `Summary` over backups sorted newest first.
fn summarize(id: &str, ops: &[&Operation], days: &Days, next_backup_ms: i64) -> Value {
    let count =
        |s: OpStatus| i64::try_from(ops.iter().filter(|o| o.status == s).count()).unwrap_or(0);
    let (scanned, added) = ops
        .iter()
        .map(|o| bytes(o))
        .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
    let n = i64::try_from(ops.len()).unwrap_or(1).max(1);
    let protected = ops
        .iter()
        .find(|o| matches!(o.status, OpStatus::Success | OpStatus::Warning) && bytes(o).0 > 0)
        .map_or(0, |o| bytes(o).0);
    Obj::new()
        .str("id", id)
        .i64("backupsFailed30days", count(OpStatus::Error))
        .i64("backupsWarningLast30days", count(OpStatus::Warning))
        .i64("backupsSuccessLast30days", count(OpStatus::Success))
        .i64("bytesScannedLast30days", scanned)
        .i64("bytesAddedLast30days", added)
        .i64("bytesScannedAvg", scanned / n)
        .i64("bytesAddedAvg", added / n)
        .i64("nextBackupTimeMs", next_backup_ms)
        .msg("recentBackups", recent(ops, days.now))
        .i64("protectedBytes", protected)
        .val("historyLast30days", history(ops, days))
        .build()
}

/// `recentBackups`: parallel arrays, newest first.
fn recent(ops: &[&Operation], now_ms: i64) -> Obj {
    let ops = &ops[..ops.len().min(RECENT_MAX)];
    let duration = |o: &Operation| {
        let end = if o.unix_time_end_ms == 0 {
            now_ms
        } else {
            o.unix_time_end_ms
        };
        (end - o.unix_time_start_ms).max(MIN_DURATION_MS)
    };
    let col =
        |f: &dyn Fn(&Operation) -> i64| i64_list(&ops.iter().map(|o| f(o)).collect::<Vec<_>>());
    let statuses: Vec<Value> = ops.iter().map(|o| Value::from(o.status.name())).collect();
    Obj::new()
        .val("flowId", col(&|o| o.flow_id))
        .val("timestampMs", col(&|o| o.unix_time_start_ms))
        .val("durationMs", col(&duration))
        .val("status", Value::Array(statuses))
        .val("bytesAdded", col(&|o| bytes(o).1))
}

/// `historyLast30days`: one bucket per UTC day from the first backup to today.
fn history(ops: &[&Operation], days: &Days) -> Value {
    let mut out = Vec::new();
    let mut day = days.first;
    while day <= days.today {
        let in_day: Vec<&&Operation> = ops
            .iter()
            .filter(|o| o.unix_time_start_ms >= day && o.unix_time_start_ms < day + DAY_MS)
            .collect();
        let mut counts: Vec<(OpStatus, i64)> = Vec::new();
        for op in &in_day {
            match counts.iter_mut().find(|(s, _)| *s == op.status) {
                Some((_, c)) => *c += 1,
                None => counts.push((op.status, 1)),
            }
        }
        let (scanned, added) = in_day
            .iter()
            .map(|o| bytes(o))
            .fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        let status_counts: Vec<Value> = counts
            .iter()
            .map(|(s, c)| Obj::new().i64("count", *c).str("status", s.name()).build())
            .collect();
        out.push(
            Obj::new()
                .i64("timestampMs", day)
                .i64("bytesAdded", added)
                .i64("bytesScanned", scanned)
                .val("statusCounts", Value::Array(status_counts))
                .build(),
        );
        day += DAY_MS;
    }
    Value::Array(out)
}

/// Next scheduled run of a plan: interval schedules from its last backup, daily crons
/// (`M H * * *`, UTC) from now; other schedules are not predicted.
fn next_backup(plan: &Value, backups: &[&Operation], now_ms: i64) -> Option<i64> {
    let schedule = plan.get("schedule")?;
    let id = plan.get("id").and_then(Value::as_str)?;
    let last = backups
        .iter()
        .find(|o| o.plan_id == id)
        .map(|o| o.unix_time_start_ms);
    let every = |ms: i64| Some(last.map_or(now_ms, |l| (l + ms).max(now_ms)));
    if let Some(h) = schedule.get("maxFrequencyHours").and_then(Value::as_i64) {
        return every(h * 3_600_000);
    }
    if let Some(d) = schedule.get("maxFrequencyDays").and_then(Value::as_i64) {
        return every(d * DAY_MS);
    }
    let cron = schedule.get("cron").and_then(Value::as_str)?;
    let fields: Vec<&str> = cron.split_whitespace().collect();
    let [m, h, "*", "*", "*"] = fields.as_slice() else {
        return None;
    };
    let at = m.parse::<i64>().ok()? * 60_000 + h.parse::<i64>().ok()? * 3_600_000;
    let today = now_ms / DAY_MS * DAY_MS + at;
    Some(if today > now_ms {
        today
    } else {
        today + DAY_MS
    })
}
