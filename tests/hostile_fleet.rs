//! Servers that log in and then hang on data cannot hide healthy ones: each server gets a share
//! of the call, a server that timed out sits out the next calls (`not_connected` with a retry
//! time), and servers never started before the deadline say `not_attempted`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use backup_mcp::doubles::novabackup::{InstanceConfig, NovaDouble, SAMPLE_USERS};
use common::mcp::*;
use common::stub::{self, Behaviour};
use serde_json::{Value, json};

/// Every failure by server: (reason, error, retry_at).
fn failures_by_server(meta: &Value) -> BTreeMap<String, (String, String, Option<String>)> {
    meta["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["server_id"].as_str().unwrap().to_owned(),
                (
                    f["reason"].as_str().unwrap().to_owned(),
                    f["error"].as_str().unwrap().to_owned(),
                    f["retry_at"].as_str().map(str::to_owned),
                ),
            )
        })
        .collect()
}

/// Fails on Rust debug text or unrounded durations in any message.
fn assert_messages_read_well(meta: &Value) {
    let fraction = regex_lite_fraction();
    for f in meta["failures"].as_array().unwrap() {
        let error = f["error"].as_str().unwrap();
        assert!(
            !error.contains("Some(") && !error.contains("None"),
            "debug text: {error}"
        );
        assert!(!fraction(error), "unrounded duration: {error}");
    }
}

/// True when `text` holds a duration with a fraction, like `0.0333s`.
fn regex_lite_fraction() -> impl Fn(&str) -> bool {
    |text: &str| {
        let b = text.as_bytes();
        (0..b.len()).any(|i| {
            b[i] == b'.'
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b[i + 1..]
                    .iter()
                    .position(|c| !c.is_ascii_digit())
                    .is_some_and(|end| end > 0 && b[i + 1 + end] == b's')
        })
    }
}

