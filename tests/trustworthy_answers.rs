//! Answers a technician can trust: what a tool says about itself matches what it did, ids chain
//! from list tools into get tools, one time-window vocabulary, upstream text scrubbed, and an
//! empty fleet never reads as "all clear". The built binary over MCP against the doubles.

mod common;

use std::time::Duration;

use backup_mcp::doubles::backrest::{BackrestConfig, BackrestDouble};
use backup_mcp::doubles::novabackup::{ACME_TENANT, InstanceConfig, NovaDouble, SAMPLE_USERS};
use chrono::Utc;
use common::backrest::*;
use common::mcp::*;
use serde_json::{Value, json};

fn items(out: &Value) -> &Vec<Value> {
    out["items"].as_array().unwrap()
}

/// One Backrest double (tenant `acme`) behind a gateway with writes and destructive tools on.
async fn writable_backrest(
    adjust: impl FnOnce(BackrestConfig) -> BackrestConfig,
) -> (BackrestDouble, Home, Client) {
    let d = double_with("nas01", "acme", adjust);
    let home = Home::new();
    let prefix = home.dir.path().join("restore");
    std::fs::create_dir(&prefix).unwrap();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let env = home.env(&[
        ("BACKUP_MCP_READONLY", "false".into()),
        ("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true".into()),
        (
            "BACKUP_MCP_RESTORE_ALLOWED_PREFIX",
            prefix.display().to_string(),
        ),
        ("BACKUP_MCP_AUDIT_LOG", home.audit().display().to_string()),
    ]);
    let client = spawn(&["serve"], &env, &home.log()).await;
    (d, home, client)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_backup_says_dry_run_in_its_own_answer() {
    let (d, _home, client) = writable_backrest(|mut c| {
        c.backup_duration = Duration::from_secs(30);
        c
    })
    .await;
    let out = call_ok(
        &client,
        "trigger_backup",
        json!({"server_id": "br-a", "plan_id": "db-dumps", "dry_run": true}),
    )
    .await;
    assert_eq!(out["operation"]["dry_run"], true, "{out}");
    let real = call_ok(
        &client,
        "trigger_backup",
        json!({"server_id": "br-a", "plan_id": "daily-home"}),
    )
    .await;
    assert_eq!(real["operation"]["dry_run"], false, "{real}");
    assert_eq!(
        d.state().bodies("Backup"),
        [
            &json!({"value": "db-dumps", "dryRun": true}),
            &json!({"value": "daily-home"})
        ]
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restore_without_plan_id_takes_the_plan_from_the_snapshot_tag() {
    let (d, home, client) = writable_backrest(|c| c).await;
    let snaps = call_ok(&client, "list_snapshots", json!({"plan_id": "db-dumps"})).await;
    let snapshot_id = items(&snaps)[0]["snapshot_id"].as_str().unwrap().to_owned();
    let target = format!("{}/restore/ticket-1", home.dir.path().display());
    let out = call_ok(
        &client,
        "restore_snapshot",
        json!({"server_id": "br-a", "repo_id": "nas-local", "snapshot_id": snapshot_id, "target": target}),
    )
    .await;
    assert!(out["operation_id"].is_string(), "{out}");
    let sent = d.state().bodies("Restore")[0].clone();
    assert_eq!(sent["planId"], "db-dumps", "{sent}");
    assert_eq!(sent["snapshotId"], snapshot_id.as_str());

    // A plan that did not make the snapshot is refused before anything is sent.
    let wrong = call_err(
        &client,
        "restore_snapshot",
        json!({"server_id": "br-a", "repo_id": "nas-local", "snapshot_id": snapshot_id,
               "plan_id": "daily-home", "target": format!("{target}-2")}),
    )
    .await;
    assert!(wrong.contains("does not own"), "{wrong}");
    assert_eq!(d.state().bodies("Restore").len(), 1);
    client.cancel().await.ok();
}

/// A NovaBACKUP double with one sample instance and a Backrest double, both saved.
struct Mixed {
    _nova: NovaDouble,
    _backrest: BackrestDouble,
    _home: Home,
    client: Client,
}

async fn mixed_fleet() -> Mixed {
    let nova = NovaDouble::start(vec![InstanceConfig::sample("/ms1")])
        .await
        .unwrap();
    let backrest = double("nas-acme", "Acme Dental");
    let home = Home::new();
    write_credentials(
        &home.creds(),
        &[
            nova_entry("ms1", &nova.base_url(0), SAMPLE_USERS[0].1),
            entry("nas-acme", &backrest.base_url(), Some(ACME_TENANT)),
        ],
    );
    let client = spawn(&["serve"], &home.env(&[]), &home.log()).await;
    Mixed {
        _nova: nova,
        _backrest: backrest,
        _home: home,
        client,
    }
}

fn since_of(out: &Value) -> chrono::DateTime<Utc> {
    chrono::DateTime::parse_from_rfc3339(out["since"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

#[tokio::test(flavor = "multi_thread")]
async fn every_tool_speaks_one_time_window_vocabulary() {
    let f = mixed_fleet().await;
    for (args, hours) in [
        (json!({"window": "48h"}), 48),
        (json!({"window": "3d"}), 72),
        (json!({"since": "2w"}), 14 * 24),
    ] {
        let before = Utc::now();
        let out = call_ok(&f.client, "list_failing_jobs", args.clone()).await;
        let age = before - since_of(&out);
        assert!(
            (age - chrono::Duration::hours(hours)).num_seconds().abs() < 60,
            "{args}: {age}"
        );
        let summary = call_ok(&f.client, "get_job_history_summary", args.clone()).await;
        assert_eq!(summary["_meta"]["servers_failed"], 0, "{summary}");
        call_ok(&f.client, "get_backup_overview", args).await;
    }
    let ops = call_ok(&f.client, "get_operations", json!({"since": "3d"})).await;
    assert!(!items(&ops).is_empty());

    // One error message, naming the argument and listing the forms, from every tool.
    for (tool, args, param) in [
        ("list_failing_jobs", json!({"window": "1y"}), "window"),
        (
            "get_backup_overview",
            json!({"since": "yesterday"}),
            "since",
        ),
        (
            "get_job_history_summary",
            json!({"window": "90m"}),
            "window",
        ),
        ("get_operations", json!({"since": "1y"}), "since"),
    ] {
        let msg = call_err(&f.client, tool, args).await;
        assert!(
            msg.contains(&format!("invalid argument {param}")) && msg.contains("Nh, Nd or Nw"),
            "{tool}: {msg}"
        );
    }
    f.client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_backrest_rows_never_show_restic_command_lines() {
    let f = mixed_fleet().await;
    let out = call_ok(
        &f.client,
        "list_failing_jobs",
        json!({"kind": "backrest", "window": "30d", "with_errors": true}),
    )
    .await;
    assert!(!items(&out).is_empty(), "{out}");
    let text = out.to_string();
    assert!(!text.contains("restic backup --json"), "{text}");
    assert!(text.contains("restic command line hidden"), "{text}");
    f.client.cancel().await.ok();
}
