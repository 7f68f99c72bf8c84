//! `backup-mcp demo` answers a real MCP client; the canned prompts list and render.

mod common;

use common::mcp::*;
use rmcp::model::GetPromptRequestParams;
use serde_json::json;

fn text_of(result: &rmcp::model::GetPromptResult) -> String {
    serde_json::to_value(&result.messages[0].content).unwrap()["text"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_fleet_serves_both_kinds_and_the_prompts() {
    let dir = tempfile::tempdir().unwrap();
    // The demo must not read or write saved credentials: point the file at something unusable.
    let creds = dir.path().join("credentials.json");
    std::fs::write(&creds, "{corrupt").unwrap();
    let env = vec![
        ("HOME", dir.path().display().to_string()),
        ("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string()),
    ];
    let client = spawn(
        &["demo", "--servers", "4"],
        &env,
        &dir.path().join("err.log"),
    )
    .await;

    let info = call_ok(&client, "system_info", json!({})).await;
    assert_eq!(info["demo"], true);
    let servers = info["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 4);
    let kinds: Vec<&str> = servers
        .iter()
        .map(|s| s["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"novabackup") && kinds.contains(&"backrest"),
        "{kinds:?}"
    );

    let health = call_ok(&client, "server_health", json!({})).await;
    assert_eq!(health["_meta"]["servers_succeeded"], 4, "{health}");
    assert!(
        health["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|i| i["server_id"].is_string())
    );

    // Every failing run of every simulated server, of both kinds, cross-checked per server
    // against the kind-specific tools (independent code paths over the same servers).
    let since = (chrono::Utc::now() - chrono::Duration::days(30))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let failing = call_ok(
        &client,
        "list_failing_jobs",
        json!({"since": since, "limit": 1000}),
    )
    .await;
    let meta = &failing["_meta"];
    assert_eq!(
        (
            meta["servers_queried"].as_u64(),
            meta["servers_failed"].as_u64()
        ),
        (Some(4), Some(0))
    );
    assert_eq!(meta["truncated"], false);
    let rows = failing["items"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["server_id"].is_string() && r.as_object().unwrap().contains_key("tenant_id")));
    let count = |id: &str| rows.iter().filter(|r| r["server_id"] == id).count() as u64;
    let summary = call_ok(&client, "get_job_history_summary", json!({"window": "30d"})).await;
    for server in summary["per_server"].as_array().unwrap() {
        let id = server["server_id"].as_str().unwrap();
        assert_eq!(
            count(id),
            server["by_status"]["failed"].as_u64().unwrap_or(0),
            "{id}"
        );
        assert!(count(id) > 0, "{id} has no failures to show");
    }
    let ops = call_ok(
        &client,
        "get_operations",
        json!({"status": "error", "since": since, "limit": 1000}),
    )
    .await;
    for id in ["acme-nas01", "blue-nas01"] {
        let backups = ops["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|o| o["server_id"] == id && o["type"] == "backup")
            .count() as u64;
        assert!(backups > 0, "{id}");
        assert_eq!(count(id), backups, "{id}");
    }

    let prompts = client.list_all_prompts().await.unwrap();
    let mut names: Vec<&str> = prompts.iter().map(|p| p.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "audit_cloud_storage_usage",
            "check_backrest_health",
            "diagnose_failing_jobs",
            "find_stale_agents",
            "summarize_agent_health",
            "verify_restore_readiness"
        ]
    );
    assert!(
        prompts
            .iter()
            .flat_map(|p| p.arguments.iter().flatten())
            .all(|a| a.required == Some(false))
    );

    let plain = client
        .get_prompt(GetPromptRequestParams::new("diagnose_failing_jobs"))
        .await
        .unwrap();
    let text = text_of(&plain);
    assert!(
        text.contains("list_failing_jobs") && text.contains("\"24h\"") && text.contains("_meta")
    );

    let args = json!({"window": "30d"}).as_object().cloned().unwrap();
    let with = client
        .get_prompt(GetPromptRequestParams::new("diagnose_failing_jobs").with_arguments(args))
        .await
        .unwrap();
    assert!(text_of(&with).contains("\"30d\""));
    let args = json!({"days": 3}).as_object().cloned().unwrap();
    let stale = client
        .get_prompt(GetPromptRequestParams::new("find_stale_agents").with_arguments(args))
        .await
        .unwrap();
    assert!(text_of(&stale).contains("last 3 days"));

    let args = json!({"window": "1y"}).as_object().cloned().unwrap();
    let bad = client
        .get_prompt(GetPromptRequestParams::new("diagnose_failing_jobs").with_arguments(args))
        .await;
    assert!(bad.is_err());
    assert!(
        client
            .get_prompt(GetPromptRequestParams::new("nope"))
            .await
            .is_err()
    );
    client.cancel().await.ok();
    assert_eq!(
        std::fs::read_to_string(&creds).unwrap(),
        "{corrupt",
        "demo touched saved credentials"
    );
}
