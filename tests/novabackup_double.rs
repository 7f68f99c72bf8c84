//! Black-box tests of the NovaBACKUP Management Server double over real HTTP: the
//! conformance checklist of docs/upstream/novabackup.md §9.4, every fault switch, the control endpoint,
//! federation (several instances on one port) and a large generated dataset.

use std::time::{Duration, Instant};

use backup_mcp::doubles::novabackup::{
    ACME_TENANT, BLUE_RIDGE_TENANT, Dataset, GenSpec, InstanceConfig, NovaDouble, SAMPLE_USERS,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration as Span, SecondsFormat, Utc};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

/// A running double plus an HTTP client.
struct Fixture {
    double: NovaDouble,
    http: reqwest::Client,
}

impl Fixture {
    async fn start(configs: Vec<InstanceConfig>) -> Fixture {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let double = NovaDouble::start(configs).await.expect("double starts");
        let http = reqwest::Client::builder().build().expect("client");
        Fixture { double, http }
    }

    /// One sample instance at `/managementserver`, in test mode.
    async fn sample() -> Fixture {
        let mut config = InstanceConfig::sample("/managementserver");
        config.test_mode = true;
        Fixture::start(vec![config]).await
    }

    fn url(&self, i: usize, path: &str) -> String {
        format!("{}{path}", self.double.base_url(i))
    }

    async fn login_as(&self, i: usize, body: Value) -> Response {
        self.http
            .post(self.url(i, "/api/Account/Authenticate"))
            .json(&body)
            .send()
            .await
            .expect("authenticate answers")
    }

    async fn login(&self, i: usize, user: &str, password: &str) -> Response {
        self.login_as(i, json!({"UserName": user, "Password": password}))
            .await
    }

    /// A token for `alice` on instance `i`.
    async fn token(&self, i: usize) -> String {
        let (user, password) = SAMPLE_USERS[0];
        let response = self.login(i, user, password).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.expect("token body")
    }

    async fn get_with(&self, i: usize, path: &str, token: &str) -> Response {
        self.http
            .get(self.url(i, path))
            .bearer_auth(token)
            .send()
            .await
            .expect("data call answers")
    }

    /// The status of a GET with this token.
    async fn status(&self, i: usize, path: &str, token: &str) -> StatusCode {
        self.get_with(i, path, token).await.status()
    }

