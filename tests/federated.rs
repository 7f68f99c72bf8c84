//! `list_failing_jobs` and `get_backup_overview` across both kinds of server: exactly the failing
//! runs the doubles hold, tagged, newest first, with a down server reported in `_meta`.

mod common;

use std::collections::BTreeSet;

use backup_mcp::doubles::backrest::{BackrestDouble, OpKind, OpStatus};
use backup_mcp::doubles::novabackup::{
    ACME_TENANT, BLUE_RIDGE_TENANT, GenSpec, InstanceConfig, NovaDouble, SAMPLE_USERS,
};
use chrono::{Duration, SecondsFormat, Utc};
use common::backrest as br;
use common::mcp::*;
use serde_json::{Value, json};

struct Fleet {
    _down: common::ClosedPort,
    nova: NovaDouble,
    backrest: Vec<BackrestDouble>,
    _home: tempfile::TempDir,
    client: Client,
}

async fn fleet() -> Fleet {
    let nova = NovaDouble::start(vec![
        InstanceConfig::sample("/ms1"),
        InstanceConfig::sample("/ms2"),
    ])
    .await
    .unwrap();
    let backrest = vec![
        br::double("nas-acme", "Acme Dental"),
        br::double("nas-blue", "Blue Ridge Law"),
    ];
    let home = tempfile::tempdir().unwrap();
    let password = SAMPLE_USERS[0].1;
    let down = common::closed_port();
    let client = serve_saved(
        home.path(),
        &[
            nova_entry("ms1", &nova.base_url(0), password),
            nova_entry("ms2", &nova.base_url(1), password),
            br::entry("nas-acme", &backrest[0].base_url(), Some(ACME_TENANT)),
            br::entry("nas-blue", &backrest[1].base_url(), Some(BLUE_RIDGE_TENANT)),
            nova_entry("down", &down.url("/ms"), password),
        ],
    )
    .await;
    Fleet {
        _down: down,
        nova,
        backrest,
        _home: home,
        client,
    }
}

/// (server_id, run or operation id) of every run the doubles hold that the tool must return.
fn expected(f: &Fleet, since: chrono::DateTime<Utc>, warnings: bool) -> BTreeSet<(String, String)> {
    let mut want = BTreeSet::new();
    for (i, id) in ["ms1", "ms2"].iter().enumerate() {
        for run in &f.nova.dataset(i).job_histories {
            let failing = run.status == 4 || (warnings && run.status == 2);
            if failing && run.start_date_time.is_some_and(|t| t >= since) {
                want.insert((id.to_string(), run.job_log_id.to_string()));
            }
        }
    }
    for (double, id) in f.backrest.iter().zip(["nas-acme", "nas-blue"]) {
        for op in double.state().operations {
            let failing =
                op.status == OpStatus::Error || (warnings && op.status == OpStatus::Warning);
            let backup = matches!(op.kind, OpKind::OperationBackup(_));
            if backup && failing && op.unix_time_start_ms >= since.timestamp_millis() {
                want.insert((id.to_string(), op.id.to_string()));
            }
        }
    }
    want
}

fn got(out: &Value) -> BTreeSet<(String, String)> {
    out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["run_id"].as_str().or(r["operation_id"].as_str()).unwrap();
            (r["server_id"].as_str().unwrap().to_owned(), id.to_owned())
        })
        .collect()
}

