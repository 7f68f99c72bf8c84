//! Ids chain: every id a list tool returns can be passed to every get tool that takes it, as the
//! string the result shows and as a number, and every id the gateway writes under a snake_case
//! name is a string.

mod common;

use backup_mcp::doubles::backrest::BackrestDouble;
use backup_mcp::doubles::novabackup::{ACME_TENANT, InstanceConfig, NovaDouble, SAMPLE_USERS};
use common::backrest as br;
use common::mcp::*;
use serde_json::{Value, json};

struct Fleet {
    _nova: NovaDouble,
    _backrest: BackrestDouble,
    _home: tempfile::TempDir,
    client: Client,
}

async fn fleet() -> Fleet {
    let nova = NovaDouble::start(vec![InstanceConfig::sample("/ms1")])
        .await
        .unwrap();
    let backrest = br::double("nas-acme", "Acme Dental");
    let home = tempfile::tempdir().unwrap();
    let client = serve_saved(
        home.path(),
        &[
            nova_entry("ms1", &nova.base_url(0), SAMPLE_USERS[0].1),
            br::entry("nas-acme", &backrest.base_url(), Some(ACME_TENANT)),
        ],
    )
    .await;
    Fleet {
        _nova: nova,
        _backrest: backrest,
        _home: home,
        client,
    }
}

/// Every snake_case `*_id` in `value` is a string or null (PascalCase upstream keys may be
/// integers: they are the server's own properties).
fn assert_ids_are_strings(tool: &str, value: &Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let snake = key.ends_with("_id") && key.chars().all(|c| !c.is_ascii_uppercase());
                if snake {
                    assert!(
                        v.is_string() || v.is_null(),
                        "{tool}: {key} is not a string: {v}"
                    );
                }
                assert_ids_are_strings(tool, v);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| assert_ids_are_strings(tool, v)),
        _ => {}
    }
}

/// Calls `tool` and checks its ids.
async fn ok(client: &Client, tool: &str, args: Value) -> Value {
    let out = call_ok(client, tool, args).await;
    assert_ids_are_strings(tool, &out);
    out
}

/// The first item's `key` as given, as text and as a number.
fn first_id(out: &Value, key: &str) -> (String, i64) {
    let v = &out["items"][0][key];
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("{key} missing: {other} in {out}"),
    };
    let number = text.parse().unwrap_or_else(|_| panic!("{key} {text:?}"));
    (text, number)
}

/// Calls `tool` with `key` given once as a string and once as a number; both must succeed and
/// return the same answer.
async fn both_ways(client: &Client, tool: &str, base: Value, key: &str, id: &(String, i64)) {
    let mut as_text = base.clone();
    as_text[key] = json!(id.0);
    let mut as_number = base;
    as_number[key] = json!(id.1);
    let a = ok(client, tool, as_text).await;
    let b = ok(client, tool, as_number).await;
    let strip = |mut v: Value| {
        if let Some(meta) = v.get_mut("_meta") {
            meta["elapsed_ms"] = json!(0);
        }
        v
    };
    assert_eq!(strip(a), strip(b), "{tool} {key}");
}

