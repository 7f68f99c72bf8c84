//! Black-box tests of the 19 NovaBACKUP tools: the built binary over MCP against a NovaDouble
//! with three Management Server instances (two sample datasets whose ids overlap, one
//! generated and paged), checked against the double's known contents.

mod common;

use std::collections::BTreeSet;

use backup_mcp::doubles::novabackup::{
    ACME_TENANT, BLUE_RIDGE_TENANT, GenSpec, InstanceConfig, NovaDouble, SAMPLE_USERS,
};
use chrono::{Duration, Utc};
use common::mcp::*;
use serde_json::{Value, json};

/// Rows per response on the generated instance: far below what one scan reads.
const PAGE: usize = 100;

struct Fleet {
    double: NovaDouble,
    dir: tempfile::TempDir,
}

impl Fleet {
    /// ms1 and ms2: the sample (same ids); ms3: generated, paged at [`PAGE`] rows.
    async fn start() -> Fleet {
        let spec = GenSpec {
            agents: 300,
            runs: 3_000,
            ..GenSpec::default()
        };
        let double = NovaDouble::start(vec![
            InstanceConfig::sample("/ms1"),
            InstanceConfig::sample("/ms2"),
            InstanceConfig::generated("/ms3", &spec),
        ])
        .await
        .unwrap();
        double.faults(2).max_page_size(Some(PAGE));
        let dir = tempfile::tempdir().unwrap();
        let password = SAMPLE_USERS[0].1;
        let servers: Vec<Value> = (0..3)
            .map(|i| nova_entry(&format!("ms{}", i + 1), &double.base_url(i), password))
            .collect();
        write_credentials(&dir.path().join("credentials.json"), &servers);
        Fleet { double, dir }
    }

    async fn client(&self) -> Client {
        let env = vec![
            (
                "BACKUP_MCP_CREDENTIALS_FILE",
                self.dir
                    .path()
                    .join("credentials.json")
                    .display()
                    .to_string(),
            ),
            ("HOME", self.dir.path().display().to_string()),
            ("BACKUP_MCP_TIMEOUT_SECONDS", "20".to_owned()),
        ];
        spawn(&["serve"], &env, &self.dir.path().join("stderr.log")).await
    }