fn rfc3339(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_jobs_are_exactly_the_failing_runs_of_both_kinds() {
    let f = fleet().await;
    let since = Utc::now() - Duration::days(30);
    let since = chrono::DateTime::parse_from_rfc3339(&rfc3339(since))
        .unwrap()
        .with_timezone(&Utc);

    let out = call_ok(
        &f.client,
        "list_failing_jobs",
        json!({"since": rfc3339(since), "limit": 1000}),
    )
    .await;
    let want = expected(&f, since, false);
    assert!(
        want.iter().any(|(s, _)| s.starts_with("nas"))
            && want.iter().any(|(s, _)| s.starts_with("ms"))
    );
    assert_eq!(got(&out), want);
    let items = out["items"].as_array().unwrap();
    for row in items {
        assert_eq!(row["status"], "failed");
        assert!(row["tenant_id"].is_string(), "{row}");
        assert!(
            row["server_kind"].is_string()
                && row["started_at"].is_string()
                && row["message"].is_string()
        );
    }
    let starts: Vec<&str> = items
        .iter()
        .map(|r| r["started_at"].as_str().unwrap())
        .collect();
    let parsed: Vec<_> = starts
        .iter()
        .map(|s| chrono::DateTime::parse_from_rfc3339(s).unwrap())
        .collect();
    assert!(
        parsed.windows(2).all(|w| w[0] >= w[1]),
        "not newest first: {starts:?}"
    );
    let meta = &out["_meta"];
    assert_eq!(
        (
            meta["servers_queried"].as_u64(),
            meta["servers_succeeded"].as_u64()
        ),
        (Some(5), Some(4))
    );
    assert_eq!(meta["partial"], true);
    assert_eq!(
        failures(meta),
        vec![("down".to_owned(), "unreachable".to_owned())]
    );

    let out = call_ok(
        &f.client,
        "list_failing_jobs",
        json!({"since": rfc3339(since), "include_warnings": true, "limit": 1000}),
    )
    .await;
    let with_warnings = expected(&f, since, true);
    assert!(with_warnings.len() > want.len());
    assert_eq!(got(&out), with_warnings);

    // The default window is the last 24 hours.
    let out = call_ok(&f.client, "list_failing_jobs", json!({})).await;
    let since_24h = chrono::DateTime::parse_from_rfc3339(out["since"].as_str().unwrap())
        .unwrap()
        .with_timezone(&Utc);
    assert!(
        (Utc::now() - since_24h - Duration::hours(24))
            .num_seconds()
            .abs()
            < 60
    );
    assert_eq!(got(&out), expected(&f, since_24h, false));
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_and_error_lines() {
    let f = fleet().await;
    let since = rfc3339(Utc::now() - Duration::days(30));
    let base = |extra: Value| {
        let mut args = json!({"since": since, "limit": 1000});
        args.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        args
    };
    let out = call_ok(
        &f.client,
        "list_failing_jobs",
        base(json!({"kind": "backrest"})),
    )
    .await;
    assert!(!out["items"].as_array().unwrap().is_empty());
    assert!(
        out["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["server_kind"] == "backrest")
    );
    assert_eq!(out["_meta"]["servers_queried"], 2);

    let out = call_ok(
        &f.client,
        "list_failing_jobs",
        base(json!({"tenant_id": ACME_TENANT})),
    )
    .await;
    let rows = out["items"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["tenant_id"] == ACME_TENANT));
    let kinds: BTreeSet<&str> = rows
        .iter()
        .map(|r| r["server_kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["backrest", "novabackup"]),
        "a tenant spans both kinds"
    );
    assert!(rows.iter().all(|r| r["server_id"] != "nas-blue"));

    let out = call_ok(
        &f.client,
        "list_failing_jobs",
        base(json!({"server_id": "ms1", "with_errors": true})),
    )
    .await;
    let rows = out["items"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["server_id"] == "ms1"));
    let errors: Vec<String> = rows
        .iter()
        .flat_map(|r| r["errors"].as_array().unwrap().clone())
        .map(|e| e.as_str().unwrap().to_owned())
        .collect();
    assert!(
        errors.iter().any(|e| e.contains("authentication failed")),
        "{errors:?}"
    );

    let out = call_ok(&f.client, "list_failing_jobs", base(json!({"limit": 1}))).await;
    assert_eq!(out["items"].as_array().unwrap().len(), 1);
    assert_eq!(out["_meta"]["truncated"], true);

    // Each refusal names its parameter and says what would be accepted.
    let window_forms = "use Nh, Nd or Nw back from now (e.g. 24h, 48h, 3d, 2w; at most 366 days) or an RFC 3339 time such as 2026-11-21T00:00:00Z";
    for (bad, want) in [
        (
            json!({"window": "1y"}),
            format!("invalid argument window: \"1y\" is not a time window: {window_forms}"),
        ),
        (
            json!({"since": "yesterday"}),
            format!("invalid argument since: \"yesterday\" is not a time window: {window_forms}"),
        ),
        (
            json!({"kind": "tape"}),
            "invalid argument kind: unknown server kind \"tape\": use backrest or novabackup"
                .into(),
        ),
        (
            json!({"server_id": "ghost"}),
            "unknown server_id \"ghost\"; call list_servers to see the ids".into(),
        ),
    ] {
        let msg = call_err(&f.client, "list_failing_jobs", bad.clone()).await;
        assert_eq!(msg, want, "{bad}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn overview_per_tenant_and_server_with_stale_units() {
    let f = fleet().await;
    let out = call_ok(
        &f.client,
        "get_backup_overview",
        json!({"window": "30d", "stale_days": 7}),
    )
    .await;
    let servers: Vec<&str> = out["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["server_id"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["ms1", "ms2", "nas-acme", "nas-blue"]);
    let acme = out["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == ACME_TENANT)
        .unwrap();
    let acme_servers: BTreeSet<&str> = acme["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(acme_servers, BTreeSet::from(["ms1", "ms2", "nas-acme"]));
    assert!(acme["failed"].as_u64().unwrap() >= 1);
    let stale: Vec<&str> = out["stale"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["unit"].as_str().unwrap())
        .collect();
    assert!(
        stale.contains(&"BRL-LAPTOP-7"),
        "the agent that never backed up is stale: {stale:?}"
    );
    assert!(
        stale.contains(&"ACME-FS01"),
        "the agent whose last backup failed weeks ago is stale: {stale:?}"
    );
    assert_eq!(
        failures(&out["_meta"]),
        vec![("down".to_owned(), "unreachable".to_owned())]
    );

    let out = call_ok(
        &f.client,
        "get_backup_overview",
        json!({"tenant_id": BLUE_RIDGE_TENANT}),
    )
    .await;
    let tenants: Vec<&Value> = out["tenants"].as_array().unwrap().iter().collect();
    assert!(
        tenants.iter().all(|t| t["tenant_id"] == BLUE_RIDGE_TENANT),
        "{tenants:?}"
    );
    assert!(
        call_err(&f.client, "get_backup_overview", json!({"stale_days": 0}))
            .await
            .contains("stale_days")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn paging_covers_every_failing_run_in_the_window() {
    let spec = GenSpec {
        agents: 60,
        runs: 3_000,
        ..GenSpec::default()
    };
    let nova = NovaDouble::start(vec![InstanceConfig::generated("/big", &spec)])
        .await
        .unwrap();
    nova.faults(0).max_page_size(Some(40));
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials.json");
    write_credentials(
        &creds,
        &[nova_entry("big", &nova.base_url(0), SAMPLE_USERS[0].1)],
    );
    let env = vec![("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string())];
    let client = spawn(&["serve"], &env, &home.path().join("err.log")).await;
    let since = Utc::now() - Duration::days(30);
    let since_text = rfc3339(since);
    let since = chrono::DateTime::parse_from_rfc3339(&since_text)
        .unwrap()
        .with_timezone(&Utc);
    let want: BTreeSet<String> = nova
        .dataset(0)
        .job_histories
        .iter()
        .filter(|r| r.status == 4 && r.start_date_time.is_some_and(|t| t >= since))
        .map(|r| r.job_log_id.to_string())
        .collect();
    assert!(
        want.len() > 40 && want.len() <= 1000,
        "{} failing runs",
        want.len()
    );
    let out = call_ok(
        &client,
        "list_failing_jobs",
        json!({"since": since_text, "limit": 1000}),
    )
    .await;
    let have: BTreeSet<String> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(have, want);
    assert_eq!(out["_meta"]["truncated"], false);
    client.cancel().await.ok();
}
