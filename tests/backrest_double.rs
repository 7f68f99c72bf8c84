//! Real-HTTP tests of the Backrest double: every copied capture replayed for status, content type
//! and body shape, plus auth, counters, blocking Backup, Cancel, GetLogs framing and faults.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, Instant};

use backup_mcp::doubles::backrest::{
    AuthScheme, BackrestConfig, BackrestDataset, BackrestDouble, FLAG_DATA, FLAG_END, parse_frames,
    push_frame,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

const USER: &str = "admin";
const PASSWORD: &str = "adm1n-pass";

fn client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// An HTTP answer reduced to what the tests compare.
#[derive(Debug)]
struct Answer {
    status: u16,
    content_type: Option<String>,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let resp = req.send().await.expect("request failed");
    let status = resp.status().as_u16();
    let content_type = resp
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_string());
    let text = resp.text().await.expect("body");
    Answer {
        status,
        content_type,
        text,
    }
}

/// A unary Connect call with an optional `Authorization` header.
async fn call(
    c: &reqwest::Client,
    d: &BackrestDouble,
    path: &str,
    body: Value,
    auth: Option<&str>,
) -> Answer {
    let mut req = c
        .post(format!("{}{path}", d.base_url()))
        .header("content-type", "application/json")
        .body(body.to_string());
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    send(req).await
}

async fn rpc(c: &reqwest::Client, d: &BackrestDouble, method: &str, body: Value) -> Answer {
    call(c, d, &format!("/v1.Backrest/{method}"), body, None).await
}