    /// Every license key the three instances hold.
    fn license_keys(&self) -> Vec<String> {
        (0..3)
            .flat_map(|i| {
                self.double
                    .dataset(i)
                    .cloud_storage_accounts
                    .iter()
                    .map(|c| c.backup_client_license_key.clone())
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

fn items(out: &Value) -> &Vec<Value> {
    out["items"].as_array().expect("items")
}

fn ids(out: &Value, key: &str) -> Vec<i64> {
    items(out)
        .iter()
        .map(|i| {
            // NovaBACKUP keys are integers; the gateway's own ids (run_id) are strings.
            i[key]
                .as_i64()
                .or_else(|| i[key].as_str().and_then(|s| s.parse().ok()))
                .unwrap()
        })
        .collect()
}

fn servers_of(out: &Value) -> BTreeSet<String> {
    items(out)
        .iter()
        .map(|i| i["server_id"].as_str().unwrap().to_owned())
        .collect()
}

fn assert_full_coverage(out: &Value, queried: u64) {
    let meta = &out["_meta"];
    assert_eq!(meta["servers_queried"], queried, "{meta}");
    assert_eq!(meta["servers_succeeded"], queried, "{meta}");
    assert_eq!(meta["partial"], false, "{meta}");
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_devices_jobs_and_sources() {
    let fleet = Fleet::start().await;
    let client = fleet.client().await;
    let generated = fleet.double.dataset(2);

    // Fan-out over three servers, every item tagged.
    let out = call_ok(&client, "list_agents", json!({"limit": 1000})).await;
    assert_full_coverage(&out, 3);
    assert_eq!(items(&out).len(), 4 + 4 + generated.agents.len());
    assert_eq!(out["_meta"]["truncated"], false);
    assert_eq!(
        servers_of(&out),
        BTreeSet::from(["ms1".into(), "ms2".into(), "ms3".into()])
    );
    for item in items(&out) {
        assert!(item.get("tenant_id").is_some() && item.get("server_id").is_some());
    }
    let dc01 = &items(&out)[0];
    assert_eq!(
        (dc01["server_id"].as_str(), dc01["AgentId"].as_i64()),
        (Some("ms1"), Some(101))
    );
    assert_eq!(dc01["tenant_id"], ACME_TENANT);
    assert_eq!(dc01["LastBackupStatusLabel"], "success");
    let ms3_agent = items(&out)
        .iter()
        .find(|i| i["server_id"] == "ms3")
        .unwrap();
    let expected = generated
        .agent(ms3_agent["AgentId"].as_i64().unwrap())
        .and_then(|a| generated.agent_tenant(a));
    assert_eq!(ms3_agent["tenant_id"].as_str(), expected);

    // The default limit cuts and says so.
    let out = call_ok(&client, "list_agents", json!({})).await;
    assert_eq!(items(&out).len(), 200);
    assert_eq!(out["_meta"]["truncated"], true);

    // Tenant filter, OData per server, with_storage.
    let out = call_ok(&client, "list_agents", json!({"tenant_id": ACME_TENANT})).await;
    assert_eq!(ids(&out, "AgentId"), vec![101, 102, 101, 102]);
    let out = call_ok(
        &client,
        "list_agents",
        json!({"server_id": "ms1", "$filter": "Connected eq true and contains(FriendlyName, 'BRL')",
               "$orderby": "AgentId desc", "with_storage": true}),
    )
    .await;
    assert_eq!(ids(&out, "AgentId"), vec![104, 103]);
    assert_eq!(items(&out)[0]["storage"]["size_bytes"], 3_221_225_472u64);
    assert_eq!(items(&out)[0]["tenant_id"], BLUE_RIDGE_TENANT);
    let out = call_ok(
        &client,
        "list_agents",
        json!({"server_id": "ms1", "$top": 1, "$skip": 1, "$select": "FriendlyName"}),
    )
    .await;
    assert_eq!(items(&out).len(), 1);
    assert_eq!(items(&out)[0]["FriendlyName"], "ACME-FS01");
    assert_eq!(
        items(&out)[0]["tenant_id"],
        ACME_TENANT,
        "tenant kept with a narrow $select"
    );

    // get_agent: ids collide across servers; every match comes back.
    let out = call_ok(&client, "get_agent", json!({"agent_id": 101})).await;
    assert_full_coverage(&out, 3);
    assert_eq!(servers_of(&out).len(), 3);
    let out = call_ok(
        &client,
        "get_agent",
        json!({"agent_id": 104, "include_devices": true}),
    )
    .await;
    let ms1 = items(&out)
        .iter()
        .find(|i| i["server_id"] == "ms1")
        .unwrap();
    assert_eq!(ms1["Devices"].as_array().unwrap().len(), 2);
    assert_eq!(ms1["Group"]["GroupName"], "Blue Ridge Law");
    let out = call_ok(&client, "get_agent", json!({"agent_id": 99_999})).await;
    assert!(items(&out).is_empty());
    assert_full_coverage(&out, 3);
    let err = call_err(
        &client,
        "get_agent",
        json!({"server_id": "ms2", "agent_id": 99_999}),
    )
    .await;
    assert!(
        err.contains("agent 99999 was not found on server ms2"),
        "{err}"
    );

    // Devices, jobs, sources of one agent.
    let out = call_ok(
        &client,
        "list_agent_devices",
        json!({"server_id": "ms1", "agent_id": 101}),
    )
    .await;
    assert_eq!(ids(&out, "AgentDeviceId"), vec![5001, 5002]);
    assert!(items(&out).iter().all(|d| d["tenant_id"] == ACME_TENANT));
    let err = call_err(
        &client,
        "list_agent_devices",
        json!({"server_id": "ms1", "agent_id": 4242}),
    )
    .await;
    assert!(
        err.contains("agent 4242") && err.contains("not found"),
        "{err}"
    );
    let out = call_ok(
        &client,
        "list_jobs_for_agent",
        json!({"server_id": "ms1", "agent_id": 101}),
    )
    .await;
    assert_eq!(items(&out).len(), 2);
    let out = call_ok(
        &client,
        "list_jobs_for_agent",
        json!({"server_id": "ms1", "agent_id": 101, "$filter": "JobId eq null"}),
    )
    .await;
    assert_eq!(items(&out).len(), 1);
    assert_eq!(items(&out)[0]["ScheduleId"], 2);
    let out = call_ok(
        &client,
        "get_job",
        json!({"server_id": "ms1", "agent_id": 101, "identifier": 900}),
    )
    .await;
    assert_eq!(out["item"]["Name"], "Nightly image");
    assert_eq!(out["item"]["tenant_id"], ACME_TENANT);
    let out = call_ok(
        &client,
        "get_job",
        json!({"server_id": "ms2", "agent_id": 101, "identifier": 2, "kind": "unmanaged"}),
    )
    .await;
    assert_eq!(out["item"]["Name"], "Local files (agent-defined)");
    assert_eq!(out["item"]["server_id"], "ms2");
    let err = call_err(
        &client,
        "get_job",
        json!({"server_id": "ms1", "agent_id": 101, "identifier": 777}),
    )
    .await;
    assert!(err.contains("managed job 777"), "{err}");
    let out = call_ok(
        &client,
        "list_backup_sources",
        json!({"server_id": "ms1", "agent_id": 101}),
    )
    .await;
    assert_eq!(items(&out).len(), 2);
    let out = call_ok(
        &client,
        "list_backup_sources",
        json!({"server_id": "ms1", "agent_id": 101, "path": "C:\\"}),
    )
    .await;
    assert_eq!(items(&out).len(), 3);
    let out = call_ok(
        &client,
        "list_backup_sources",
        json!({"server_id": "ms1", "agent_id": 102}),
    )
    .await;
    assert!(items(&out).is_empty(), "an offline agent lists nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn storage_accounts_groups_and_users() {
    let fleet = Fleet::start().await;
    let client = fleet.client().await;
    let mut transcript = String::new();

    let out = call_ok(
        &client,
        "summarize_storage_usage",
        json!({"server_id": "ms1", "group_by": "tenant"}),
    )
    .await;
    transcript.push_str(&out.to_string());
    let groups = out["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(groups[0]["tenant_id"], ACME_TENANT);
    assert_eq!(groups[0]["devices"], 3);
    assert_eq!(groups[0]["size_bytes"], 214_748_364_800u64 + 53_687_091_200);
    assert_eq!(groups[0]["free_space_bytes"], 10_737_418_240u64);
    assert_eq!(groups[0]["devices_without_size"], 1);
    assert_eq!(groups[1]["size_bytes"], 3_221_225_472u64);
    assert_eq!(
        out["grand_total"]["size_bytes"],
        214_748_364_800u64 + 53_687_091_200 + 3_221_225_472
    );
    assert_eq!(out["grand_total"]["devices"], 5);

    let out = call_ok(&client, "summarize_storage_usage", json!({"top": 3})).await;
    assert_full_coverage(&out, 3);
    assert_eq!(out["groups"].as_array().unwrap().len(), 3);
    assert_eq!(out["truncated"], true);
    let generated = fleet.double.dataset(2);
    let generated_size: i64 = generated
        .agents
        .iter()
        .flat_map(|a| &a.devices)
        .filter_map(|d| d.size)
        .sum();
    let sample_size = 214_748_364_800i64 + 53_687_091_200 + 3_221_225_472;
    assert_eq!(
        out["grand_total"]["size_bytes"],
        generated_size + 2 * sample_size
    );
    let out = call_ok(
        &client,
        "summarize_storage_usage",
        json!({"group_by": "server", "include_devices": true}),
    )
    .await;
    assert_eq!(out["group_count"], 3);
    transcript.push_str(&out.to_string());

    let out = call_ok(&client, "summarize_csa_usage", json!({"server_id": "ms1"})).await;
    transcript.push_str(&out.to_string());
    let accounts = out["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    assert_eq!(accounts[0]["tenant_id"], ACME_TENANT);
    assert_eq!(accounts[0]["devices"], 1);
    assert_eq!(
        accounts[0]["BackupClientLicenseKey"],
        "****************CCCC"
    );
    assert_eq!(accounts[1]["usage_recalculated"], false);
    let orphans = out["orphaned_devices"].as_array().unwrap();
    let mut orphan_ids: Vec<i64> = orphans
        .iter()
        .map(|o| o["device_id"].as_str().unwrap().parse().unwrap())
        .collect();
    orphan_ids.sort();
    assert_eq!(orphan_ids, vec![5003, 5005]);
    let dangling = orphans.iter().find(|o| o["device_id"] == "5005").unwrap();
    assert!(
        dangling["reason"].as_str().unwrap().contains("42"),
        "{dangling}"
    );
    assert_eq!(out["totals"]["orphaned_devices"], 2);
    assert_eq!(out["totals"]["used_bytes"], 220_000_000_000u64);
    let out = call_ok(
        &client,
        "summarize_csa_usage",
        json!({"include_orphaned_devices": false}),
    )
    .await;
    assert!(out.get("orphaned_devices").is_none());
    transcript.push_str(&out.to_string());

    let out = call_ok(&client, "list_cloud_storage_accounts", json!({})).await;
    assert_full_coverage(&out, 3);
    assert_eq!(
        items(&out).len(),
        2 + 2 + fleet.double.dataset(2).cloud_storage_accounts.len()
    );
    transcript.push_str(&out.to_string());
    let out = call_ok(
        &client,
        "list_cloud_storage_accounts",
        json!({"$filter": "BackupClientLicenseKey eq 'NBXXX-AAAA-BBBB-CCCC'"}),
    )
    .await;
    assert_eq!(
        servers_of(&out),
        BTreeSet::from(["ms1".into(), "ms2".into()])
    );
    assert!(!out.to_string().contains("AAAA-BBBB"));
    let out = call_ok(
        &client,
        "get_cloud_storage_account",
        json!({"server_id": "ms2", "cloud_storage_account_id": 8}),
    )
    .await;
    assert_eq!(out["item"]["tenant_id"], BLUE_RIDGE_TENANT);
    assert_eq!(out["item"]["UserName"], "blue-ridge-law");
    transcript.push_str(&out.to_string());
    let err = call_err(
        &client,
        "get_cloud_storage_account",
        json!({"server_id": "ms1", "cloud_storage_account_id": 42}),
    )
    .await;
    assert!(err.contains("cloud storage account 42"), "{err}");

    let out = call_ok(&client, "list_storage_servers", json!({})).await;
    assert_eq!(items(&out).len(), 4);
    assert!(items(&out).iter().all(|s| s["tenant_id"].is_null()));
    let out = call_ok(
        &client,
        "get_storage_server",
        json!({"server_id": "ms3", "storage_server_id": 4}),
    )
    .await;
    assert_eq!(out["item"]["Name"], "MinIO on-prem");
    let err = call_err(
        &client,
        "get_storage_server",
        json!({"server_id": "ms1", "storage_server_id": 9}),
    )
    .await;
    assert!(err.contains("storage server 9"), "{err}");

    let out = call_ok(&client, "list_groups", json!({"server_id": "ms1"})).await;
    assert_eq!(items(&out).len(), 4);
    let root = items(&out).iter().find(|g| g["GroupId"] == 1).unwrap();
    assert!(root["tenant_id"].is_null());
    let out = call_ok(
        &client,
        "list_groups",
        json!({"tenant_id": ACME_TENANT, "$select": "GroupName"}),
    )
    .await;
    assert_eq!(ids(&out, "GroupId"), vec![10, 11, 10, 11]);

    let out = call_ok(&client, "get_group_hierarchy", json!({"server_id": "ms1"})).await;
    assert_eq!(out["group_count"], 4);
    let roots = out["roots"].as_array().unwrap();
    assert_eq!(roots.len(), 1);
    let customers = roots[0]["children"].as_array().unwrap();
    let names: Vec<&str> = customers
        .iter()
        .map(|c| c["GroupName"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Acme Dental", "Blue Ridge Law"]);
    assert_eq!(customers[0]["children"][0]["GroupId"], 11);
    assert_eq!(customers[0]["children"][0]["tenant_id"], ACME_TENANT);

    let out = call_ok(&client, "list_users", json!({})).await;
    assert_eq!(items(&out).len(), 6);
    assert!(
        items(&out)
            .iter()
            .all(|u| u["tenant_id"].is_null() && u.get("UserName").is_some())
    );
    let out = call_ok(
        &client,
        "get_user",
        json!({"server_id": "ms1", "user_id": 1}),
    )
    .await;
    assert_eq!(out["item"]["UserName"], "alice");
    let err = call_err(
        &client,
        "get_user",
        json!({"server_id": "ms1", "user_id": 77}),
    )
    .await;
    assert!(err.contains("user 77"), "{err}");

    for key in fleet.license_keys() {
        assert!(!transcript.contains(&key), "license key {key} leaked");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn job_history_summary_and_run_logs() {
    let fleet = Fleet::start().await;
    let client = fleet.client().await;
    let sample = fleet.double.dataset(0);

    let out = call_ok(&client, "list_job_history", json!({"server_id": "ms1"})).await;
    assert_eq!(items(&out).len(), sample.job_histories.len());
    let starts: Vec<&str> = items(&out)
        .iter()
        .filter_map(|r| r["StartDateTime"].as_str())
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {starts:?}"
    );
    let failed = items(&out).iter().find(|r| r["run_id"] == "70002").unwrap();
    assert_eq!(failed["StatusLabel"], "failed");
    assert_eq!(failed["tenant_id"], ACME_TENANT);
    assert_eq!(failed["JobLogId"], 70002);
    let out = call_ok(
        &client,
        "list_job_history",
        json!({"server_id": "ms1", "kind": "unmanaged"}),
    )
    .await;
    let mut runs = ids(&out, "run_id");
    runs.sort();
    assert_eq!(runs, vec![70003, 70008]);
    let out = call_ok(
        &client,
        "list_job_history",
        json!({"$filter": "Status eq 4", "tenant_id": BLUE_RIDGE_TENANT, "server_id": "ms2"}),
    )
    .await;
    assert!(items(&out).is_empty());
    // Across servers newest first, more rows than one page of the paged instance.
    let out = call_ok(&client, "list_job_history", json!({"limit": 1000})).await;
    assert_full_coverage(&out, 3);
    assert_eq!(items(&out).len(), 1000);
    assert_eq!(out["_meta"]["truncated"], true);

    // The summary counts every run of the paged instance (7 days > many pages of 100).
    fleet.double.reset_stats(2);
    let window = |at: chrono::DateTime<Utc>| {
        let since = at - Duration::days(7);
        let count = |i: usize| {
            fleet
                .double
                .dataset(i)
                .job_histories
                .iter()
                .filter(|r| r.start_date_time.is_some_and(|s| s > since))
                .count() as u64
        };
        (count(0), count(2))
    };
    let before = window(Utc::now());
    let out = call_ok(&client, "get_job_history_summary", json!({"window": "7d"})).await;
    let after = window(Utc::now());
    assert_full_coverage(&out, 3);
    let per_server = out["per_server"].as_array().unwrap();
    let ms3 = per_server.iter().find(|s| s["server_id"] == "ms3").unwrap();
    let counted = ms3["total_runs"].as_u64().unwrap();
    assert!(counted > 3 * PAGE as u64, "{counted}");
    assert!(
        (after.1..=before.1).contains(&counted),
        "{counted} not in {after:?}..{before:?}"
    );
    assert_eq!(ms3["truncated"], false);
    assert_eq!(out["total_runs"].as_u64().unwrap(), counted + 2 * before.0);
    let pages = fleet.double.stats(2).requests_to("JobHistories");
    assert!(
        pages as usize >= counted as usize / PAGE,
        "{pages} requests for {counted} runs"
    );

    let out = call_ok(
        &client,
        "get_job_history_summary",
        json!({"server_id": "ms1"}),
    )
    .await;
    let day = Utc::now() - Duration::hours(24);
    let expected = sample
        .job_histories
        .iter()
        .filter(|r| r.start_date_time.is_some_and(|s| s > day))
        .count();
    assert_eq!(out["total_runs"], expected as u64);
    assert_eq!(out["by_status"]["failed"], 1);
    let acme = out["per_tenant"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == ACME_TENANT)
        .unwrap();
    assert!(acme["total_runs"].as_u64().unwrap() >= 1);

    // Run logs: by run id, by job id (its newest run), by job id that is a run key.
    let out = call_ok(
        &client,
        "get_job_run_log",
        json!({"server_id": "ms1", "run_id": 70002}),
    )
    .await;
    assert_eq!(out["available"], true);
    assert_eq!(out["counts"]["error"], 1);
    assert_eq!(out["counts"]["warning"], 1);
    assert_eq!(out["lines"].as_array().unwrap().len(), 2);
    assert_eq!(out["tenant_id"], ACME_TENANT);
    let out = call_ok(
        &client,
        "get_job_run_log",
        json!({"server_id": "ms1", "job_id": 901, "mode": "errors"}),
    )
    .await;
    assert_eq!(out["run_id"], "70002");
    assert_eq!(
        out["lines"][0]["Message"],
        "Cloud device authentication failed (403)"
    );
    let out = call_ok(
        &client,
        "get_job_run_log",
        json!({"server_id": "ms1", "job_id": 70003, "mode": "tail", "tail_count": 1}),
    )
    .await;
    assert_eq!(out["run_id"], "70003");
    assert_eq!(out["lines"].as_array().unwrap().len(), 1);
    assert_eq!(out["truncated"], true);
    let out = call_ok(
        &client,
        "get_job_run_log",
        json!({"server_id": "ms1", "run_id": 70001, "mode": "full"}),
    )
    .await;
    assert_eq!(
        out["lines"].as_array().unwrap().len(),
        out["total_messages"].as_u64().unwrap() as usize
    );
    let out = call_ok(
        &client,
        "get_job_run_log",
        json!({"server_id": "ms1", "run_id": 70007}),
    )
    .await;
    assert_eq!(out["available"], false);
    assert!(
        out["reason"]
            .as_str()
            .unwrap()
            .contains("log not available")
    );
    let err = call_err(
        &client,
        "get_job_run_log",
        json!({"server_id": "ms1", "job_id": 12345}),
    )
    .await;
    assert!(err.contains("12345"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn log_backend_down_is_reported_as_log_not_available() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let server = common::nova_login_double().await;
    let answers = [
        (
            "Groups",
            json!({"value": [{"GroupId": 5, "TenantId": "t-5"}]}),
        ),
        ("Agents", json!([{"AgentId": 1, "GroupId": 5}])),
        (
            "JobHistories",
            json!({"value": [{"JobLogId": 70002, "JobId": 901, "AgentId": 1, "Status": 4}]}),
        ),
    ];
    for (route, body) in answers {
        Mock::given(method("GET"))
            .and(path(format!("/managementserver/api/{route}")))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
            .with_priority(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/managementserver/api/JobHistories(70002)/Log"))
        .respond_with(ResponseTemplate::new(502).set_body_string("log service down"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/managementserver/", server.uri());
    write_credentials(
        &dir.path().join("credentials.json"),
        &[nova_entry("wm", &url, common::NOVA_PASSWORD)],
    );
    let env = vec![
        (
            "BACKUP_MCP_CREDENTIALS_FILE",
            dir.path().join("credentials.json").display().to_string(),
        ),
        ("HOME", dir.path().display().to_string()),
    ];
    let client = spawn(&["serve"], &env, &dir.path().join("stderr.log")).await;
    let out = call_ok(
        &client,
        "get_job_run_log",
        json!({"server_id": "wm", "job_id": 70002}),
    )
    .await;
    assert_eq!(out["available"], false);
    let reason = out["reason"].as_str().unwrap();
    assert!(
        reason.contains("log not available (HTTP 502: log service down)"),
        "{reason}"
    );
    assert_eq!(out["run"]["StatusLabel"], "failed");
    assert_eq!(out["tenant_id"], "t-5");
}

#[tokio::test(flavor = "multi_thread")]
async fn auth_refresh_retry_bad_filter_and_a_server_down() {
    let fleet = Fleet::start().await;
    let client = fleet.client().await;
    let _ = call_ok(&client, "list_users", json!({})).await;

    // Tokens that need refreshing at once: every call logs in again, and still answers.
    fleet.double.faults(0).token_ttl_seconds(20);
    let _ = call_ok(&client, "server_health", json!({"server_id": "ms1"})).await;
    let logins = fleet.double.stats(0).authenticate_calls;
    let out = call_ok(&client, "list_users", json!({"server_id": "ms1"})).await;
    assert_eq!(items(&out).len(), 2);
    assert!(
        fleet.double.stats(0).authenticate_calls > logins,
        "a short-lived token is renewed"
    );

    // A revoked token: one 401, one re-login, one retry, success.
    let logins = fleet.double.stats(1).authenticate_calls;
    fleet.double.faults(1).revoke_next_token_use(true);
    let out = call_ok(&client, "list_users", json!({"server_id": "ms2"})).await;
    assert_eq!(items(&out).len(), 2);
    assert_eq!(fleet.double.stats(1).authenticate_calls, logins + 1);

    // Always 401: retried once, then reported as an auth failure of that server only.
    fleet.double.faults(1).always_401(true);
    let out = call_ok(&client, "list_users", json!({})).await;
    assert_eq!(
        failures(&out["_meta"]),
        vec![("ms2".to_owned(), "auth".to_owned())]
    );
    assert_eq!(items(&out).len(), 4);
    fleet.double.faults(1).always_401(false);

    // A malformed $filter answered 400 becomes a clear tool error.
    let err = call_err(
        &client,
        "list_agents",
        json!({"$filter": "Connected eq eq true"}),
    )
    .await;
    assert!(err.contains("rejected the query (HTTP 400)"), "{err}");
    assert!(err.contains("$filter"), "{err}");
    let err = call_err(&client, "list_agents", json!({"$top": 5000})).await;
    assert!(err.contains("$top"), "{err}");

    // A server down is reported in _meta; the others still answer.
    fleet.double.faults(2).unreachable(true);
    let out = call_ok(&client, "list_storage_servers", json!({})).await;
    assert_eq!(out["_meta"]["partial"], true);
    assert_eq!(
        failures(&out["_meta"]),
        vec![("ms3".to_owned(), "unreachable".to_owned())]
    );
    assert_eq!(items(&out).len(), 2);
    let out = call_ok(&client, "get_job_history_summary", json!({})).await;
    assert_eq!(out["_meta"]["servers_failed"], 1);

    // Descriptions stay short, and every tool declares an output schema.
    let tools = client.list_all_tools().await.unwrap();
    let nova: Vec<_> = tools
        .iter()
        .filter(|t| NOVA_TOOLS.contains(&t.name.as_ref()))
        .collect();
    assert_eq!(nova.len(), 19);
    for t in nova {
        assert!(t.output_schema.is_some(), "{}", t.name);
        assert!(
            t.description.as_ref().map_or(0, |d| d.len()) < 2048,
            "{}",
            t.name
        );
    }
}

const NOVA_TOOLS: [&str; 19] = [
    "list_agents",
    "get_agent",
    "list_agent_devices",
    "summarize_storage_usage",
    "summarize_csa_usage",
    "list_cloud_storage_accounts",
    "get_cloud_storage_account",
    "list_storage_servers",
    "get_storage_server",
    "list_groups",
    "get_group_hierarchy",
    "list_jobs_for_agent",
    "get_job",
    "list_backup_sources",
    "list_job_history",
    "get_job_history_summary",
    "get_job_run_log",
    "list_users",
    "get_user",
];
