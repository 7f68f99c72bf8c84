//! `backup-mcp demo` looks like a real MSP's fleet: the default questions find failures and
//! warnings of both kinds from many distinct customers, with reasons, host names, plausible
//! sizes and stale machines; the same seed gives the same fleet; `--servers 0` is refused.

mod common;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use common::mcp::*;
use rmcp::service::{RoleClient, RunningService};
use serde_json::{Value, json};

type Client = RunningService<RoleClient, ()>;

async fn demo(servers: usize, dir: &tempfile::TempDir) -> Client {
    let creds = dir.path().join("credentials.json");
    let env = vec![
        ("HOME", dir.path().display().to_string()),
        ("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string()),
    ];
    let log = dir.path().join(format!("err-{servers}.log"));
    spawn(&["demo", "--servers", &servers.to_string()], &env, &log).await
}

fn items(out: &Value) -> &[Value] {
    out["items"].as_array().map_or(&[], Vec::as_slice)
}

fn text<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap_or_default()
}

/// MB/s of a run, from its bytes and seconds.
fn rate(bytes: f64, seconds: f64) -> f64 {
    bytes / seconds.max(1.0) / 1e6
}

/// What one demo fleet shows by default, checked against what an MSP's fleet looks like;
/// returns the default `list_failing_jobs` rows.
async fn check_fleet(servers: usize, min_customers: usize) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    let client = demo(servers, &dir).await;

    let failing = call_ok(&client, "list_failing_jobs", json!({"limit": 1000})).await;
    assert_eq!(
        failing["_meta"]["servers_failed"], 0,
        "{}",
        failing["_meta"]
    );
    assert_eq!(failing["_meta"]["truncated"], false);
    let rows = items(&failing).to_vec();
    let day_ago = Utc::now() - Duration::hours(24) - Duration::minutes(1);
    for row in &rows {
        let started: DateTime<Utc> = text(row, "started_at").parse().unwrap();
        assert!(started >= day_ago, "outside the default window: {row}");
        let message = text(row, "message").trim().to_ascii_lowercase();
        assert!(
            message.len() > "failed".len() && message != "error",
            "a message that says nothing: {row}"
        );
    }
    // NovaBACKUP history rows carry no message: the newest failures of each server get the
    // first error line of their run log (the demo's servers have fewer than that many).
    for row in rows.iter().filter(|r| r["server_kind"] == "novabackup") {
        let message = text(row, "message");
        assert!(
            !message.contains("the reason is in the run log") && message.contains(": "),
            "a NovaBACKUP failure without its reason: {row}"
        );
    }
    let of_kind = |kind: &str| rows.iter().filter(|r| r["server_kind"] == kind).count();
    let (nova, backrest) = (of_kind("novabackup"), of_kind("backrest"));
    assert!(
        nova > 0 && backrest > 0,
        "{nova} NovaBACKUP, {backrest} Backrest"
    );
    let customers: BTreeSet<&str> = rows.iter().map(|r| text(r, "tenant_id")).collect();
    let machines: BTreeSet<&str> = rows.iter().map(|r| text(r, "machine")).collect();
    assert!(customers.len() >= min_customers, "{customers:?}");
    assert!(machines.len() > customers.len().min(3), "{machines:?}");
    eprintln!(
        "--servers {servers}: {nova} NovaBACKUP and {backrest} Backrest failures, {} customers, {} machines",
        customers.len(),
        machines.len()
    );

    // Backrest's machine is the host (the instance), never one of its repositories.
    let config = call_ok(&client, "get_config", json!({"limit": 1000})).await;
    let repos: BTreeSet<&str> = items(&config)
        .iter()
        .flat_map(|c| c["config"]["repos"].as_array().into_iter().flatten())
        .map(|r| text(r, "id"))
        .collect();
    let instances: BTreeSet<&str> = items(&config)
        .iter()
        .map(|c| text(&c["config"], "instance"))
        .collect();
    assert!(!repos.is_empty() && !instances.is_empty());
    for row in rows.iter().filter(|r| r["server_kind"] == "backrest") {
        assert!(!repos.contains(text(row, "machine")), "{row}");
        assert!(instances.contains(text(row, "machine")), "{row}");
    }

    // The reasons are in the logs: NovaBACKUP run logs name the cause, restic's line is kept.
    let detailed = call_ok(
        &client,
        "list_failing_jobs",
        json!({"include_warnings": true, "with_errors": true, "limit": 1000}),
    )
    .await;
    let detailed = items(&detailed);
    for kind in ["novabackup", "backrest"] {
        for status in ["failed", "warning"] {
            assert!(
                detailed
                    .iter()
                    .any(|r| r["server_kind"] == kind && r["status"] == status),
                "no {kind} {status} in the last 24 hours"
            );
        }
    }
    let reasons: BTreeSet<&str> = detailed
        .iter()
        .filter_map(|r| r["errors"].as_array()?.first()?.as_str())
        .collect();
    assert!(reasons.len() >= 3.min(rows.len()), "{reasons:?}");
    assert!(
        reasons
            .iter()
            .all(|r| r.len() > 20 && !r.contains("/usr/local/bin/restic")),
        "{reasons:?}"
    );
    for row in detailed.iter().filter(|r| r["server_kind"] == "novabackup") {
        let lines = row["errors"].as_array().map_or(0, Vec::len);
        assert!(
            lines > 0,
            "no log lines for a NovaBACKUP {} run: {row}",
            row["status"]
        );
    }
    for row in detailed.iter().filter(|r| r["server_kind"] == "backrest") {
        if row["status"] == "failed" {
            assert!(text(row, "message").contains("Fatal:"), "{row}");
        }
    }
    let failed_op = rows
        .iter()
        .find(|r| r["server_kind"] == "backrest")
        .unwrap();
    let log = call_ok(
        &client,
        "get_operation_log",
        json!({"server_id": failed_op["server_id"], "operation_id": failed_op["operation_id"]}),
    )
    .await;
    let log = text(&log, "text");
    assert!(log.contains("\nFatal: "), "{log}");
    assert!(!log.contains("/usr/local/bin/restic"), "{log}");

    // Plausible sizes and speeds on both kinds.
    let ops = call_ok(
        &client,
        "get_operations",
        json!({"type": "backup", "status": "success,warning", "since": "7d", "limit": 1000}),
    )
    .await;
    assert!(!items(&ops).is_empty());
    for op in items(&ops) {
        let bytes = op["bytes_processed"].as_f64().unwrap();
        let secs = op["duration_ms"].as_f64().unwrap() / 1000.0;
        let mbs = rate(bytes, secs);
        assert!(bytes > 1e8, "{op}");
        assert!((5.0..=500.0).contains(&mbs), "{mbs} MB/s: {op}");
    }
    let runs = call_ok(
        &client,
        "list_job_history",
        json!({"$filter": "Status eq 1", "$top": 200, "limit": 1000}),
    )
    .await;
    assert!(!items(&runs).is_empty());
    for run in items(&runs) {
        let bytes = run["SizeInBytes"].as_f64().unwrap();
        let secs = run["ElapsedTimeInSeconds"].as_f64().unwrap();
        assert!((1.0..=200.0).contains(&rate(bytes, secs)), "{run}");
    }

    // Stale machines of both kinds.
    let overview = call_ok(&client, "get_backup_overview", json!({})).await;
    let stale = overview["stale"].as_array().unwrap();
    for kind in ["novabackup", "backrest"] {
        assert!(
            stale.iter().any(|s| s["server_kind"] == kind),
            "no stale {kind}: {stale:?}"
        );
    }
    client.cancel().await.ok();
    rows
}