/// ListSnapshots of a plan.
async fn snapshots(c: &reqwest::Client, d: &BackrestDouble, repo: &str, plan: &str) -> Vec<Value> {
    let answer = rpc(
        c,
        d,
        "ListSnapshots",
        json!({"repoId": repo, "planId": plan}),
    )
    .await;
    answer.json()["snapshots"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Logs in as the test user and returns the token.
async fn login(c: &reqwest::Client, d: &BackrestDouble) -> String {
    let body = json!({"username": USER, "password": PASSWORD});
    let answer = call(c, d, "/v1.Authentication/Login", body, None).await;
    answer.json()["token"].as_str().expect("token").to_string()
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{password}")))
}

fn fixture_double(auth: bool) -> BackrestDouble {
    let mut config = BackrestConfig::new(BackrestDataset::from_fixtures());
    config.backup_duration = Duration::from_millis(40);
    config.task_duration = Duration::from_millis(20);
    if auth {
        config = config.with_users(&[(USER, PASSWORD)]);
    }
    BackrestDouble::start(config).expect("start")
}

// ---------- fixture replay ----------

fn fixtures() -> Vec<(String, Value)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/backrest");
    let mut out: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .expect("fixtures dir")
        .filter_map(|e| {
            let p = e.ok()?.path();
            let name = p.file_name()?.to_str()?.to_string();
            if !name.ends_with(".json") || name.starts_with('_') {
                return None;
            }
            Some((
                name,
                serde_json::from_str(&std::fs::read_to_string(&p).ok()?).ok()?,
            ))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Every `(json path, type)` of a body; array elements share the path `[]`.
fn paths(v: &Value, prefix: &str, out: &mut BTreeSet<(String, &'static str)>) {
    out.insert((prefix.to_string(), type_name(v)));
    match v {
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| paths(x, &format!("{prefix}.{k}"), out)),
        Value::Array(a) => a.iter().for_each(|x| paths(x, &format!("{prefix}[]"), out)),
        _ => {}
    }
}

/// Contract fields (docs/upstream/backrest.md §6) the captures happen not to show, with their JSON type.
const CONTRACT_EXTRAS: [(&str, &str); 6] = [
    ("filesChanged", "string"),
    ("forget", "array"),
    ("forgot", "bool"),
    ("lastStatus", "object"),
    ("messageType", "string"),
    ("nextBackupTimeMs", "string"),
];

/// Fails if an object field holds a protojson default (those must be omitted).
fn assert_no_defaults(v: &Value, at: &str) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let default = matches!(x, Value::Bool(false) | Value::Null)
                    || x.as_str()
                        .is_some_and(|s| s.is_empty() || s == "0" || s == "STATUS_UNKNOWN")
                    || x.as_f64() == Some(0.0)
                    || x.as_array().is_some_and(Vec::is_empty);
                assert!(!default, "{at}.{k} holds a default value {x}");
                assert_no_defaults(x, &format!("{at}.{k}"));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| assert_no_defaults(x, at)),
        _ => {}
    }
}

/// Fills capture placeholders with working (or, for 401 captures, failing) credentials.
fn fill(text: &str, name: &str, token: &str) -> String {
    let bad = name.starts_with("unauth_");
    text.replace("<ADMIN_PASSWORD>", PASSWORD)
        .replace("<JWT>", token)
        .replace(
            "<INVALID_TOKEN>",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.forged",
        )
        .replace(
            "<BASE64(username:password)>",
            &STANDARD.encode(format!("{USER}:{}", if bad { "wrong" } else { PASSWORD })),
        )
}

#[tokio::test]
async fn replays_every_capture_with_the_same_status_content_type_and_shape() {
    let c = client();
    let all = fixtures();
    assert!(all.len() >= 60, "fixtures copied");
    let mut schema: BTreeMap<String, BTreeSet<(String, &'static str)>> = BTreeMap::new();
    for (_, f) in &all {
        let path = f["request"]["path"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if let Some(body) = f["response"].get("body") {
            paths(body, "", schema.entry(path).or_default());
        }
    }
    let open = fixture_double(false);
    let authed = fixture_double(true);
    let token = login(&c, &authed).await;

    for (name, f) in &all {
        if name == "backup_cancelled_error.json" {
            continue; // needs a concurrent Cancel: see `cancel_interrupts_a_running_backup`.
        }
        let req = &f["request"];
        let path = req["path"].as_str().expect("path");
        let uses_auth = ["auth_", "authed_", "unauth_"]
            .iter()
            .any(|p| name.starts_with(p));
        let double = if uses_auth { &authed } else { &open };
        let url = format!("{}{path}", double.base_url());
        let mut builder = if req["method"] == "GET" {
            c.get(url)
        } else {
            c.post(url)
        };
        for (k, v) in req["headers"].as_object().into_iter().flatten() {
            builder = builder.header(k, fill(v.as_str().unwrap_or_default(), name, &token));
        }
        let body = match (&req.get("body"), &req.get("body_raw")) {
            (_, Some(Value::String(raw))) => Some(raw.clone()),
            (Some(b), _) if !b.is_null() => Some(fill(&b.to_string(), name, &token)),
            _ => None,
        };
        if let Some(b) = body {
            builder = builder.body(b);
        }
        let got = send(builder).await;
        let want = &f["response"];
        assert_eq!(
            got.status,
            want["status"].as_u64().unwrap_or(0) as u16,
            "{name}: status ({})",
            got.text
        );
        let want_ct = want["headers"].get("Content-Type").and_then(Value::as_str);
        assert_eq!(got.content_type.as_deref(), want_ct, "{name}: content type");
        match (want.get("body"), want.get("body_raw")) {
            (_, Some(Value::String(raw))) => assert_eq!(&got.text, raw, "{name}: plain body"),
            (Some(Value::Null) | None, _) => assert!(got.text.is_empty(), "{name}: empty body"),
            (Some(expected), _) if expected.get("code").is_some() => {
                let actual = got.json();
                assert_eq!(actual["code"], expected["code"], "{name}: code");
                assert_eq!(actual["message"], expected["message"], "{name}: message");
            }
            (Some(expected), _) => {
                let actual = got.json();
                assert_no_defaults(&actual, name);
                for (k, v) in expected.as_object().into_iter().flatten() {
                    let a = actual
                        .get(k)
                        .unwrap_or_else(|| panic!("{name}: missing {k}"));
                    assert_eq!(type_name(a), type_name(v), "{name}: type of {k}");
                    if v.as_array().is_some_and(|x| !x.is_empty()) {
                        assert!(
                            a.as_array().is_some_and(|x| !x.is_empty()),
                            "{name}: {k} empty"
                        );
                    }
                }
                let mut seen = BTreeSet::new();
                paths(&actual, "", &mut seen);
                let known = &schema[path];
                for (p, t) in seen {
                    let leaf = p
                        .rsplit('.')
                        .next()
                        .unwrap_or_default()
                        .trim_end_matches("[]");
                    let extra = CONTRACT_EXTRAS.iter().any(|(k, kt)| {
                        *k == leaf && (*kt == t || p.contains(&format!("{leaf}[]")))
                    });
                    let ok = known.contains(&(p.clone(), t))
                        || extra
                        || p.contains(".forget[]")
                        || p.contains(".lastStatus.");
                    assert!(ok, "{name}: {p} ({t}) never seen in captures");
                }
            }
        }
    }
}

// ---------- auth ----------

#[tokio::test]
async fn auth_disabled_accepts_anonymous_calls_and_refuses_login() {
    let c = client();
    let d = fixture_double(false);
    let cfg = rpc(&c, &d, "GetConfig", json!({})).await;
    assert_eq!(cfg.status, 200);
    assert_eq!(cfg.json()["auth"], json!({"disabled": true}));
    let login = call(
        &c,
        &d,
        "/v1.Authentication/Login",
        json!({"username": USER, "password": PASSWORD}),
        None,
    )
    .await;
    assert_eq!(login.status, 401);
    assert_eq!(
        login.json(),
        json!({"code": "unauthenticated", "message": "invalid password"})
    );
}

#[tokio::test]
async fn login_then_bearer_is_counted_and_basic_pays_the_bcrypt_cost() {
    let c = client();
    let mut config =
        BackrestConfig::new(BackrestDataset::from_fixtures()).with_users(&[(USER, PASSWORD)]);
    config.basic_auth_cost = Duration::from_millis(120);
    let d = BackrestDouble::start(config).expect("start");

    let token = login(&c, &d).await;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).expect("payload"))
            .expect("b64"),
    )
    .expect("claims");
    assert_eq!(claims["sub"], USER);
    let ttl = claims["exp"].as_i64().unwrap_or(0) - chrono::Utc::now().timestamp();
    assert!(
        (7 * 86400 - 60..=7 * 86400).contains(&ttl),
        "exp +7 days, got {ttl}"
    );

    let bearer = format!("Bearer {token}");
    let t0 = Instant::now();
    for _ in 0..5 {
        let r = call(&c, &d, "/v1.Backrest/GetConfig", json!({}), Some(&bearer)).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["auth"]["users"][0]["passwordBcrypt"], "********");
    }
    assert!(
        t0.elapsed() < Duration::from_millis(500),
        "Bearer costs nothing"
    );
    let n = d.counters();
    assert_eq!(
        (
            n.method("Login"),
            n.method("GetConfig"),
            n.bearer,
            n.basic,
            n.no_auth
        ),
        (1, 5, 5, 0, 1)
    );

    let t0 = Instant::now();
    let r = call(
        &c,
        &d,
        "/v1.Backrest/GetConfig",
        json!({}),
        Some(&basic(USER, PASSWORD)),
    )
    .await;
    assert_eq!(r.status, 200);
    assert!(
        t0.elapsed() >= Duration::from_millis(120),
        "Basic pays bcrypt"
    );
    assert_eq!(d.counters().basic, 1);

    let wrong = call(
        &c,
        &d,
        "/v1.Backrest/GetConfig",
        json!({}),
        Some(&basic(USER, "nope")),
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.text.as_str()),
        (401, "Unauthorized (No Authorization Header)\n")
    );
    assert_eq!(
        wrong.content_type.as_deref(),
        Some("text/plain; charset=utf-8")
    );
    let expired = format!(
        "Bearer {}",
        d.mint_token(USER, chrono::Utc::now().timestamp() - 10)
    );
    let r = call(&c, &d, "/v1.Backrest/GetConfig", json!({}), Some(&expired)).await;
    assert_eq!(
        (r.status, r.text.as_str()),
        (401, "Unauthorized (Bad Token)\n")
    );
    let r = call(
        &c,
        &d,
        "/v1.Backrest/GetConfig",
        json!({}),
        Some("bearer x"),
    )
    .await;
    assert_eq!(
        r.text, "Unauthorized (No Authorization Header)\n",
        "scheme is case-sensitive"
    );
    let calls = d.state().calls;
    assert!(
        calls
            .iter()
            .filter(|c| c.method == "GetConfig")
            .all(|c| c.auth != AuthScheme::None)
    );
}