/// Waits until every saved server has logged in (the hung ones answer logins).
async fn wait_until_all_up(client: &Client, count: usize) {
    let until = Instant::now() + Duration::from_secs(60);
    loop {
        let servers = call_ok(client, "list_servers", json!({})).await;
        let up = servers["servers"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["status"] == "up")
            .count();
        if up == count {
            return;
        }
        assert!(
            Instant::now() < until,
            "only {up} of {count} servers logged in"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn forty_hung_servers_cannot_hide_sixty_healthy_ones() {
    let password = SAMPLE_USERS[0].1;
    let shared = InstanceConfig::sample("/h0").dataset;
    let configs = (0..60)
        .map(|i| InstanceConfig {
            dataset: shared.clone(),
            ..InstanceConfig::sample(&format!("/h{i}"))
        })
        .collect();
    let healthy = NovaDouble::start(configs).await.unwrap();
    let hung_ids: Vec<String> = (0..40).map(|i| format!("hung{i}")).collect();
    let hung_specs: Vec<(&str, Behaviour)> = hung_ids
        .iter()
        .map(|p| (p.as_str(), Behaviour::DataHangs))
        .collect();
    let hung = stub::start(0, &hung_specs, Duration::ZERO, password).await;

    // Interleaved in saved order: two hung servers in every five.
    let mut entries = Vec::new();
    let (mut h, mut x) = (0, 0);
    for slot in 0..100 {
        if slot % 5 < 2 {
            entries.push(nova_entry(
                &hung_ids[x],
                &hung.base_url(&hung_ids[x]),
                password,
            ));
            x += 1;
        } else {
            entries.push(nova_entry(
                &format!("ok{h}"),
                &healthy.base_url(h),
                password,
            ));
            h += 1;
        }
    }
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials.json");
    write_credentials(&creds, &entries);
    // A short call (8 s) keeps the test quick; concurrency and the per-server share (a
    // quarter of the call) stay at their defaults.
    let env = vec![
        ("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string()),
        ("BACKUP_MCP_TIMEOUT_SECONDS", "8".to_owned()),
    ];
    let client = spawn(&["serve"], &env, &home.path().join("err.log")).await;
    wait_until_all_up(&client, 100).await;
    let healthy_ids: BTreeSet<String> = (0..60).map(|i| format!("ok{i}")).collect();
    let hung_set: BTreeSet<String> = hung_ids.iter().cloned().collect();

    // First call: healthy servers that were started answered; the others were not attempted.
    let out = call_ok(&client, "list_groups", json!({})).await;
    let meta = &out["_meta"];
    let failed = failures_by_server(meta);
    assert_eq!(meta["servers_queried"], 100);
    for id in &healthy_ids {
        if let Some((reason, error, _)) = failed.get(id) {
            assert_eq!(reason, "not_attempted", "{id}: {error}");
        }
    }
    for id in &hung_set {
        let (reason, error, _) = &failed[id];
        assert!(
            reason == "timeout" || reason == "not_attempted",
            "{id}: {reason} {error}"
        );
        if reason == "timeout" {
            assert_eq!(
                error,
                "no answer within 2s (its share of the call, BACKUP_MCP_SERVER_TIMEOUT_SECONDS)",
                "{id}"
            );
        }
    }
    assert!(
        failed.values().any(|(r, ..)| r == "timeout"),
        "the hung servers were asked"
    );
    assert_messages_read_well(meta);
    eprintln!(
        "first call: {} answered in {} ms",
        meta["servers_succeeded"], meta["elapsed_ms"]
    );

    // Second and third calls: every healthy server answers, the hung ones sit out.
    for call in 2..=3 {
        let out = call_ok(&client, "list_groups", json!({})).await;
        let meta = &out["_meta"];
        let failed = failures_by_server(meta);
        assert_eq!(meta["servers_succeeded"], 60, "call {call}: {meta}");
        let failed_ids: BTreeSet<String> = failed.keys().cloned().collect();
        assert_eq!(failed_ids, hung_set, "call {call}");
        for (id, (reason, error, retry_at)) in &failed {
            assert_eq!(reason, "not_connected", "call {call} {id}: {error}");
            let at = retry_at.as_deref().expect("a retry time");
            let at = chrono::DateTime::parse_from_rfc3339(at).expect("RFC 3339");
            assert!(at > chrono::Utc::now(), "{id}: retry time {at} is past");
            assert!(error.contains("not asked again until"), "{error}");
        }
        assert_messages_read_well(meta);
        eprintln!("call {call}: answered in {} ms", meta["elapsed_ms"]);
    }
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_never_started_are_not_attempted_and_not_marked_down() {
    let password = SAMPLE_USERS[0].1;
    let stub = stub::start(
        0,
        &[
            ("hung-a", Behaviour::DataHangs),
            ("hung-b", Behaviour::DataHangs),
            ("ok-a", Behaviour::Healthy),
            ("ok-b", Behaviour::Healthy),
        ],
        Duration::ZERO,
        password,
    )
    .await;
    let ids = ["hung-a", "hung-b", "ok-a", "ok-b"];
    let entries: Vec<Value> = ids
        .iter()
        .map(|id| nova_entry(id, &stub.base_url(id), password))
        .collect();
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials.json");
    write_credentials(&creds, &entries);
    // One server at a time, and a server may use the whole call: the first hung server takes it.
    let env = vec![
        ("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string()),
        ("BACKUP_MCP_TIMEOUT_SECONDS", "3".to_owned()),
        ("BACKUP_MCP_SERVER_TIMEOUT_SECONDS", "3".to_owned()),
        ("BACKUP_MCP_FANOUT_CONCURRENCY", "1".to_owned()),
    ];
    let client = spawn(&["serve"], &env, &home.path().join("err.log")).await;
    wait_until_all_up(&client, 4).await;

    let reasons = |out: &Value| -> Vec<String> {
        let failed = failures_by_server(&out["_meta"]);
        ids.iter()
            .map(|id| failed.get(*id).map_or("ok".to_owned(), |f| f.0.clone()))
            .collect()
    };
    let first = call_ok(&client, "list_groups", json!({})).await;
    assert_eq!(
        reasons(&first),
        ["timeout", "not_attempted", "not_attempted", "not_attempted"]
    );
    let failed = failures_by_server(&first["_meta"]);
    assert_eq!(
        failed["hung-a"].1,
        "no answer within 3s (the call's deadline)"
    );
    assert_eq!(
        failed["ok-a"].1,
        "not asked: the call's 3s deadline passed while other servers held all 1 slots (BACKUP_MCP_FANOUT_CONCURRENCY)"
    );
    assert_messages_read_well(&first["_meta"]);

    // Not being asked says nothing about a server's health.
    let servers = call_ok(&client, "list_servers", json!({})).await;
    let status: BTreeMap<&str, &str> = servers["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["server_id"].as_str().unwrap(),
                s["status"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(status["hung-a"], "down");
    for id in ["hung-b", "ok-a", "ok-b"] {
        assert_eq!(status[id], "up", "{id}");
    }

    // hung-a sits out; hung-b (never asked before) now takes the call.
    let second = call_ok(&client, "list_groups", json!({})).await;
    assert_eq!(
        reasons(&second),
        ["not_connected", "timeout", "not_attempted", "not_attempted"]
    );
    // Both hung servers sit out: the healthy ones answer at last.
    let third = call_ok(&client, "list_groups", json!({})).await;
    assert_eq!(
        reasons(&third),
        ["not_connected", "not_connected", "ok", "ok"]
    );
    client.cancel().await.ok();
}
