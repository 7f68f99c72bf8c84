//! Answers a technician can trust: what a tool says about itself matches what it did, ids chain
//! from list tools into get tools, one time-window vocabulary, upstream text scrubbed, and an
//! empty fleet never reads as "all clear". The built binary over MCP against the doubles.

mod common;

use std::time::Duration;

use backup_mcp::doubles::backrest::{BackrestConfig, BackrestDouble};
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