#[tokio::test]
async fn sample_config_serves_secrets_in_clear_like_backrest() {
    let c = client();
    let now = chrono::Utc::now();
    let mut config = BackrestConfig::new(BackrestDataset::sample(now, "acme-nas01", "Acme Corp"));
    config = config.with_users(&[("gw", "pw")]);
    let d = BackrestDouble::start(config).expect("start");
    let cfg = call(
        &c,
        &d,
        "/v1.Backrest/GetConfig",
        json!({}),
        Some(&basic("gw", "pw")),
    )
    .await
    .json();
    assert_eq!(cfg["instance"], "acme-nas01");
    let repo = &cfg["repos"][0];
    assert!(
        repo["password"]
            .as_str()
            .is_some_and(|p| p.starts_with("acme-corp-offsite-"))
    );
    assert!(
        repo["env"][1]
            .as_str()
            .is_some_and(|e| e.starts_with("B2_ACCOUNT_KEY=K001"))
    );
    assert!(
        repo["hooks"][0]["actionWebhook"]["webhookUrl"]
            .as_str()
            .is_some_and(|u| u.contains("token="))
    );
    assert!(cfg["repos"][1]["hooks"][0]["actionTelegram"]["botToken"].is_string());
    assert_eq!(
        cfg["auth"],
        json!({"users": [{"name": "gw", "passwordBcrypt": "********"}]})
    );
    // Same arguments, same dataset.
    let again = BackrestDataset::sample(now, "acme-nas01", "Acme Corp");
    assert_eq!(
        again.config,
        d.state()
            .config
            .as_object()
            .map(|m| {
                let mut m = m.clone();
                m.remove("auth");
                Value::Object(m)
            })
            .unwrap_or_default()
    );
}