#[tokio::test]
async fn every_listed_id_chains_into_every_get_tool() {
    let f = fleet().await;
    let c = &f.client;
    let ms1 = json!({"server_id": "ms1"});

    let agents = ok(c, "list_agents", ms1.clone()).await;
    let agent = first_id(&agents, "AgentId");
    both_ways(c, "get_agent", ms1.clone(), "agent_id", &agent).await;
    both_ways(c, "list_agent_devices", ms1.clone(), "agent_id", &agent).await;
    both_ways(c, "list_backup_sources", ms1.clone(), "agent_id", &agent).await;
    both_ways(c, "list_jobs_for_agent", ms1.clone(), "agent_id", &agent).await;

    let jobs = ok(
        c,
        "list_jobs_for_agent",
        json!({"server_id": "ms1", "agent_id": agent.0, "$filter": "JobId ne null"}),
    )
    .await;
    let job = first_id(&jobs, "JobId");
    let base = json!({"server_id": "ms1", "agent_id": agent.0});
    both_ways(c, "get_job", base, "identifier", &job).await;

    let csas = ok(c, "list_cloud_storage_accounts", ms1.clone()).await;
    let csa = first_id(&csas, "CloudStorageAccountId");
    both_ways(
        c,
        "get_cloud_storage_account",
        ms1.clone(),
        "cloud_storage_account_id",
        &csa,
    )
    .await;

    let storage = ok(c, "list_storage_servers", ms1.clone()).await;
    let storage_server = first_id(&storage, "StorageServerId");
    both_ways(
        c,
        "get_storage_server",
        ms1.clone(),
        "storage_server_id",
        &storage_server,
    )
    .await;

    let users = ok(c, "list_users", ms1.clone()).await;
    let user = first_id(&users, "UserId");
    both_ways(c, "get_user", ms1.clone(), "user_id", &user).await;

    let history = ok(c, "list_job_history", ms1.clone()).await;
    let run = first_id(&history, "run_id");
    assert!(history["items"][0]["run_id"].is_string());
    both_ways(c, "get_job_run_log", ms1.clone(), "run_id", &run).await;
    both_ways(c, "get_job_run_log", ms1.clone(), "job_id", &run).await;

    let failing = ok(
        c,
        "list_failing_jobs",
        json!({"window": "30d", "include_warnings": true, "limit": 1000}),
    )
    .await;
    let items = failing["items"].as_array().unwrap();
    let nova_run = items.iter().find(|r| r["run_id"].is_string()).unwrap();
    let run_id = nova_run["run_id"].as_str().unwrap().to_owned();
    let run = (run_id.clone(), run_id.parse().unwrap());
    both_ways(c, "get_job_run_log", ms1.clone(), "run_id", &run).await;
    let op = items
        .iter()
        .find(|r| r["operation_id"].is_string())
        .unwrap();
    let op_id = op["operation_id"].as_str().unwrap().to_owned();
    let nas = json!({"server_id": "nas-acme"});
    let op = (op_id.clone(), op_id.parse().unwrap());
    both_ways(c, "get_operation_log", nas.clone(), "operation_id", &op).await;

    let ops = ok(c, "get_operations", nas.clone()).await;
    let op = first_id(&ops, "operation_id");
    both_ways(c, "get_operation_log", nas.clone(), "operation_id", &op).await;

    let snapshots = ok(c, "list_snapshots", nas.clone()).await;
    let snap = &snapshots["items"][0];
    let files = ok(
        c,
        "list_snapshot_files",
        json!({"server_id": "nas-acme", "repo_id": snap["repo_id"], "snapshot_id": snap["snapshot_id"]}),
    )
    .await;
    assert!(files["entries"].is_array(), "{files}");

    let servers = ok(c, "list_servers", json!({})).await;
    for server in servers["servers"].as_array().unwrap() {
        let out = ok(
            c,
            "server_health",
            json!({"server_id": server["server_id"]}),
        )
        .await;
        assert_eq!(out["_meta"]["servers_queried"], 1);
    }
    for tool in [
        "get_backup_overview",
        "summarize_storage_usage",
        "summarize_csa_usage",
        "get_job_history_summary",
        "list_groups",
        "get_summary",
    ] {
        ok(c, tool, json!({})).await;
    }
    ok(c, "get_group_hierarchy", ms1.clone()).await;
    ok(
        c,
        "summarize_storage_usage",
        json!({"group_by": "agent", "include_devices": true}),
    )
    .await;
}

#[tokio::test]
async fn a_bad_id_is_refused_naming_its_parameter() {
    let f = fleet().await;
    let c = &f.client;
    let err = call_err(
        c,
        "get_job_run_log",
        json!({"server_id": "ms1", "run_id": "seventy"}),
    )
    .await;
    assert!(err.contains("run_id") && err.contains("seventy"), "{err}");
    let err = call_err(
        c,
        "get_agent",
        json!({"server_id": "ms1", "agent_id": "1O1"}),
    )
    .await;
    assert!(err.contains("agent_id"), "{err}");
    let err = call_err(
        c,
        "get_operation_log",
        json!({"server_id": "nas-acme", "operation_id": "x1"}),
    )
    .await;
    assert!(err.contains("operation_id"), "{err}");
    let err = call_err(
        c,
        "get_job_run_log",
        json!({"server_id": "ms1", "run_id": true}),
    )
    .await;
    assert!(err.contains("run_id (expected string or integer"), "{err}");
}

#[tokio::test]
async fn id_parameters_declare_both_types() {
    let f = fleet().await;
    let tools = f.client.list_all_tools().await.unwrap();
    let mut checked = 0;
    for tool in &tools {
        let schema = serde_json::to_value(&*tool.input_schema).unwrap();
        let Some(props) = schema["properties"].as_object() else {
            continue;
        };
        for (name, prop) in props {
            if name.ends_with("_id") || name == "identifier" || name == "logref" {
                let types = prop["type"]
                    .as_array()
                    .unwrap_or_else(|| panic!("{}: {name} has no type list: {prop}", tool.name));
                assert!(
                    types.contains(&json!("string")) && types.contains(&json!("integer")),
                    "{}: {name}: {prop}",
                    tool.name
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 40, "only {checked} id parameters found");
}
