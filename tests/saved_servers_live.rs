//! The saved servers while `serve` runs: with none, fan-out answers say that nothing was asked
//! (not a clean empty list); servers saved or removed with `backup-mcp login` / `logout` in
//! another process are seen by the next call, and an unchanged server keeps its state.

mod common;

use backup_mcp::doubles::novabackup::{InstanceConfig, NovaDouble, SAMPLE_USERS};
use common::Sandbox;
use common::mcp::*;
use serde_json::{Value, json};

async fn serve(sb: &Sandbox) -> Client {
    let env = vec![
        ("HOME", sb.dir.path().display().to_string()),
        (
            "XDG_CONFIG_HOME",
            sb.dir.path().join("config").display().to_string(),
        ),
        ("BACKUP_MCP_TIMEOUT_SECONDS", "5".to_owned()),
    ];
    spawn(&["serve"], &env, &sb.dir.path().join("serve.log")).await
}

/// Runs the CLI in this thread without stalling the MCP client's runtime.
fn cli<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn login(sb: &Sandbox, id: &str, url: &str) {
    let (user, password) = SAMPLE_USERS[0];
    let out = cli(|| sb.login(&common::nova_login_args(id, url, user), password));
    assert!(out.status.success(), "{}", common::stderr(&out));
}

fn server_ids(list: &Value) -> Vec<String> {
    list["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["server_id"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_nothing_asked(out: &Value) {
    let meta = &out["_meta"];
    assert_eq!(meta["servers_queried"], 0, "{out}");
    assert_eq!(meta["partial"], true, "{out}");
    let warning = meta["warnings"][0].as_str().unwrap_or_default();
    assert!(warning.contains("backup-mcp login"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn no_saved_server_is_not_all_clear() {
    let sb = Sandbox::new();
    let client = serve(&sb).await;
    for tool in ["list_failing_jobs", "list_agents", "list_snapshots"] {
        let out = call_ok(&client, tool, json!({})).await;
        assert_eq!(out["items"], json!([]));
        assert_nothing_asked(&out);
    }
    for tool in ["get_backup_overview", "list_tenants"] {
        let out = call_ok(&client, tool, json!({})).await;
        assert_nothing_asked(&out);
    }
    let info = call_ok(&client, "system_info", json!({})).await;
    assert_eq!(
        info["credentials_file"],
        sb.credentials().display().to_string()
    );
    assert!(
        info["next_step"]
            .as_str()
            .unwrap()
            .contains("backup-mcp login")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_that_leaves_no_server_says_so() {
    let nova = NovaDouble::start(vec![InstanceConfig::sample("/ms1")])
        .await
        .unwrap();
    let sb = Sandbox::new();
    login(&sb, "ms1", &nova.base_url(0));
    let client = serve(&sb).await;
    let out = call_ok(&client, "list_failing_jobs", json!({"kind": "backrest"})).await;
    assert_nothing_asked(&out);
    let out = call_ok(&client, "list_failing_jobs", json!({"kind": "novabackup"})).await;
    assert_eq!(out["_meta"]["servers_queried"], 1, "{out}");
    assert!(out["_meta"].get("warnings").is_none(), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_and_logout_while_serving_change_the_next_call() {
    let nova = NovaDouble::start(vec![
        InstanceConfig::sample("/ms1"),
        InstanceConfig::sample("/ms2"),
    ])
    .await
    .unwrap();
    let sb = Sandbox::new();
    let client = serve(&sb).await;
    let list = call_ok(&client, "list_servers", json!({})).await;
    assert!(server_ids(&list).is_empty());

    login(&sb, "ms1", &nova.base_url(0));
    let agents = call_ok(&client, "list_agents", json!({})).await;
    assert_eq!(agents["_meta"]["servers_queried"], 1, "{agents}");
    assert_eq!(agents["_meta"]["partial"], false, "{agents}");
    assert!(!agents["items"].as_array().unwrap().is_empty());
    let before = call_ok(&client, "list_servers", json!({})).await;
    assert_eq!(before["servers"][0]["status"], "up", "{before}");

    let ms1_logins = nova.stats(0).authenticate_calls;

    login(&sb, "ms2", &nova.base_url(1));
    let after = call_ok(&client, "list_servers", json!({})).await;
    assert_eq!(server_ids(&after), ["ms1", "ms2"]);
    let agents = call_ok(&client, "list_agents", json!({})).await;
    assert_eq!(agents["_meta"]["servers_queried"], 2, "{agents}");
    assert_eq!(agents["_meta"]["partial"], false, "{agents}");
    // ms1 was not touched: still up since the same moment, and no new login (its token kept).
    assert_eq!(after["servers"][0]["status"], "up");
    assert_eq!(after["servers"][0]["since"], before["servers"][0]["since"]);
    assert_eq!(nova.stats(0).authenticate_calls, ms1_logins);

    let out = cli(|| sb.run(&["logout", "ms1"]));
    assert!(out.status.success(), "{}", common::stderr(&out));
    let list = call_ok(&client, "list_servers", json!({})).await;
    assert_eq!(server_ids(&list), ["ms2"]);
    let err = call_err(&client, "list_agents", json!({"server_id": "ms1"})).await;
    assert!(err.contains("unknown server_id"), "{err}");
    let agents = call_ok(&client, "list_agents", json!({})).await;
    assert_eq!(agents["_meta"]["servers_queried"], 1, "{agents}");

    let out = cli(|| sb.run(&["logout", "ms2"]));
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = call_ok(&client, "list_failing_jobs", json!({})).await;
    assert_nothing_asked(&out);
}