#[tokio::test]
async fn sample_history_covers_every_status_and_the_dashboard_counts_it() {
    let c = client();
    let d = BackrestDouble::start(BackrestConfig::new(BackrestDataset::sample(
        chrono::Utc::now(),
        "n1",
        "t",
    )))
    .expect("start");
    let ops = rpc(
        &c,
        &d,
        "GetOperations",
        json!({"selector": {"instanceId": "n1"}}),
    )
    .await
    .json();
    let ops = ops["operations"].as_array().expect("ops").clone();
    let status = |s: &str| ops.iter().filter(|o| o["status"] == s).count();
    assert!(status("STATUS_SUCCESS") > 50);
    assert_eq!(status("STATUS_INPROGRESS"), 1);
    assert_eq!(status("STATUS_WARNING"), 1);
    assert!(
        ops.iter()
            .any(|o| o["status"] == "STATUS_ERROR" && o["displayMessage"].is_string())
    );
    for kind in [
        "operationForget",
        "operationIndexSnapshot",
        "operationPrune",
        "operationCheck",
        "operationStats",
    ] {
        assert!(ops.iter().any(|o| o.get(kind).is_some()), "{kind}");
    }
    let now = chrono::Utc::now().timestamp_millis();
    let start = |o: &Value| {
        o["unixTimeStartMs"]
            .as_str()
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    assert!(
        ops.iter().any(|o| now - start(o) < 86_400_000)
            && ops.iter().any(|o| now - start(o) > 20 * 86_400_000)
    );
    let snaps = snapshots(&c, &d, "nas-local", "db-dumps").await;
    assert_eq!(snaps.len(), 20, "keepLastN 20 applied");
    assert!(
        snaps[0]["tags"]
            .as_array()
            .is_some_and(|t| t.contains(&json!("created-by:n1")))
    );
    let dash = rpc(&c, &d, "GetSummaryDashboard", json!({})).await.json();
    let home = &dash["planSummaries"][0];
    assert_eq!(home["id"], "daily-home");
    assert_eq!(home["backupsFailed30days"], "1");
    assert_eq!(home["backupsWarningLast30days"], "1");
    assert!(home["nextBackupTimeMs"].is_string());
    assert!(
        dash["repoSummaries"][1]["historyLast30days"]
            .as_array()
            .is_some_and(|h| h.len() >= 7)
    );
    assert_no_defaults(&dash, "dashboard");
}

// ---------- Backup, Cancel, tasks ----------

/// A fixture double whose backups take `duration`.
fn backup_double(duration: Duration) -> BackrestDouble {
    let mut config = BackrestConfig::new(BackrestDataset::from_fixtures());
    config.backup_duration = duration;
    BackrestDouble::start(config).expect("start")
}

/// Sends a blocking Backup of `plan` in the background.
fn spawn_backup(
    c: &reqwest::Client,
    d: &BackrestDouble,
    plan: &str,
) -> tokio::task::JoinHandle<Answer> {
    let req = c
        .post(format!("{}/v1.Backrest/Backup", d.base_url()))
        .header("content-type", "application/json")
        .body(json!({"value": plan}).to_string());
    tokio::spawn(send(req))
}

async fn newest_op(c: &reqwest::Client, d: &BackrestDouble, plan: &str) -> Value {
    let r = rpc(
        c,
        d,
        "GetOperations",
        json!({"selector": {"planId": plan}, "lastN": "1"}),
    )
    .await
    .json();
    r["operations"][0].clone()
}

#[tokio::test]
async fn backup_blocks_while_its_operation_is_visible_in_progress() {
    let c = client();
    let d = backup_double(Duration::from_millis(600));
    let t0 = Instant::now();
    let running = spawn_backup(&c, &d, "docs-plan");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let op = newest_op(&c, &d, "docs-plan").await;
    assert_eq!(op["status"], "STATUS_INPROGRESS");
    assert!(op.get("unixTimeEndMs").is_none() && op.get("operationBackup").is_some());
    let done = running.await.expect("join");
    assert!(t0.elapsed() >= Duration::from_millis(550));
    assert_eq!((done.status, done.json()), (200, json!({})));
    let flow = op["flowId"].clone();
    let flow_ops = rpc(
        &c,
        &d,
        "GetOperations",
        json!({"selector": {"flowId": flow}}),
    )
    .await
    .json();
    let flow_ops = flow_ops["operations"].as_array().expect("ops").clone();
    assert_eq!(flow_ops.len(), 3);
    assert_eq!(flow_ops[0]["status"], "STATUS_SUCCESS");
    let snap = flow_ops[0]["snapshotId"]
        .as_str()
        .expect("snapshot")
        .to_string();
    assert!(
        flow_ops
            .iter()
            .any(|o| o.get("operationIndexSnapshot").is_some())
    );
    assert!(flow_ops.iter().any(|o| o.get("operationForget").is_some()));
    let snaps = snapshots(&c, &d, "local-repo", "docs-plan").await;
    assert!(snaps.iter().any(|x| x["id"] == snap.as_str()));
    let files = rpc(&c, &d, "ListSnapshotFiles", json!({"repoId": "local-repo", "snapshotId": &snap[..8], "path": "/srv/backrest/run/sources/docs/sub"})).await.json();
    assert_eq!(files["entries"][0]["type"], "dir");
    assert_eq!(files["entries"][1]["name"], "nested.txt");
}

#[tokio::test]
async fn backup_survives_a_client_that_gives_up() {
    let c = client();
    let d = backup_double(Duration::from_millis(300));
    let gave_up = c
        .post(format!("{}/v1.Backrest/Backup", d.base_url()))
        .header("content-type", "application/json")
        .timeout(Duration::from_millis(50))
        .body(r#"{"value":"photos-plan"}"#)
        .send()
        .await;
    assert!(gave_up.is_err());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        newest_op(&c, &d, "photos-plan").await["status"],
        "STATUS_SUCCESS"
    );
    let r = send(
        c.post(format!("{}/v1.Backrest/Backup", d.base_url()))
            .header("content-type", "application/json")
            .header("connect-timeout-ms", "50")
            .body(r#"{"value":"photos-plan","dryRun":true}"#),
    )
    .await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (504, json!("deadline_exceeded"))
    );
}

#[tokio::test]
async fn cancel_interrupts_a_running_backup() {
    let c = client();
    let d = backup_double(Duration::from_secs(5));
    let running = spawn_backup(&c, &d, "big-plan");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let id = newest_op(&c, &d, "big-plan").await["id"].clone();
    let r = rpc(&c, &d, "Cancel", json!({"operationId": id})).await;
    assert_eq!((r.status, r.json()), (200, json!({})));
    let done = running.await.expect("join");
    let captured: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/backrest/backup_cancelled_error.json"),
        )
        .expect("fixture"),
    )
    .expect("json");
    assert_eq!(done.status, 500);
    assert_eq!(
        done.json(),
        captured["response"]["body"],
        "same code and message as captured"
    );
    let op = newest_op(&c, &d, "big-plan").await;
    assert_eq!(op["status"], "STATUS_USER_CANCELLED");
    assert!(
        op["displayMessage"]
            .as_str()
            .is_some_and(|m| m.ends_with("note: task was cancelled by user request"))
    );
    assert_eq!(
        d.state().bodies("Cancel"),
        vec![&json!({"operationId": id})]
    );
    let unknown = rpc(&c, &d, "Cancel", json!({"value": "999999"})).await;
    assert_eq!((unknown.status, unknown.json()), (200, json!({})));
}