#[tokio::test(flavor = "multi_thread")]
async fn four_servers_look_like_a_small_msp() {
    check_fleet(4, 2).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_servers_show_failures_of_many_distinct_customers() {
    let rows = check_fleet(40, 20).await;
    let messages: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r["server_kind"] == "backrest")
        .map(|r| text(r, "message"))
        .collect();
    assert!(
        messages.len() >= 3,
        "Backrest failures all alike: {messages:?}"
    );
}

/// Rows as a set, times left out (each run has its own "now"); rows near the window's edge are
/// left out too, as a few seconds between the runs can move them across it.
fn timeless(rows: &[Value]) -> BTreeSet<String> {
    let edge = Utc::now() - Duration::hours(24) + Duration::minutes(10);
    rows.iter()
        .filter(|r| text(r, "started_at").parse::<DateTime<Utc>>().unwrap() > edge)
        .map(|r| {
            let mut r = r.clone();
            for key in ["started_at", "ended_at"] {
                r.as_object_mut().unwrap().remove(key);
            }
            r.to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_seed_gives_the_same_fleet() {
    let mut answers = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let client = demo(6, &dir).await;
        let out = call_ok(
            &client,
            "list_failing_jobs",
            json!({"include_warnings": true, "limit": 1000}),
        )
        .await;
        answers.push(timeless(items(&out)));
        client.cancel().await.ok();
    }
    assert!(answers[0].len() > 5, "{:?}", answers[0]);
    assert_eq!(answers[0], answers[1]);
}

#[test]
fn zero_servers_is_refused_with_a_clear_message() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backup-mcp"))
        .args(["demo", "--servers", "0"])
        .env("HOME", std::env::temp_dir())
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--servers") && err.contains("at least one server"),
        "{err}"
    );
    assert!(out.stdout.is_empty());

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_backup-mcp"))
        .args(["demo", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("both kinds need at least 2"), "{help}");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_server_is_a_management_server_as_the_help_says() {
    let dir = tempfile::tempdir().unwrap();
    let client = demo(1, &dir).await;
    let info = call_ok(&client, "system_info", json!({})).await;
    let servers = info["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0]["kind"], "novabackup");
    let failing = call_ok(&client, "list_failing_jobs", json!({})).await;
    assert!(!items(&failing).is_empty());
    let groups = call_ok(&client, "list_groups", json!({})).await;
    let names: BTreeSet<&str> = items(&groups)
        .iter()
        .map(|g| text(g, "GroupName"))
        .collect();
    assert!(
        names.contains("Acme Dental") && names.contains("Harbor Clinic"),
        "{names:?}"
    );
    client.cancel().await.ok();
}
