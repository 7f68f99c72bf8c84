//! Tenants by id or by customer name, across both kinds: `list_tenants`, `tenant_id` arguments
//! that take either (ignoring case), unknown tenants refused like unknown servers, and
//! `tenant_name` beside every `tenant_id` in every answer.

mod common;

use std::collections::BTreeSet;

use backup_mcp::doubles::backrest::BackrestDouble;
use backup_mcp::doubles::novabackup::{
    ACME_TENANT, BLUE_RIDGE_TENANT, InstanceConfig, NovaDouble, SAMPLE_USERS,
};
use common::backrest as br;
use common::mcp::*;
use serde_json::{Value, json};

struct Fleet {
    _nova: NovaDouble,
    _backrest: Vec<BackrestDouble>,
    _home: tempfile::TempDir,
    client: Client,
}

async fn fleet() -> Fleet {
    let nova = NovaDouble::start(vec![InstanceConfig::sample("/ms1")])
        .await
        .unwrap();
    let backrest = vec![
        br::double("nas-acme", "Acme Dental"),
        br::double("nas-solo", "Solo Shop"),
    ];
    let home = tempfile::tempdir().unwrap();
    let client = serve_saved(
        home.path(),
        &[
            nova_entry("ms1", &nova.base_url(0), SAMPLE_USERS[0].1),
            br::entry("nas-acme", &backrest[0].base_url(), Some(ACME_TENANT)),
            br::entry("nas-solo", &backrest[1].base_url(), Some("solo-shop")),
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

fn items(out: &Value) -> &Vec<Value> {
    out["items"].as_array().unwrap()
}

fn tenants_of(out: &Value) -> BTreeSet<String> {
    items(out)
        .iter()
        .map(|r| r["tenant_id"].as_str().unwrap_or("null").to_owned())
        .collect()
}

/// Every object with a `tenant_id` has a `tenant_name`: the customer's name for a known tenant.
fn assert_named(tool: &str, value: &Value) -> usize {
    match value {
        Value::Object(map) => {
            let mut seen = 0;
            if let Some(tenant) = map.get("tenant_id") {
                let name = map
                    .get("tenant_name")
                    .unwrap_or_else(|| panic!("{tool}: no tenant_name in {value}"));
                let want = match tenant.as_str() {
                    Some(ACME_TENANT) => json!("Acme Dental"),
                    Some(BLUE_RIDGE_TENANT) => json!("Blue Ridge Law"),
                    Some("solo-shop") => json!("solo-shop"),
                    _ => name.clone(),
                };
                assert_eq!(name, &want, "{tool}: {value}");
                seen += 1;
            }
            seen + map.values().map(|v| assert_named(tool, v)).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(|v| assert_named(tool, v)).sum(),
        _ => 0,
    }
}

#[tokio::test]
async fn list_tenants_names_every_customer_with_its_servers_and_kinds() {
    let f = fleet().await;
    let out = call_ok(&f.client, "list_tenants", json!({})).await;
    assert_eq!(out["_meta"]["partial"], false, "{out}");
    let find = |id: &str| {
        items(&out)
            .iter()
            .find(|c| c["tenant_id"] == id)
            .unwrap_or_else(|| panic!("{id} missing from {out}"))
            .clone()
    };
    let acme = find(ACME_TENANT);
    assert_eq!(acme["tenant_name"], "Acme Dental");
    assert_eq!(acme["servers"], json!(["ms1", "nas-acme"]), "saved order");
    assert_eq!(acme["kinds"], json!(["backrest", "novabackup"]));
    assert_eq!(find(BLUE_RIDGE_TENANT)["tenant_name"], "Blue Ridge Law");
    let solo = find("solo-shop");
    assert_eq!(solo["servers"], json!(["nas-solo"]));
    assert_eq!(solo["kinds"], json!(["backrest"]));
    assert_eq!(out["count"], items(&out).len());
}

#[tokio::test]
async fn a_customer_name_filters_like_its_id_across_both_kinds() {
    let f = fleet().await;
    let c = &f.client;
    let args = |tenant: &str| json!({"tenant_id": tenant, "window": "30d", "include_warnings": true, "limit": 1000});
    let by_id = call_ok(c, "list_failing_jobs", args(ACME_TENANT)).await;
    let by_name = call_ok(c, "list_failing_jobs", args("  acme DENTAL")).await;
    assert!(!items(&by_id).is_empty(), "{by_id}");
    assert_eq!(items(&by_id), items(&by_name));
    assert_eq!(
        tenants_of(&by_name),
        BTreeSet::from([ACME_TENANT.to_owned()])
    );
    let kinds: BTreeSet<&str> = items(&by_name)
        .iter()
        .map(|r| r["server_kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["backrest", "novabackup"]),
        "{by_name}"
    );
    assert!(
        items(&by_name)
            .iter()
            .all(|r| r["tenant_name"] == "Acme Dental")
    );
    // The other customer's Backrest server is not asked at all.
    assert_eq!(by_name["_meta"]["servers_queried"], 2, "{by_name}");

    let agents = call_ok(c, "list_agents", json!({"tenant_id": "blue ridge law"})).await;
    assert!(!items(&agents).is_empty());
    assert_eq!(
        tenants_of(&agents),
        BTreeSet::from([BLUE_RIDGE_TENANT.to_owned()])
    );

    let snapshots = call_ok(c, "list_snapshots", json!({"tenant_id": "SOLO-SHOP"})).await;
    assert!(!items(&snapshots).is_empty());
    let servers: BTreeSet<&str> = items(&snapshots)
        .iter()
        .map(|r| r["server_id"].as_str().unwrap())
        .collect();
    assert_eq!(servers, BTreeSet::from(["nas-solo"]));

    let summary = call_ok(
        c,
        "summarize_storage_usage",
        json!({"tenant_id": "Acme Dental", "group_by": "tenant"}),
    )
    .await;
    let groups = summary["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{summary}");
    assert_eq!(groups[0]["tenant_id"], ACME_TENANT);
}

#[tokio::test]
async fn an_unknown_tenant_is_refused_listing_the_customers() {
    let f = fleet().await;
    for tool in [
        "list_failing_jobs",
        "list_agents",
        "get_operations",
        "get_backup_overview",
    ] {
        let err = call_err(&f.client, tool, json!({"tenant_id": "Zeta Corp"})).await;
        assert!(
            err.contains("unknown tenant \"Zeta Corp\""),
            "{tool}: {err}"
        );
        assert!(
            err.contains("Acme Dental") && err.contains("solo-shop"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn every_tenant_id_in_every_answer_has_its_name_beside_it() {
    let f = fleet().await;
    let c = &f.client;
    let mut named = 0;
    for (tool, args) in [
        (
            "list_failing_jobs",
            json!({"window": "30d", "include_warnings": true}),
        ),
        ("get_backup_overview", json!({"window": "30d"})),
        ("list_agents", json!({})),
        ("list_job_history", json!({})),
        ("list_groups", json!({})),
        ("get_group_hierarchy", json!({"server_id": "ms1"})),
        ("summarize_storage_usage", json!({"group_by": "tenant"})),
        ("summarize_csa_usage", json!({})),
        ("list_snapshots", json!({})),
        ("get_operations", json!({})),
        ("get_summary", json!({})),
        ("list_servers", json!({})),
        ("system_info", json!({})),
        ("server_health", json!({})),
    ] {
        let out = call_ok(c, tool, args).await;
        let n = assert_named(tool, &out);
        assert!(n > 0, "{tool} has no tenant_id: {out}");
        named += n;
    }
    assert!(named > 50, "{named}");
}

#[tokio::test]
async fn a_backrest_answer_first_in_the_session_names_its_customer() {
    let f = fleet().await;
    let out = call_ok(
        &f.client,
        "list_snapshots",
        json!({"server_id": "nas-acme", "limit": 3}),
    )
    .await;
    assert!(!items(&out).is_empty());
    for row in items(&out) {
        assert_eq!(row["tenant_id"], ACME_TENANT);
        assert_eq!(row["tenant_name"], "Acme Dental", "{row}");
    }
}