#[tokio::test]
async fn repo_tasks_forget_and_restore_are_scheduled_and_recorded() {
    let c = client();
    let d = fixture_double(false);
    let r = rpc(
        &c,
        &d,
        "DoRepoTask",
        json!({"repoId": "local-repo", "task": "TASK_CHECK"}),
    )
    .await
    .json();
    let check: i64 = r["operationId"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("operationId");
    for (task, body) in [
        ("TASK_INDEX_SNAPSHOTS", json!({})),
        ("TASK_UNLOCK", json!({})),
    ] {
        assert_eq!(
            rpc(
                &c,
                &d,
                "DoRepoTask",
                json!({"repoId": "local-repo", "task": task})
            )
            .await
            .json(),
            body
        );
    }
    let bogus = rpc(
        &c,
        &d,
        "DoRepoTask",
        json!({"repoId": "local-repo", "task": "TASK_BOGUS"}),
    )
    .await;
    assert_eq!(
        (bogus.status, bogus.json()["code"].clone()),
        (400, json!("invalid_argument"))
    );
    let snap = "11036ef51ffbc12f67ba0886d26ab0c7fcb6d9480803e9524d99760f9da4490b";
    let fg = rpc(
        &c,
        &d,
        "Forget",
        json!({"repoId": "local-repo", "planId": "docs-plan", "snapshotId": snap}),
    )
    .await
    .json();
    assert!(fg["operationId"].is_string());
    let rs = rpc(
        &c,
        &d,
        "Restore",
        json!({"repoId": "local-repo", "snapshotId": "d1196c40", "target": " /tmp/r0 "}),
    )
    .await;
    assert_eq!(
        (rs.status, rs.json()),
        (
            500,
            json!({"code": "unknown", "message": "failed to schedule restore task: add operation to oplog: plan_id is required"})
        ),
        "a restore without a plan fails as on Backrest 1.14"
    );
    let rs = rpc(
        &c,
        &d,
        "Restore",
        json!({"repoId": "local-repo", "planId": "docs-plan", "snapshotId": "d1196c40", "target": " /tmp/r1 "}),
    )
    .await;
    assert_eq!(rs.status, 200, "{}", rs.text);
    let again = rpc(
        &c,
        &d,
        "Restore",
        json!({"repoId": "local-repo", "snapshotId": snap, "target": "/tmp/r1"}),
    )
    .await;
    assert_eq!(
        again.json(),
        json!({"code": "failed_precondition", "message": "target directory \"/tmp/r1\" already exists"})
    );
    tokio::time::sleep(Duration::from_millis(150)).await;
    let state = d.state();
    assert_eq!(
        state.operation(check).map(|o| o.status.name()),
        Some("STATUS_SUCCESS")
    );
    assert_eq!(
        state.operation(check).map(|o| o.plan_id.as_str()),
        Some("_system_")
    );
    assert!(!state.snapshots.iter().any(|s| s.id == snap), "forgotten");
    let fg_id: i64 = fg["operationId"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!(
        state.operation(fg_id).is_none(),
        "single-snapshot forget removes itself"
    );
    assert_eq!(
        state.bodies("Restore")[1],
        &json!({"repoId": "local-repo", "planId": "docs-plan", "snapshotId": "d1196c40", "target": " /tmp/r1 "})
    );
    assert_eq!(state.bodies("DoRepoTask").len(), 4);
}

// ---------- GetLogs ----------

async fn get_logs(
    c: &reqwest::Client,
    d: &BackrestDouble,
    body: Vec<u8>,
) -> (u16, Option<String>, Vec<(u8, Value)>) {
    let resp = c
        .post(format!("{}/v1.Backrest/GetLogs", d.base_url()))
        .header("content-type", "application/connect+json")
        .body(body)
        .send()
        .await
        .expect("send");
    let status = resp.status().as_u16();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(String::from);
    let bytes = resp.bytes().await.expect("body");
    let frames = parse_frames(&bytes)
        .expect("framing")
        .into_iter()
        .map(|(f, p)| (f, serde_json::from_slice(p).expect("frame json")))
        .collect();
    (status, ct, frames)
}

fn request_frame(body: Value) -> Vec<u8> {
    let mut out = Vec::new();
    push_frame(&mut out, FLAG_DATA, &body);
    out
}

fn text_of(frames: &[(u8, Value)]) -> String {
    let bytes: Vec<u8> = frames
        .iter()
        .filter(|(f, _)| *f == FLAG_DATA)
        .flat_map(|(_, v)| {
            STANDARD
                .decode(v["value"].as_str().unwrap_or_default())
                .expect("b64")
        })
        .collect();
    String::from_utf8(bytes).expect("utf8")
}

#[tokio::test]
async fn get_logs_streams_framed_chunks_and_errors_in_the_end_frame() {
    let c = client();
    let mut dataset = BackrestDataset::from_fixtures();
    let long = "restic backup line\n".repeat(200);
    dataset.logs.insert("t-long".into(), long.clone());
    dataset.unreadable_logs.insert("t-broken".into());
    let d = BackrestDouble::start(BackrestConfig::new(dataset)).expect("start");

    let (status, ct, frames) = get_logs(&c, &d, request_frame(json!({"ref": "t-long"}))).await;
    assert_eq!(
        (status, ct.as_deref()),
        (200, Some("application/connect+json"))
    );
    assert!(frames.len() > 2, "several data frames");
    assert_eq!(frames.last(), Some(&(FLAG_END, json!({}))));
    assert_eq!(text_of(&frames), long);

    let (_, _, frames) = get_logs(&c, &d, request_frame(json!({"ref": "t-unknown"}))).await;
    assert!(text_of(&frames).contains("not found, it may have expired"));

    let (status, _, frames) = get_logs(&c, &d, request_frame(json!({"ref": "t-broken"}))).await;
    assert_eq!(status, 200);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].0, FLAG_END);
    assert_eq!(frames[0].1["error"]["code"], "unknown");

    let (status, _, frames) = get_logs(&c, &d, b"\x00\x00\x00\x00\x09{}".to_vec()).await;
    assert_eq!(
        (status, frames[0].1["error"]["code"].clone()),
        (200, json!("invalid_argument"))
    );

    let wrong_ct = rpc(&c, &d, "GetLogs", json!({"ref": "t-long"})).await;
    assert_eq!(wrong_ct.status, 415);

    d.faults().set_fail_status(Some(503));
    let (status, _, frames) = get_logs(&c, &d, request_frame(json!({"ref": "t-long"}))).await;
    assert_eq!(
        (status, frames[0].1["error"]["code"].clone()),
        (200, json!("unavailable"))
    );
}

