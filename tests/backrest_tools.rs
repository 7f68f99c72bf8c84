//! Black-box tests of the Backrest tools: the built binary over MCP against Backrest doubles
//! (auth enabled, credentials written by the test), through real HTTP.

mod common;

use std::time::{Duration, Instant};

use backup_mcp::doubles::backrest::{OpKind, OpStatus};
use common::backrest::*;
use common::mcp::*;
use serde_json::{Value, json};

fn items(out: &Value) -> &Vec<Value> {
    out["items"].as_array().unwrap()
}

fn newest_first(rows: &[Value], key: &str) -> bool {
    rows.windows(2)
        .all(|w| w[0][key].as_i64() >= w[1][key].as_i64())
}

#[tokio::test(flavor = "multi_thread")]
async fn read_tools_fan_out_with_bearer_auth_and_report_a_down_server() {
    let a = double("nas01", "acme");
    let b = double("nas02", "blue");
    let home = Home::new();
    let down = common::closed_port();
    write_credentials(
        &home.creds(),
        &[
            entry("br-a", &a.base_url(), Some("acme")),
            entry("br-b", &b.base_url(), Some("blue")),
            entry("br-down", &down.url(""), None),
        ],
    );
    let mut secrets = secrets_of(&a);
    secrets.extend(secrets_of(&b));
    let client = spawn(&["serve"], &home.env(&[]), &home.log()).await;

    let names: Vec<String> = client
        .list_all_tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    for tool in [
        "get_config",
        "list_snapshots",
        "list_snapshot_files",
        "get_summary",
        "get_operations",
        "get_operation_log",
    ] {
        assert!(names.contains(&tool.to_owned()), "{tool} missing");
    }

    // get_config: every server, secrets redacted, the down server in _meta.
    let config = call_ok(&client, "get_config", json!({})).await;
    assert_eq!(items(&config).len(), 2);
    assert_eq!(config["_meta"]["servers_queried"], 3);
    assert_eq!(
        failures(&config["_meta"]),
        [("br-down".to_owned(), "unreachable".to_owned())]
    );
    assert_eq!(items(&config)[0]["tenant_id"], "acme");
    assert_eq!(items(&config)[0]["config"]["instance"], "nas01");
    let text = config.to_string();
    assert_no_secret(&text, &secrets);
    assert!(text.contains("[redacted]"));
    assert!(text.contains("B2_ACCOUNT_KEY=[redacted]"));

    // list_snapshots: newest first over both servers and every repo, filters, limit.
    let snaps = call_ok(&client, "list_snapshots", json!({"tenant_id": "acme"})).await;
    let rows = items(&snaps);
    assert!(rows.len() > 20, "{}", rows.len());
    assert!(rows.iter().all(|r| r["server_id"] == "br-a"));
    assert!(newest_first(rows, "unix_time_ms"));
    let repos: std::collections::BTreeSet<_> = rows
        .iter()
        .map(|r| r["repo_id"].as_str().unwrap())
        .collect();
    assert_eq!(repos.len(), 2, "{repos:?}");
    let plan = call_ok(
        &client,
        "list_snapshots",
        json!({"plan_id": "db-dumps", "limit": 5}),
    )
    .await;
    assert_eq!(items(&plan).len(), 5);
    assert_eq!(plan["_meta"]["truncated"], true);
    assert!(
        items(&plan)
            .iter()
            .all(|r| r["plan_id"] == "db-dumps" && r["repo_id"] == "nas-local")
    );
    let servers: std::collections::BTreeSet<_> = call_ok(
        &client,
        "list_snapshots",
        json!({"repo_id": "b2-offsite", "limit": 1000}),
    )
    .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["server_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(servers.len(), 2);

    // list_snapshot_files: one level, paginated.
    let snap = rows.iter().find(|r| r["plan_id"] == "daily-home").unwrap();
    let snapshot_id = snap["snapshot_id"].as_str().unwrap();
    let root = call_ok(
        &client,
        "list_snapshot_files",
        json!({"server_id": "br-a", "repo_id": "b2-offsite", "snapshot_id": snapshot_id}),
    )
    .await;
    assert_eq!(root["entries"][0]["path"], "/home");
    let home_dir = call_ok(
        &client,
        "list_snapshot_files",
        json!({"server_id": "br-a", "repo_id": "b2-offsite", "snapshot_id": snapshot_id, "path": "/home", "limit": 1}),
    )
    .await;
    assert_eq!(home_dir["directory"]["path"], "/home");
    assert_eq!(home_dir["total_entries"], 2);
    assert_eq!(home_dir["entries"].as_array().unwrap().len(), 1);
    assert_eq!(home_dir["next_offset"], 1);
    assert_eq!(home_dir["truncated"], true);
    let bad = call_err(
        &client,
        "list_snapshot_files",
        json!({"server_id": "br-a", "repo_id": "b2-offsite", "snapshot_id": "deadbeefdeadbeef"}),
    )
    .await;
    assert!(bad.contains("no matching ID"), "{bad}");
    assert!(
        !bad.contains("/usr/local/bin/restic"),
        "restic command line leaked: {bad}"
    );

    // get_summary: per server, no host paths.
    let summary = call_ok(&client, "get_summary", json!({})).await;
    assert_eq!(items(&summary).len(), 2);
    let repo = &items(&summary)[0]["repos"][0];
    assert!(
        repo["backups_success_last_30_days"].as_i64().unwrap() > 0,
        "{repo}"
    );
    assert!(!summary.to_string().contains("/etc/backrest"));

    // get_operations: newest first, filters, fields.
    let ops = call_ok(&client, "get_operations", json!({"limit": 1000})).await;
    let all = items(&ops);
    assert!(newest_first(all, "unix_time_start_ms"));
    assert!(
        all.iter()
            .any(|o| o["status"] == "in_progress" && o["type"] == "backup")
    );
    let failed = call_ok(
        &client,
        "get_operations",
        json!({"status": "error", "server_id": "br-a"}),
    )
    .await;
    assert!(!items(&failed).is_empty());
    assert!(
        items(&failed)
            .iter()
            .all(|o| o["status"] == "error" && o["server_id"] == "br-a")
    );
    let msg = items(&failed)[0]["message"].as_str().unwrap();
    assert!(!msg.contains("/usr/local/bin/restic"), "{msg}");
    let recent = call_ok(
        &client,
        "get_operations",
        json!({"since": "24h", "type": "backup", "plan_id": "db-dumps", "repo_id": "nas-local"}),
    )
    .await;
    let day_ago = chrono::Utc::now().timestamp_millis() - 86_400_000;
    assert!(!items(&recent).is_empty());
    assert!(items(&recent).iter().all(|o| o["type"] == "backup"
        && o["plan_id"] == "db-dumps"
        && o["unix_time_start_ms"].as_i64().unwrap() >= day_ago));
    let done = items(&recent)
        .iter()
        .find(|o| o["status"] == "success")
        .unwrap();
    assert!(done["bytes_added"].as_i64().is_some() && done["ended"].is_string());
    let two = call_ok(&client, "get_operations", json!({"limit": 2})).await;
    assert_eq!(items(&two).len(), 2);
    assert!(
        call_err(&client, "get_operations", json!({"status": "exploded"}))
            .await
            .contains("status")
    );

    // get_operation_log: by ref and by operation, tail with a byte cap.
    let prune = all
        .iter()
        .find(|o| o["type"] == "prune" && o["server_id"] == "br-a")
        .unwrap();
    let by_op = call_ok(
        &client,
        "get_operation_log",
        json!({"server_id": "br-a", "operation_id": prune["operation_id"]}),
    )
    .await;
    assert!(
        by_op["text"].as_str().unwrap().contains("prune completed"),
        "{by_op}"
    );
    let logref = all.iter().find(|o| o["server_id"] == "br-a").unwrap()["logref"]
        .as_str()
        .unwrap();
    let tail = call_ok(
        &client,
        "get_operation_log",
        json!({"server_id": "br-a", "logref": logref, "max_bytes": 5}),
    )
    .await;
    assert_eq!(tail["text"].as_str().unwrap().len(), 5);
    assert_eq!(tail["truncated"], true);

    // Bearer after one login; never Basic.
    for d in [&a, &b] {
        let c = d.counters();
        assert_eq!(c.basic, 0, "{c:?}");
        assert_eq!(c.method("Login"), 1, "{c:?}");
        assert!(c.bearer > 5, "{c:?}");
        assert!(
            c.max_in_flight <= 1,
            "one request at a time per server: {c:?}"
        );
    }
    assert_no_secret(&home.stderr(), &secrets);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backrest_with_auth_disabled_needs_no_credentials() {
    let dataset = backup_mcp::doubles::backrest::BackrestDataset::sample(
        chrono::Utc::now(),
        "open01",
        "open",
    );
    let open = backup_mcp::doubles::backrest::BackrestDouble::start(
        backup_mcp::doubles::backrest::BackrestConfig::new(dataset),
    )
    .unwrap();
    let home = Home::new();
    write_credentials(&home.creds(), &[open_entry("br-open", &open.base_url())]);
    let client = spawn(&["serve"], &home.env(&[]), &home.log()).await;
    let summary = call_ok(&client, "get_summary", json!({})).await;
    assert_eq!(items(&summary).len(), 1);
    assert_eq!(items(&summary)[0]["tenant_id"], "br-open");
    let ops = call_ok(&client, "get_operations", json!({"limit": 3})).await;
    assert_eq!(items(&ops).len(), 3);
    let c = open.counters();
    assert_eq!((c.bearer, c.basic, c.method("Login")), (0, 0, 0), "{c:?}");
    assert!(c.no_auth >= 2);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn write_tools_start_backups_run_tasks_and_cancel() {
    let d = double_with("nas01", "acme", |mut c| {
        c.backup_duration = Duration::from_secs(30);
        c
    });
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let env = home.env(&[
        ("BACKUP_MCP_READONLY", "false".into()),
        ("BACKUP_MCP_AUDIT_LOG", home.audit().display().to_string()),
    ]);
    let client = spawn(&["serve"], &env, &home.log()).await;

    // trigger_backup returns the new operation at once, the backup still running.
    let started = Instant::now();
    let out = call_ok(
        &client,
        "trigger_backup",
        json!({"server_id": "br-a", "plan_id": "daily-home"}),
    )
    .await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "waited for the backup"
    );
    let op_id: i64 = out["operation_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(out["status"], "started");
    assert_eq!(out["operation"]["type"], "backup");
    let state = d.state();
    assert_eq!(state.operation(op_id).unwrap().status, OpStatus::InProgress);
    assert_eq!(state.bodies("Backup"), [&json!({"value": "daily-home"})]);
    let op_text = op_id.to_string();
    let listed = call_ok(
        &client,
        "get_operations",
        json!({"status": "in_progress", "plan_id": "daily-home"}),
    )
    .await;
    assert!(
        items(&listed)
            .iter()
            .any(|o| o["operation_id"].as_str() == Some(op_text.as_str()))
    );

    // cancel_operation: cancels and verifies; unknown and finished operations are errors.
    let cancelled = call_ok(
        &client,
        "cancel_operation",
        json!({"server_id": "br-a", "operation_id": op_id.to_string()}),
    )
    .await;
    assert_eq!(cancelled["status"], "user_cancelled", "{cancelled}");
    assert_eq!(
        d.state().operation(op_id).unwrap().status,
        OpStatus::UserCancelled
    );
    let again = call_err(
        &client,
        "cancel_operation",
        json!({"server_id": "br-a", "operation_id": op_id.to_string()}),
    )
    .await;
    assert!(again.contains("already finished"), "{again}");
    let unknown = call_err(
        &client,
        "cancel_operation",
        json!({"server_id": "br-a", "operation_id": "999999"}),
    )
    .await;
    assert!(unknown.contains("not on server"), "{unknown}");

    // dry run and an unknown plan.
    call_ok(
        &client,
        "trigger_backup",
        json!({"server_id": "br-a", "plan_id": "db-dumps", "dry_run": true}),
    )
    .await;
    assert_eq!(
        d.state().bodies("Backup")[1],
        &json!({"value": "db-dumps", "dryRun": true})
    );
    let missing = call_err(
        &client,
        "trigger_backup",
        json!({"server_id": "br-a", "plan_id": "nope"}),
    )
    .await;
    assert!(missing.contains("daily-home"), "lists the plans: {missing}");

    // do_repo_task.
    let prune = call_ok(
        &client,
        "do_repo_task",
        json!({"server_id": "br-a", "repo_id": "nas-local", "task": "prune"}),
    )
    .await;
    assert_eq!(prune["status"], "scheduled");
    assert!(prune["operation_id"].is_string());
    for task in ["check", "stats"] {
        let out = call_ok(
            &client,
            "do_repo_task",
            json!({"server_id": "br-a", "repo_id": "b2-offsite", "task": task}),
        )
        .await;
        assert!(out["operation_id"].is_string(), "{out}");
    }
    for task in ["unlock", "index"] {
        let out = call_ok(
            &client,
            "do_repo_task",
            json!({"server_id": "br-a", "repo_id": "b2-offsite", "task": task}),
        )
        .await;
        assert_eq!(out["status"], "done");
        assert!(out["operation_id"].is_null());
    }
    let tasks: Vec<_> = d
        .state()
        .bodies("DoRepoTask")
        .iter()
        .map(|b| b["task"].clone())
        .collect();
    assert_eq!(
        tasks,
        [
            "TASK_PRUNE",
            "TASK_CHECK",
            "TASK_STATS",
            "TASK_UNLOCK",
            "TASK_INDEX_SNAPSHOTS"
        ]
    );
    assert!(
        call_err(
            &client,
            "do_repo_task",
            json!({"server_id": "br-a", "repo_id": "b2-offsite", "task": "forget"})
        )
        .await
        .contains("task")
    );
    assert!(
        call_err(
            &client,
            "do_repo_task",
            json!({"server_id": "br-a", "repo_id": "nope", "task": "check"})
        )
        .await
        .contains("not_found")
    );

    // Every call is audited with its outcome (a bad argument too); allowed ones with an intent first.
    let all = home.audit_lines();
    assert_eq!(
        (all[0]["phase"].as_str(), all[0]["attempt"].clone()),
        (Some("intent"), all[1]["attempt"].clone())
    );
    let lines = outcomes(&all);
    let backup = &lines[0];
    assert_eq!(
        (
            backup["tool"].as_str(),
            backup["decision"].as_str(),
            backup["outcome"].as_str()
        ),
        (Some("trigger_backup"), Some("allowed"), Some("ok"))
    );
    assert_eq!(backup["operation_id"], op_id.to_string());
    assert_eq!(backup["tenant_id"], "acme");
    assert!(
        lines
            .iter()
            .any(|l| l["tool"] == "cancel_operation" && l["outcome"] == "error")
    );
    assert!(
        lines
            .iter()
            .any(|l| l["tool"] == "trigger_backup" && l["outcome"] == "error")
    );
    assert!(lines.iter().any(|l| l["tool"] == "do_repo_task"
        && l["outcome"] == "refused"
        && l["reason"].as_str().unwrap().contains("task")));
    assert_eq!(lines.len(), 13, "{lines:#?}");
    assert_eq!(
        all.len(),
        13 + 12,
        "an intent line for each of the 12 writes sent"
    );
    assert_no_secret(
        &std::fs::read_to_string(home.audit()).unwrap(),
        &secrets_of(&d),
    );
    assert_eq!(d.counters().basic, 0);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn destructive_tools_forget_one_snapshot_and_restore_under_the_prefix() {
    let d = double("nas01", "acme");
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
    let filler = FormFiller::accepting(json!({"confirm": true}));
    let client = spawn_with(filler.clone(), &["serve"], &env, &home.log()).await;

    let snaps = call_ok(&client, "list_snapshots", json!({"plan_id": "db-dumps"})).await;
    let snapshot_id = items(&snaps)[3]["snapshot_id"].as_str().unwrap().to_owned();
    let out = call_ok(
        &client,
        "forget_snapshot",
        json!({"server_id": "br-a", "repo_id": "nas-local", "snapshot_id": snapshot_id, "confirm": format!("FORGET:{snapshot_id}")}),
    )
    .await;
    assert_eq!(out["status"], "scheduled");
    assert_eq!(
        d.state().bodies("Forget"),
        [&json!({"repoId": "nas-local", "planId": "db-dumps", "snapshotId": snapshot_id})]
    );
    let asked = filler.asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 1);
    assert!(asked[0].0.contains(&snapshot_id), "{}", asked[0].0);

    let target = format!("{}/ticket-4711/./docs/", prefix.display());
    let out = call_ok(
        &client,
        "restore_snapshot",
        json!({"server_id": "br-a", "repo_id": "nas-local", "snapshot_id": items(&snaps)[0]["snapshot_id"], "target": target}),
    )
    .await;
    assert!(out["operation_id"].is_string());
    let sent = d.state().bodies("Restore")[0].clone();
    assert_eq!(
        sent["target"],
        format!("{}/ticket-4711/docs", prefix.display())
    );
    assert_eq!(sent["path"], "/");

    let lines = outcomes(&home.audit_lines());
    assert_eq!(lines.len(), 2);
    assert_eq!(home.audit_lines().len(), 4, "intent and outcome of each");
    assert!(
        lines
            .iter()
            .all(|l| l["decision"] == "allowed" && l["outcome"] == "ok")
    );
    assert_eq!(lines[0]["reason"], "confirmed by the user");
    client.cancel().await.ok();
}

/// Operation logs carry restic's command lines (repository flags, paths) and can carry
/// environment and URL secrets; `get_operation_log` shows the lines without them, as the
/// federated rows do.
#[tokio::test(flavor = "multi_thread")]
async fn operation_logs_are_scrubbed_like_messages() {
    const LEAK: &str = "env RESTIC_PASSWORD=acme-repo-pw-77 at rest:https://restic:Hunter2-pw@backup.acme.lan:8000/nas01/\n";
    let d = double_with("nas01", "acme", |mut c| {
        for op in &c.dataset.operations {
            if op.status == OpStatus::Error {
                let log = c.dataset.logs.get_mut(&op.logref).unwrap();
                assert!(log.contains("/usr/local/bin/restic backup"), "{log}");
                log.push_str(LEAK);
            }
        }
        c
    });
    let raw = d
        .state()
        .operations
        .iter()
        .filter(|o| o.status == OpStatus::Error && matches!(o.kind, OpKind::OperationBackup(_)))
        .count();
    assert!(raw > 0);
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let client = spawn(&["serve"], &home.env(&[]), &home.log()).await;
    let failed = call_ok(
        &client,
        "get_operations",
        json!({"status": "error", "type": "backup", "limit": 1000}),
    )
    .await;
    assert_eq!(items(&failed).len(), raw);
    for op in items(&failed) {
        for args in [
            json!({"server_id": "br-a", "operation_id": op["operation_id"]}),
            json!({"server_id": "br-a", "logref": op["logref"]}),
        ] {
            let log = call_ok(&client, "get_operation_log", args).await;
            let text = log["text"].as_str().unwrap();
            for gone in ["/usr/local/bin/restic", "acme-repo-pw-77", "Hunter2-pw"] {
                assert!(!text.contains(gone), "{gone} in {text}");
            }
            assert!(
                text.contains("command: (restic command line hidden)"),
                "{text}"
            );
            assert!(text.contains("RESTIC_PASSWORD=[redacted]"), "{text}");
            assert!(text.contains("rest:https://***@backup.acme.lan"), "{text}");
        }
    }
    client.cancel().await.ok();
}