    /// Log in as alice, GET, expect 200 and JSON.
    async fn get_json(&self, i: usize, path: &str) -> Value {
        let token = self.token(i).await;
        let response = self.get_with(i, path, &token).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// GET as alice; the status and the body as JSON (`Null` when empty or not JSON).
    async fn get_status(&self, i: usize, path: &str) -> (StatusCode, Value) {
        let token = self.token(i).await;
        let response = self.get_with(i, path, &token).await;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The values of `name` in each row of a collection answer.
fn column(body: &Value, name: &str) -> Vec<Value> {
    body["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|row| row[name].clone())
        .collect()
}

fn ids(list: &[i64]) -> Vec<Value> {
    list.iter().map(|i| json!(i)).collect()
}

fn content_type(response: &Response) -> String {
    let value = response
        .headers()
        .get("content-type")
        .expect("a content type");
    value.to_str().expect("ASCII").to_owned()
}

fn jwt_payload(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("three-part JWT");
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url without padding");
    serde_json::from_slice(&bytes).expect("JSON payload")
}

fn iso(t: chrono::DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

// ---- §9.4 conformance -------------------------------------------------------------

#[tokio::test]
async fn authenticate_returns_a_bare_jwt_with_integer_exp() {
    let f = Fixture::sample().await;
    let response = f.login(0, "alice", SAMPLE_USERS[0].1).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = content_type(&response);
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let token = response.text().await.unwrap();
    assert!(!token.starts_with('"') && token.split('.').count() == 3);
    let exp = jwt_payload(&token)["exp"].as_i64().expect("integer exp");
    let ttl = exp - Utc::now().timestamp();
    assert!((3_590..=3_600).contains(&ttl), "{ttl}");
}

#[tokio::test]
async fn authenticate_refuses_bad_credentials_and_bodies() {
    let f = Fixture::sample().await;
    let wrong = f.login(0, "alice", "nope").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(content_type(&wrong).starts_with("application/problem+json"));
    let problem: Value = wrong.json().await.unwrap();
    assert_eq!(problem["detail"], "Invalid user name or password.");
    assert_eq!(problem["status"], 401);
    let malformed = f.login_as(0, json!({"UserName": "alice"})).await;
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    let get = f
        .http
        .get(f.url(0, "/api/Account/Authenticate"))
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), StatusCode::METHOD_NOT_ALLOWED);
    // tech2 works too; user names are matched without regard to case.
    assert_eq!(
        f.login(0, "TECH2", SAMPLE_USERS[1].1).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn dollar_may_be_literal_or_percent_encoded() {
    let f = Fixture::sample().await;
    for query in [
        "?$filter=AgentId%20eq%20101&$select=AgentId",
        "?%24filter=AgentId%20eq%20101&%24select=AgentId",
        "?%24filter=AgentId+eq+101&$select=AgentId",
    ] {
        let body = f.get_json(0, &format!("/api/Agents{query}")).await;
        assert_eq!(body["value"], json!([{"AgentId": 101}]), "{query}");
    }
}

#[tokio::test]
async fn date_literals_with_milliseconds_filter_job_history() {
    let f = Fixture::sample().await;
    let ds = f.double.dataset(0);
    let since = Utc::now() - Span::hours(24);
    let path = format!(
        "/api/JobHistories?$filter=StartDateTime%20gt%20{}&$orderby=JobLogId&$select=JobLogId",
        iso(since)
    );
    let expected: Vec<Value> = ds
        .job_histories
        .iter()
        .filter(|r| r.start_date_time.is_some_and(|s| s > since))
        .map(|r| json!(r.job_log_id))
        .collect();
    assert_eq!(column(&f.get_json(0, &path).await, "JobLogId"), expected);
    assert_eq!(expected, ids(&[70002, 70004, 70006, 70007, 70008]));
    // A "+01:00" offset must arrive as %2B; the instant is the same.
    let plus = (since + Span::hours(1)).format("%Y-%m-%dT%H:%M:%S%.3f%%2B01:00");
    let path = format!(
        "/api/JobHistories?$filter=StartDateTime%20gt%20{plus}&$orderby=JobLogId&$select=JobLogId"
    );
    assert_eq!(column(&f.get_json(0, &path).await, "JobLogId"), expected);
}

#[tokio::test]
async fn null_job_ids_select_unmanaged_runs_and_jobs() {
    let f = Fixture::sample().await;
    let runs = f
        .get_json(
            0,
            "/api/JobHistories?$filter=JobId%20eq%20null&$orderby=JobLogId",
        )
        .await;
    assert_eq!(column(&runs, "JobLogId"), ids(&[70003, 70008]));
    let jobs = f
        .get_json(0, "/api/Agents(101)/Jobs?$filter=(JobId%20eq%20null)%20and%20(ScheduleId%20eq%202)&$top=5")
        .await;
    assert_eq!(
        jobs["value"],
        json!([{"JobId": null, "ScheduleId": 2, "Name": "Local files (agent-defined)", "JobType": "FileBackup", "Enabled": true}])
    );
    let managed = f
        .get_json(0, "/api/Agents(101)/Jobs?$filter=JobId%20eq%20900")
        .await;
    assert_eq!(column(&managed, "Name"), [json!("Nightly image")]);
}

#[tokio::test]
async fn expand_group_with_select_and_devices() {
    let f = Fixture::sample().await;
    let body = f
        .get_json(
            0,
            "/api/Agents?$expand=Group($select=GroupId,GroupName,TenantId),Devices&$top=100",
        )
        .await;
    let rows = body["value"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    assert_eq!(
        rows[0]["Group"],
        json!({"GroupId": 10, "GroupName": "Acme Dental", "TenantId": ACME_TENANT})
    );
    let devices = rows[0]["Devices"].as_array().unwrap();
    assert_eq!(devices.len(), 2);
    assert_eq!(
        devices[0]["@odata.type"],
        "#Devices.AmazonS3CompatibleDevice"
    );
    assert_eq!(devices[0]["AmazonS3CompatibleCloudStorageAccountId"], 7);
    assert_eq!(devices[1]["FreeSpace"], 10_737_418_240_i64);
    assert!(
        rows[1]["Devices"][0]
            .get("AmazonS3CompatibleCloudStorageAccountId")
            .is_none(),
        "legacy device"
    );
    assert_eq!(rows[2]["Devices"], json!([]));
    assert_eq!(
        rows[3]["Devices"][1]["AmazonS3CompatibleCloudStorageAccountId"], 42,
        "dangling CSA id"
    );
    let one = f
        .get_json(
            0,
            "/api/Agents(103)?$select=AgentId,LastBackupDate&$expand=Group",
        )
        .await;
    assert_eq!(one["LastBackupDate"], Value::Null);
    assert_eq!(one["Group"]["TenantId"], BLUE_RIDGE_TENANT);
    assert!(one.get("FriendlyName").is_none());
    let runs = f
        .get_json(0, "/api/JobHistories?$filter=JobLogId%20eq%2070002&$expand=Agent($select=AgentId,FriendlyName,MachineName)")
        .await;
    assert_eq!(
        runs["value"][0]["Agent"],
        json!({"AgentId": 102, "FriendlyName": "ACME-FS01", "MachineName": "ACME-FS01"})
    );
}

#[tokio::test]
async fn top_and_skip_slice_after_filter_and_order() {
    let f = Fixture::sample().await;
    let all = f.get_json(0, "/api/JobHistories").await;
    assert_eq!(
        all["value"].as_array().unwrap().len(),
        8,
        "no $top returns everything"
    );
    let page = f
        .get_json(0, "/api/JobHistories?$filter=Status%20ne%201&$orderby=StartDateTime%20desc&$skip=1&$top=2&$count=true")
        .await;
    assert_eq!(column(&page, "JobLogId"), ids(&[70007, 70002]));
    assert_eq!(page["@odata.count"], 6);
    let groups = f
        .get_json(0, "/api/Groups?$orderby=ParentGroupId,GroupName%20desc")
        .await;
    assert_eq!(
        column(&groups, "GroupId"),
        ids(&[1, 20, 10, 11]),
        "nulls first, then by name descending"
    );
}

#[tokio::test]
async fn entities_collections_and_logs_have_their_shapes() {
    let f = Fixture::sample().await;
    let agent = f.get_json(0, "/api/Agents(101)").await;
    assert_eq!(agent["AgentId"], 101);
    assert_eq!(agent["IPAddress"], "10.0.0.5");
    assert!(
        agent["@odata.context"]
            .as_str()
            .unwrap()
            .ends_with("$metadata#Agents/$entity")
    );
    let devices = f.get_json(0, "/api/Agents(101)/Devices").await;
    assert!(devices["@odata.context"].is_string());
    assert_eq!(column(&devices, "AgentDeviceId"), ids(&[5001, 5002]));
    let csas = f
        .get_json(
            0,
            "/api/CloudStorageAccounts?$filter=CloudStorageAccountId%20eq%207&$top=1",
        )
        .await;
    assert_eq!(
        column(&csas, "BackupClientLicenseKey"),
        [json!("NBXXX-AAAA-BBBB-CCCC")]
    );
    let csas = f.get_json(0, "/api/CloudStorageAccounts?$filter=BackupClientLicenseKey%20eq%20'NBXXX-DDDD-EEEE-FFFF'").await;
    assert_eq!(
        column(&csas, "UsedBytesLastCalculationCompleted"),
        [Value::Null]
    );
    assert_eq!(
        f.get_json(0, "/api/StorageServers(3)").await["Region"],
        "us-east-1"
    );
    assert_eq!(
        column(
            &f.get_json(0, "/api/StorageServers").await,
            "StorageServerId"
        ),
        ids(&[3])
    );
    assert_eq!(f.get_json(0, "/api/Users(2)").await["UserName"], "tech2");
    let users = f
        .get_json(0, "/api/Users?$select=UserId,UserName&$orderby=UserName")
        .await;
    assert_eq!(
        users["value"],
        json!([{"UserId": 1, "UserName": "alice"}, {"UserId": 2, "UserName": "tech2"}])
    );
    let groups = f
        .get_json(0, "/api/Groups?$filter=TenantId%20eq%20null")
        .await;
    assert_eq!(column(&groups, "GroupName"), [json!("Root")]);
    let roots = f.get_json(0, "/api/Agents(101)/BackupSources").await;
    assert_eq!(
        column(&roots, "Path"),
        [json!("C:\\"), json!("SystemState")]
    );
    let children = f
        .get_json(0, "/api/Agents(101)/BackupSources?path=C%3A%5C")
        .await;
    assert_eq!(children["value"].as_array().unwrap().len(), 3);
    let offline = f.get_json(0, "/api/Agents(102)/BackupSources").await;
    assert_eq!(offline["value"], json!([]));
}

#[tokio::test]
async fn log_route_resolves_run_then_job_keys() {
    let f = Fixture::sample().await;
    let log = f.get_json(0, "/api/JobHistories(70002)/Log").await;
    assert!(log.get("value").is_none() && log["ScriptFilePath"].is_string());
    let types: Vec<&str> = log["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["Information", "Warning", "Error"]);
    assert_eq!(
        f.get_json(0, "/api/JobHistories(901)/Log").await,
        log,
        "JobId 901's newest run is 70002"
    );
    let made_up = f.get_json(0, "/api/JobHistories(70003)/Log").await;
    assert!(
        made_up["Messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["Type"] == "Warning")
    );
    for missing in ["70007", "70008", "902", "12345"] {
        let (status, _) = f
            .get_status(0, &format!("/api/JobHistories({missing})/Log"))
            .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{missing}: running, pending or unknown"
        );
    }
}

#[tokio::test]
async fn errors_401_404_405_and_400() {
    let f = Fixture::sample().await;
    let anonymous = f.http.get(f.url(0, "/api/Agents")).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        f.status(0, "/api/Agents", "not-a-token").await,
        StatusCode::UNAUTHORIZED
    );
    for path in [
        "/api/Agents(999)",
        "/api/Users(99)",
        "/api/StorageServers(4)",
        "/api/Agents(999)/Devices",
    ] {
        assert_eq!(
            f.get_status(0, path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in ["/api/Nope", "/api/Groups(1)", "/api", "/other/api/Agents"] {
        assert_eq!(
            f.get_status(0, path).await.0,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let token = f.token(0).await;
    let post = f
        .http
        .post(f.url(0, "/api/Agents"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers()["allow"], "GET");
    for query in [
        "$filter=Nope%20eq%201",
        "$filter=AgentId%20eq",
        "$top=-1",
        "$format=json",
        "$orderby=AgentId%20up",
    ] {
        let (status, problem) = f.get_status(0, &format!("/api/Agents?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert!(problem["detail"].is_string(), "{query}: ProblemDetails");
    }
    let (status, _) = f.get_status(0, "/api/Agents(abc)").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = f.get_status(0, "/api/Agents(101)?$top=1").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "entities take $select/$expand only"
    );
}

#[tokio::test]
async fn tokens_expire_at_exp() {
    let f = Fixture::sample().await;
    f.double.faults(0).token_ttl_seconds(2);
    let token = f.token(0).await;
    assert_eq!(f.status(0, "/api/Groups", &token).await, StatusCode::OK);
    let exp = jwt_payload(&token)["exp"].as_i64().unwrap();
    let wait = (exp - Utc::now().timestamp()).max(0) as u64;
    tokio::time::sleep(Duration::from_millis(wait * 1_000 + 100)).await;
    assert_eq!(
        f.status(0, "/api/Groups", &token).await,
        StatusCode::UNAUTHORIZED
    );
}

// ---- federation -------------------------------------------------------------------

async fn two_instances() -> Fixture {
    let spec = GenSpec {
        seed: 7,
        tenants: 3,
        agents: 20,
        runs: 100,
        tenant_names: vec!["Zeta Clinic".into()],
        ..GenSpec::default()
    };
    Fixture::start(vec![
        InstanceConfig::sample("/ms1"),
        InstanceConfig::generated("/ms2/", &spec),
    ])
    .await
}

#[tokio::test]
async fn instances_share_a_port_and_overlap_ids() {
    let f = two_instances().await;
    assert!(f.double.base_url(1).ends_with("/ms2"));
    assert_eq!(
        f.double.base_url(0).split("/ms1").next(),
        f.double.base_url(1).split("/ms2").next()
    );
    let one = f.get_json(0, "/api/Agents(101)").await;
    let two = f.get_json(1, "/api/Agents(101)").await;
    assert_eq!(one["FriendlyName"], "ACME-DC01");
    assert_ne!(two["FriendlyName"], one["FriendlyName"]);
    let groups = f.get_json(1, "/api/Groups?$filter=GroupId%20eq%2010").await;
    assert_eq!(column(&groups, "GroupName"), [json!("Zeta Clinic")]);
}

#[tokio::test]
async fn a_token_from_one_instance_is_rejected_by_another() {
    let f = two_instances().await;
    let token = f.token(0).await;
    assert_eq!(f.status(0, "/api/Agents", &token).await, StatusCode::OK);
    assert_eq!(
        f.status(1, "/api/Agents", &token).await,
        StatusCode::UNAUTHORIZED
    );
}

// ---- faults -----------------------------------------------------------------------

#[tokio::test]
async fn token_shape_faults() {
    let f = Fixture::sample().await;
    f.double.faults(0).token_without_exp(true);
    let token = f.token(0).await;
    assert!(jwt_payload(&token).get("exp").is_none());
    assert_eq!(f.status(0, "/api/Users", &token).await, StatusCode::OK);
    f.double
        .faults(0)
        .token_without_exp(false)
        .token_as_json_string(true);
    let response = f.login(0, "alice", SAMPLE_USERS[0].1).await;
    assert!(content_type(&response).starts_with("application/json"));
    let quoted: String = response.json().await.unwrap();
    assert!(jwt_payload(&quoted)["exp"].is_i64());
    assert_eq!(f.status(0, "/api/Users", &quoted).await, StatusCode::OK);
}

#[tokio::test]
async fn revoke_next_token_use_fails_once_and_revokes() {
    let f = Fixture::sample().await;
    let token = f.token(0).await;
    f.double.faults(0).revoke_next_token_use(true);
    assert_eq!(
        f.status(0, "/api/Agents", &token).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        f.status(0, "/api/Agents", &token).await,
        StatusCode::UNAUTHORIZED
    );
    let fresh = f.token(0).await;
    assert_eq!(f.status(0, "/api/Agents", &fresh).await, StatusCode::OK);
    assert!(!f.double.faults(0).get().revoke_next_token_use);
}

#[tokio::test]
async fn always_401_and_fail_data_status() {
    let f = Fixture::sample().await;
    f.double.faults(0).always_401(true);
    assert_eq!(
        f.get_status(0, "/api/Agents").await.0,
        StatusCode::UNAUTHORIZED
    );
    f.double
        .faults(0)
        .always_401(false)
        .fail_data_status(Some(503), Some(7));
    let token = f.token(0).await;
    let response = f.get_with(0, "/api/Agents", &token).await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "7");
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["status"], 503);
    f.double.faults(0).fail_data_status(Some(429), None);
    assert_eq!(
        f.get_status(0, "/api/Groups").await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    f.double.faults(0).fail_data_status(None, None);
    assert_eq!(f.get_status(0, "/api/Groups").await.0, StatusCode::OK);
}

#[tokio::test]
async fn latency_and_in_flight_counters() {
    let f = Fixture::sample().await;
    let token = f.token(0).await;
    f.double.faults(0).latency_ms(300);
    let started = Instant::now();
    let calls = (0..5).map(|_| f.get_with(0, "/api/Groups", &token));
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|r| r.status() == StatusCode::OK));
    assert!(started.elapsed() >= Duration::from_millis(300));
    let stats = f.double.stats(0);
    assert_eq!(stats.max_in_flight, 5);
    assert_eq!(stats.in_flight, 0);
    assert_eq!(stats.requests_to("Groups"), 5);
    assert_eq!(stats.authenticate_calls, 1);
    assert_eq!(stats.last_auth_scheme.as_deref(), Some("Bearer"));
    f.double.reset_stats(0);
    assert_eq!(f.double.stats(0).total_requests(), 0);
}

#[tokio::test]
async fn hang_never_answers_data_calls() {
    let f = Fixture::sample().await;
    let token = f.token(0).await;
    f.double.faults(0).hang(true);
    let hung = f
        .http
        .get(f.url(0, "/api/Agents"))
        .bearer_auth(&token)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(hung.is_err_and(|e| e.is_timeout()));
    f.double.faults(0).hang(false);
    assert_eq!(f.status(0, "/api/Agents", &token).await, StatusCode::OK);
}

#[tokio::test]
async fn authenticate_latency_and_hangs() {
    let f = Fixture::sample().await;
    let login = |timeout_ms| {
        f.http
            .post(f.url(0, "/api/Account/Authenticate"))
            .json(&json!({"UserName": "alice", "Password": SAMPLE_USERS[0].1}))
            .timeout(Duration::from_millis(timeout_ms))
            .send()
    };
    f.double.faults(0).auth_latency_ms(200);
    let started = Instant::now();
    assert_eq!(login(2_000).await.unwrap().status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(200));
    f.double.faults(0).auth_latency_ms(0).auth_hang(true);
    assert!(login(300).await.is_err_and(|e| e.is_timeout()));
    f.double
        .faults(0)
        .auth_hang(false)
        .auth_hang_after_first(true);
    f.double.reset_stats(0);
    assert_eq!(login(2_000).await.unwrap().status(), StatusCode::OK);
    assert!(login(300).await.is_err_and(|e| e.is_timeout()));
    assert_eq!(f.double.stats(0).authenticate_calls, 2);
}

#[tokio::test]
async fn require_2fa() {
    let f = Fixture::sample().await;
    f.double.faults(0).require_2fa(true);
    let refused = f.login(0, "alice", SAMPLE_USERS[0].1).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.json::<Value>().await.unwrap()["detail"],
        "Two-factor code required"
    );
    let body =
        json!({"UserName": "alice", "Password": SAMPLE_USERS[0].1, "TwoFactorCode": "123456"});
    assert_eq!(f.login_as(0, body).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn max_page_size_emits_a_working_next_link() {
    let f = Fixture::sample().await;
    f.double.faults(0).max_page_size(Some(3));
    let token = f.token(0).await;
    let mut url = f.url(
        0,
        "/api/JobHistories?$filter=Status%20ne%200&$orderby=JobLogId&$top=5&$select=JobLogId",
    );
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let body: Value = f
            .http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(column(&body, "JobLogId"));
        pages += 1;
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 2);
    assert_eq!(seen, ids(&[70001, 70002, 70003, 70004, 70005]));
    let all = f.get_json(0, "/api/Agents").await;
    assert_eq!(
        all["value"].as_array().unwrap().len(),
        3,
        "capped without $top too"
    );
    assert!(
        all["@odata.nextLink"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
}

#[tokio::test]
async fn reject_encoded_dollar() {
    let f = Fixture::sample().await;
    f.double.faults(0).reject_encoded_dollar(true);
    assert_eq!(
        f.get_status(0, "/api/Agents?%24top=1").await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        f.get_status(0, "/api/Agents?$top=1").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn visible_tenants_scope_every_collection() {
    let f = Fixture::sample().await;
    f.double
        .faults(0)
        .visible_tenants("tech2", Some(vec![BLUE_RIDGE_TENANT.into()]));
    let login = f.login(0, "tech2", SAMPLE_USERS[1].1).await;
    let token = login.text().await.unwrap();
    let get = |path: &'static str| {
        let token = token.clone();
        let f = &f;
        async move {
            f.get_with(0, path, &token)
                .await
                .json::<Value>()
                .await
                .unwrap_or(Value::Null)
        }
    };
    assert_eq!(
        column(&get("/api/Agents").await, "AgentId"),
        ids(&[103, 104])
    );
    assert_eq!(
        column(&get("/api/Groups").await, "GroupId"),
        ids(&[20]),
        "root and other tenants hidden"
    );
    assert_eq!(
        column(
            &get("/api/CloudStorageAccounts").await,
            "CloudStorageAccountId"
        ),
        ids(&[8])
    );
    assert_eq!(
        column(
            &get("/api/JobHistories?$orderby=JobLogId").await,
            "JobLogId"
        ),
        ids(&[70006, 70007])
    );
    assert_eq!(
        f.status(0, "/api/Agents(101)", &token).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        f.status(0, "/api/JobHistories(70002)/Log", &token).await,
        StatusCode::NOT_FOUND
    );
    let alice = f.get_json(0, "/api/Agents").await;
    assert_eq!(
        alice["value"].as_array().unwrap().len(),
        4,
        "other users unaffected"
    );
}

#[tokio::test]
async fn unreachable_and_truncated_body() {
    let f = Fixture::sample().await;
    let token = f.token(0).await;
    f.double.faults(0).truncated_body(true);
    let cut = f.get_with(0, "/api/Agents", &token).await;
    assert_eq!(cut.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&cut.text().await.unwrap()).is_err());
    f.double.faults(0).truncated_body(false).unreachable(true);
    assert!(
        f.http
            .get(f.url(0, "/api/Agents"))
            .bearer_auth(&token)
            .send()
            .await
            .is_err()
    );
    assert!(
        f.http
            .post(f.url(0, "/api/Account/Authenticate"))
            .body("{}")
            .send()
            .await
            .is_err()
    );
    f.double.faults(0).unreachable(false);
    assert_eq!(f.status(0, "/api/Agents", &token).await, StatusCode::OK);
}

#[tokio::test]
async fn control_endpoint_sets_faults_in_test_mode_only() {
    let f = Fixture::start(vec![
        InstanceConfig {
            test_mode: true,
            ..InstanceConfig::sample("/ms1")
        },
        InstanceConfig::sample("/ms2"),
    ])
    .await;
    let control = |i| f.url(i, "/_control/faults");
    let set = f
        .http
        .post(control(0))
        .json(&json!({"always_401": true, "latency_ms": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), StatusCode::OK);
    assert!(f.double.faults(0).get().always_401);
    assert_eq!(
        f.get_status(0, "/api/Agents").await.0,
        StatusCode::UNAUTHORIZED
    );
    let current: Value = f
        .http
        .get(control(0))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(current["latency_ms"], 5);
    let typo = f
        .http
        .post(control(0))
        .json(&json!({"always401": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(typo.status(), StatusCode::BAD_REQUEST);
    f.http
        .post(control(0))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(f.get_status(0, "/api/Agents").await.0, StatusCode::OK);
    let off = f
        .http
        .post(control(1))
        .json(&json!({"always_401": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(off.status(), StatusCode::NOT_FOUND);
    assert!(!f.double.faults(1).get().always_401);
    let under_api = f
        .http
        .post(f.url(0, "/api/_control/faults"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(under_api.status(), StatusCode::NOT_FOUND);
}

// ---- generated data ---------------------------------------------------------------

#[test]
fn generated_datasets_are_deterministic_with_disjoint_keys() {
    let now = Utc::now();
    let spec = GenSpec {
        seed: 3,
        tenants: 4,
        agents: 300,
        runs: 5_000,
        ..GenSpec::default()
    };
    let (a, b) = (
        Dataset::generated(now, &spec),
        Dataset::generated(now, &spec),
    );
    assert_eq!(a.agents, b.agents);
    assert_eq!(a.job_histories, b.job_histories);
    let other = Dataset::generated(
        now,
        &GenSpec {
            seed: 4,
            ..spec.clone()
        },
    );
    assert_ne!(a.agents, other.agents);
    let max_job = a
        .agents
        .iter()
        .flat_map(|x| &x.jobs)
        .filter_map(|j| j.job_id)
        .max()
        .unwrap();
    let min_run = a.job_histories.iter().map(|r| r.job_log_id).min().unwrap();
    assert!(max_job >= 900 && min_run >= 70_000 && max_job < min_run);
    for status in [1, 2, 4] {
        assert!(
            a.job_histories.iter().any(|r| r.status == status),
            "status {status}"
        );
    }
    assert!(
        a.agents
            .iter()
            .any(|x| !x.connected && x.last_activity_date < Some(now - Span::days(7))),
        "stale agents"
    );
    assert!(
        a.agents.iter().any(|x| x.last_backup_status == Some(4)),
        "failing agents"
    );
    assert!(
        a.agents.iter().any(|x| x.devices.is_empty()),
        "agents without devices"
    );
}

#[tokio::test]
async fn a_100k_run_dataset_answers_a_filtered_top_query_quickly() {
    let spec = GenSpec {
        seed: 11,
        tenants: 40,
        agents: 5_000,
        runs: 100_000,
        ..GenSpec::default()
    };
    let generated = Instant::now();
    let config = InstanceConfig::generated("/big", &spec);
    println!("generated 100,000 runs in {:?}", generated.elapsed());
    let f = Fixture::start(vec![config]).await;
    let ds = f.double.dataset(0);
    assert_eq!(ds.job_histories.len(), 100_000);
    let since = Utc::now() - Span::hours(24);
    let path = format!(
        "/api/JobHistories?$filter=StartDateTime%20gt%20{}%20and%20Status%20ne%201&$expand=Agent($select=AgentId,FriendlyName,MachineName)&$orderby=StartDateTime%20desc&$top=200",
        iso(since)
    );
    let token = f.token(0).await;
    f.get_with(0, "/api/Agents?$top=1", &token).await;
    let started = Instant::now();
    let response = f.get_with(0, &path, &token).await;
    let elapsed = started.elapsed();
    println!("filtered $top=200 over 100,000 runs in {elapsed:?}");
    let body: Value = response.json().await.unwrap();
    let mut expected: Vec<_> = ds
        .job_histories
        .iter()
        .filter(|r| r.status != 1 && r.start_date_time.is_some_and(|s| s > since))
        .collect();
    expected.sort_by(|x, y| {
        y.start_date_time
            .cmp(&x.start_date_time)
            .then(x.job_log_id.cmp(&y.job_log_id))
    });
    let expected: Vec<Value> = expected
        .iter()
        .take(200)
        .map(|r| json!(r.job_log_id))
        .collect();
    assert_eq!(column(&body, "JobLogId"), expected);
    assert!(body["value"][0]["Agent"]["FriendlyName"].is_string());
    assert!(elapsed < Duration::from_secs(2), "{elapsed:?}");
}