// ---------- faults and concurrency ----------

#[tokio::test]
async fn every_fault_switch_changes_the_answer() {
    let c = client();
    let d = fixture_double(false);
    let faults = d.faults();

    faults.set_fail_status(Some(500));
    let r = rpc(&c, &d, "GetConfig", json!({})).await;
    assert_eq!(
        (r.status, r.json()["code"].clone()),
        (500, json!("unknown"))
    );
    faults.set_only_methods(Some(vec!["GetOperations".into()]));
    assert_eq!(
        rpc(&c, &d, "GetConfig", json!({})).await.status,
        200,
        "scoped to other methods"
    );
    faults.clear();

    faults.set_latency(Duration::from_millis(200));
    let t0 = Instant::now();
    assert_eq!(rpc(&c, &d, "GetConfig", json!({})).await.status, 200);
    assert!(t0.elapsed() >= Duration::from_millis(200));
    faults.clear();

    faults.set_hang(true);
    let hung = c
        .post(format!("{}/v1.Backrest/GetConfig", d.base_url()))
        .header("content-type", "application/json")
        .body("{}")
        .timeout(Duration::from_millis(200))
        .send()
        .await;
    assert!(hung.is_err_and(|e| e.is_timeout()));
    faults.clear();

    faults.set_malformed_json(true);
    let r = rpc(&c, &d, "GetConfig", json!({})).await;
    assert_eq!(r.status, 200);
    assert!(serde_json::from_str::<Value>(&r.text).is_err());
    faults.clear();

    faults.set_plain_text_500(true);
    let r = rpc(&c, &d, "GetConfig", json!({})).await;
    assert_eq!(
        (r.status, r.content_type.as_deref(), r.text.as_str()),
        (500, Some("text/plain"), "Internal Server Error\n")
    );
    faults.clear();

    faults.set_unreachable(true);
    let dead = client()
        .post(format!("{}/v1.Backrest/GetConfig", d.base_url()))
        .body("{}")
        .send()
        .await;
    assert!(dead.is_err());
    faults.clear();
    assert_eq!(rpc(&client(), &d, "GetConfig", json!({})).await.status, 200);
}

#[tokio::test]
async fn counters_track_concurrency_across_several_instances() {
    let c = client();
    let doubles: Vec<BackrestDouble> = (0..3).map(|_| fixture_double(false)).collect();
    let ports: BTreeSet<u16> = doubles.iter().map(|d| d.addr().port()).collect();
    assert_eq!(ports.len(), 3);
    let d = &doubles[0];
    d.faults().set_latency(Duration::from_millis(150));
    let calls = (0..6).map(|_| {
        rpc(
            &c,
            d,
            "GetOperations",
            json!({"selector": {}, "lastN": "2"}),
        )
    });
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|a| a.status == 200));
    let n = d.counters();
    assert_eq!(n.method("GetOperations"), 6);
    assert!(n.max_in_flight >= 2, "{n:?}");
    assert_eq!(n.in_flight, 0);
    d.reset_counters();
    assert_eq!(d.counters().total, 0);
    assert_eq!(doubles[1].counters().total, 0);
}

#[tokio::test]
async fn real_bcrypt_checks_basic_passwords() {
    let mut config = BackrestConfig::new(BackrestDataset::sample(chrono::Utc::now(), "bc", "Acme"))
        .with_users(&[("gw", "right-pass")]);
    config.bcrypt_cost = Some(4);
    let d = BackrestDouble::start(config).unwrap();
    let c = client();
    let url = format!("{}/v1.Backrest/GetConfig", d.base_url());
    let ok = send(
        c.post(&url)
            .header("authorization", basic("gw", "right-pass"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(ok.status, 200);
    let bad = send(
        c.post(&url)
            .header("authorization", basic("gw", "wrong-pass"))
            .json(&json!({})),
    )
    .await;
    assert_eq!(bad.status, 401);
    assert_eq!(d.counters().basic, 2);
}
