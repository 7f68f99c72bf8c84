//! Black-box tests of the MCP server core: handshake, fan-out coverage, bounded concurrency,
//! recovery, orientation tools, all through rmcp's client talking to the built binary.

mod common;

use std::time::{Duration, Instant};

use common::mcp::*;
use common::stub::{self, Behaviour};
use serde_json::json;

const PASSWORD: &str = "fleet-Secret-55aa1";

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    fn creds(&self) -> std::path::PathBuf {
        self.dir.path().join("cfg").join("credentials.json")
    }
    fn log(&self) -> std::path::PathBuf {
        self.dir.path().join("stderr.log")
    }
    fn env(&self, extra: &[(&str, &str)]) -> Vec<(&'static str, String)> {
        let mut env = vec![
            (
                "BACKUP_MCP_CREDENTIALS_FILE",
                self.creds().display().to_string(),
            ),
            ("HOME", self.dir.path().display().to_string()),
            // These tests exercise connect_server, which is off by default.
            ("BACKUP_MCP_ALLOW_CONNECT", "true".to_owned()),
        ];
        for (k, v) in extra {
            let key: &'static str = Box::leak(k.to_string().into_boxed_str());
            env.push((key, v.to_string()));
        }
        env
    }
    fn stderr(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn three_servers_healthy_failing_and_hanging() {
    let stub = stub::start(
        0,
        &[
            ("ok", Behaviour::Healthy),
            ("err", Behaviour::DataFails(500)),
            ("hang", Behaviour::Hang),
        ],
        Duration::from_millis(10),
        PASSWORD,
    )
    .await;
    let fx = Fixture::new();
    write_credentials(
        &fx.creds(),
        &[
            nova_entry("ok", &stub.base_url("ok"), PASSWORD),
            nova_entry("err", &stub.base_url("err"), PASSWORD),
            nova_entry("hang", &stub.base_url("hang"), PASSWORD),
        ],
    );
    let started = Instant::now();
    let client = spawn(
        &["serve"],
        &fx.env(&[("BACKUP_MCP_TIMEOUT_SECONDS", "3")]),
        &fx.log(),
    )
    .await;
    // The handshake does not wait for the hanging server's login (which lasts 3 s).
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "handshake waited for an upstream"
    );

    let tools = client.list_all_tools().await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    for tool in [
        "system_info",
        "list_servers",
        "server_health",
        "connect_server",
        "disconnect_server",
    ] {
        assert!(names.contains(&tool), "{tool} missing from {names:?}");
    }
    assert!(
        tools.iter().all(|t| t.output_schema.is_some()),
        "every tool declares an outputSchema"
    );

    let call_started = Instant::now();
    let out = call_ok(&client, "server_health", json!({})).await;
    assert!(
        call_started.elapsed() < Duration::from_secs(5),
        "the call outlived its deadline"
    );
    let items = out["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["server_id"], "ok");
    assert!(items[0].as_object().unwrap().contains_key("tenant_id"));
    let meta = &out["_meta"];
    assert_eq!(meta["servers_queried"], 3);
    assert_eq!(meta["servers_succeeded"], 1);
    assert_eq!(meta["servers_failed"], 2);
    assert_eq!(meta["partial"], true);
    assert_eq!(meta["truncated"], false);
    assert!(meta["elapsed_ms"].as_u64().is_some());
    let mut f = failures(meta);
    f.sort();
    assert_eq!(
        f,
        vec![
            ("err".into(), "upstream_error".into()),
            ("hang".into(), "timeout".into())
        ]
    );
    let err_msg = meta["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["server_id"] == "err")
        .unwrap()["error"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        err_msg.contains("500") && err_msg.contains("database unavailable"),
        "{err_msg}"
    );

    let servers = call_ok(&client, "list_servers", json!({})).await;
    let status = |id: &str| {
        servers["servers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["server_id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("ok"), "up");
    assert_eq!(status("hang"), "down");

    let info = call_ok(&client, "system_info", json!({})).await;
    assert_eq!(info["mode"], "read_only");
    assert_eq!(info["client"]["name"], "rmcp");
    assert_eq!(info["servers"].as_array().unwrap().len(), 3);

    client.cancel().await.ok();
    assert!(
        !fx.stderr().contains(PASSWORD),
        "password in the server's log"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fan_out_never_exceeds_the_concurrency_setting() {
    let ids: Vec<String> = (0..12).map(|i| format!("s{i}")).collect();
    let servers: Vec<(&str, Behaviour)> = ids
        .iter()
        .map(|id| (id.as_str(), Behaviour::Healthy))
        .collect();
    let stub = stub::start(0, &servers, Duration::from_millis(150), PASSWORD).await;
    let fx = Fixture::new();
    let entries: Vec<_> = ids
        .iter()
        .map(|id| nova_entry(id, &stub.base_url(id), PASSWORD))
        .collect();
    write_credentials(&fx.creds(), &entries);
    let client = spawn(
        &["serve"],
        &fx.env(&[("BACKUP_MCP_FANOUT_CONCURRENCY", "3")]),
        &fx.log(),
    )
    .await;

    // Let the start-up logins (all at once, by design) finish before counting.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let list = call_ok(&client, "list_servers", json!({})).await;
        if list["servers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["status"] == "up")
        {
            break;
        }
        assert!(Instant::now() < deadline, "servers never came up: {list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stub.counters.reset_max();
    let out = call_ok(&client, "server_health", json!({})).await;
    assert_eq!(out["_meta"]["servers_succeeded"], 12);
    let order: Vec<&str> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["server_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ids.iter().map(String::as_str).collect::<Vec<_>>(),
        "results in saved order"
    );
    let max = stub.counters.max();
    assert!(max <= 3, "{max} servers were in flight at once");
    assert!(
        max >= 2,
        "the fan-out did not run servers concurrently (max {max})"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_comes_back_is_used_again() {
    let port = common::free_port();
    let fx = Fixture::new();
    let url = format!("http://127.0.0.1:{port}/back");
    write_credentials(&fx.creds(), &[nova_entry("back", &url, PASSWORD)]);
    let client = spawn(
        &["serve"],
        &fx.env(&[("BACKUP_MCP_TIMEOUT_SECONDS", "5")]),
        &fx.log(),
    )
    .await;

    let out = call_ok(&client, "server_health", json!({})).await;
    assert_eq!(
        failures(&out["_meta"]),
        vec![("back".to_owned(), "unreachable".to_owned())]
    );

    let _stub = stub::start(
        port,
        &[("back", Behaviour::Healthy)],
        Duration::ZERO,
        PASSWORD,
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut reasons = Vec::new();
    loop {
        let out = call_ok(&client, "server_health", json!({})).await;
        if out["_meta"]["servers_succeeded"] == 1 {
            break;
        }
        reasons.extend(failures(&out["_meta"]).into_iter().map(|(_, r)| r));
        assert!(
            Instant::now() < deadline,
            "server never used again; reasons seen: {reasons:?}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // While it was backing off, calls said so instead of waiting.
    assert!(
        reasons
            .iter()
            .all(|r| r == "not_connected" || r == "unreachable"),
        "{reasons:?}"
    );
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_and_unknown_ids_are_tool_errors() {
    let fx = Fixture::new();
    write_credentials(&fx.creds(), &[]);
    let client = spawn(&[], &fx.env(&[]), &fx.log()).await;
    let msg = call_err(&client, "disconnect_server", json!({"server_id": 5})).await;
    assert!(msg.contains("server_id") || msg.contains("string"), "{msg}");
    let msg = call_err(&client, "server_health", json!({"server_id": "ghost"})).await;
    assert!(
        msg.contains("ghost") && msg.contains("list_servers"),
        "{msg}"
    );
    let info = call_ok(&client, "system_info", json!({})).await;
    assert!(
        info["next_step"]
            .as_str()
            .unwrap()
            .contains("backup-mcp login")
    );
    let msg = call_err(
        &client,
        "connect_server",
        json!({"base_url": "http://127.0.0.1:1/x"}),
    )
    .await;
    assert!(msg.contains("username"), "{msg}");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_and_disconnect_for_the_session() {
    let stub = stub::start(
        0,
        &[("ms1", Behaviour::Healthy), ("ms2", Behaviour::Healthy)],
        Duration::ZERO,
        PASSWORD,
    )
    .await;
    let fx = Fixture::new();
    write_credentials(
        &fx.creds(),
        &[nova_entry("saved", &stub.base_url("ms1"), PASSWORD)],
    );
    let client = spawn(&["serve"], &fx.env(&[]), &fx.log()).await;

    let out = call_ok(
        &client,
        "connect_server",
        json!({"server_id": "adhoc", "base_url": stub.base_url("ms2"), "username": "alice", "password": PASSWORD}),
    )
    .await;
    assert_eq!(out["status"], "up");
    assert_eq!(out["server"]["origin"], "session");
    assert!(!out.to_string().contains(PASSWORD));

    let msg = call_err(
        &client,
        "connect_server",
        json!({"server_id": "bad", "base_url": stub.base_url("ms2"), "username": "alice", "password": "nope-wrong"}),
    )
    .await;
    assert!(
        msg.contains("(auth)") && msg.contains("refused the credentials"),
        "{msg}"
    );
    let msg = call_err(&client, "connect_server", json!({"server_id": "adhoc", "base_url": stub.base_url("ms2"), "username": "alice", "password": PASSWORD})).await;
    assert!(msg.contains("already exists"), "{msg}");

    let health = call_ok(&client, "server_health", json!({})).await;
    assert_eq!(health["_meta"]["servers_succeeded"], 2);

    call_ok(&client, "disconnect_server", json!({"server_id": "adhoc"})).await;
    let out = call_ok(&client, "disconnect_server", json!({"server_id": "saved"})).await;
    assert!(out["message"].as_str().unwrap().contains("stays saved"));
    let list = call_ok(&client, "list_servers", json!({})).await;
    assert_eq!(list["count"], 1);
    assert_eq!(list["servers"][0]["status"], "disconnected");
    let health = call_ok(&client, "server_health", json!({})).await;
    assert_eq!(
        failures(&health["_meta"]),
        vec![("saved".to_owned(), "not_connected".to_owned())]
    );

    let out = call_ok(&client, "connect_server", json!({"server_id": "saved"})).await;
    assert_eq!(out["status"], "up");
    client.cancel().await.ok();
    assert!(!fx.stderr().contains(PASSWORD));
}

#[test]
fn invalid_settings_and_corrupt_credentials_refuse_to_start() {
    let fx = Fixture::new();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_backup-mcp"));
        cmd.arg("serve")
            .env_clear()
            .env("BACKUP_MCP_CREDENTIALS_FILE", fx.creds())
            .stdin(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };
    let out = run(&[("BACKUP_MCP_READONLY", "maybe")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("BACKUP_MCP_READONLY"));
    assert!(out.stdout.is_empty(), "nothing but MCP may go to stdout");

    std::fs::create_dir_all(fx.creds().parent().unwrap()).unwrap();
    std::fs::write(fx.creds(), "{not json").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(fx.creds(), std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&[]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("corrupt"));
}

#[tokio::test(flavor = "multi_thread")]
async fn connect_server_asks_for_missing_details_with_a_form_but_never_the_password() {
    let stub = stub::start(0, &[("ms1", Behaviour::Healthy)], Duration::ZERO, PASSWORD).await;
    let fx = Fixture::new();
    write_credentials(&fx.creds(), &[]);
    let details = json!({"base_url": stub.base_url("ms1"), "username": "alice"});
    // Answers the details form, and confirms (or not) sending the environment's password.
    let answer = move |confirm: bool| {
        let details = details.clone();
        FormFiller::new(move |message: &str| {
            let content = if message.contains("BACKUP_MCP_PASSWORD") {
                json!({"confirm": confirm})
            } else {
                details.clone()
            };
            ElicitResult::new(ElicitationAction::Accept).with_content(content)
        })
    };
    let form = answer(true);
    let asked = form.asked.clone();
    let env = fx.env(&[("BACKUP_MCP_PASSWORD", PASSWORD)]);
    let client = spawn_with(form, &["serve"], &env, &fx.log()).await;
    let info = call_ok(&client, "system_info", json!({})).await;
    assert_eq!(info["client"]["supports_elicitation"], true);

    let out = call_ok(&client, "connect_server", json!({"server_id": "viaform"})).await;
    assert_eq!(out["status"], "up");
    let asked = asked.lock().unwrap().clone();
    assert_eq!(
        asked.len(),
        2,
        "the details, then the confirmation of the password's target"
    );
    let fields = asked[0].1["properties"].as_object().unwrap();
    assert!(fields.contains_key("base_url") && fields.contains_key("username"));
    for (_, schema) in &asked {
        let fields = schema["properties"].as_object().unwrap();
        assert!(
            !fields.keys().any(|k| k.contains("pass")),
            "a form asked for a password: {fields:?}"
        );
    }
    assert!(
        asked[1].0.contains(&stub.base_url("ms1")),
        "the URL is shown: {}",
        asked[1].0
    );
    client.cancel().await.ok();

    // Not confirmed: the environment's password is sent nowhere.
    let client = spawn_with(answer(false), &["serve"], &env, &fx.log()).await;
    let msg = call_err(&client, "connect_server", json!({"server_id": "nope"})).await;
    assert!(msg.contains("was not sent"), "{msg}");
    client.cancel().await.ok();

    // A declined form refuses the call.
    let client = spawn_with(FormFiller::declining(), &["serve"], &fx.env(&[]), &fx.log()).await;
    let msg = call_err(&client, "connect_server", json!({"server_id": "x"})).await;
    assert!(msg.contains("declined"), "{msg}");
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_entry_with_a_broken_ca_is_reported_not_fatal() {
    let stub = stub::start(0, &[("ok", Behaviour::Healthy)], Duration::ZERO, PASSWORD).await;
    let fx = Fixture::new();
    let mut broken = nova_entry("broken", &stub.base_url("ok"), PASSWORD);
    broken["ca_cert_pem"] =
        json!("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    write_credentials(
        &fx.creds(),
        &[nova_entry("ok", &stub.base_url("ok"), PASSWORD), broken],
    );
    let client = spawn(&["serve"], &fx.env(&[]), &fx.log()).await;
    let out = call_ok(&client, "server_health", json!({})).await;
    assert_eq!(out["_meta"]["servers_succeeded"], 1);
    let failure = &out["_meta"]["failures"][0];
    assert_eq!(failure["server_id"], "broken");
    assert!(
        failure["error"]
            .as_str()
            .unwrap()
            .contains("CA certificate"),
        "{failure}"
    );
    let list = call_ok(&client, "list_servers", json!({})).await;
    assert_eq!(list["count"], 2);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn per_tool_metrics_go_to_influxdb_when_configured() {
    use wiremock::matchers::{header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let influx = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v2/write"))
        .and(query_param("org", "msp"))
        .and(query_param("bucket", "mcp"))
        .and(header("authorization", "Token influx-Token-77"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&influx)
        .await;
    let fx = Fixture::new();
    write_credentials(&fx.creds(), &[]);
    let env = fx.env(&[
        ("INFLUXDB_URL", &influx.uri()),
        ("INFLUXDB_ORG", "msp"),
        ("INFLUXDB_BUCKET", "mcp"),
        ("INFLUXDB_TOKEN", "influx-Token-77"),
    ]);
    let client = spawn(&["serve"], &env, &fx.log()).await;
    call_ok(&client, "system_info", json!({})).await;
    call_ok(&client, "server_health", json!({})).await;
    call_err(&client, "server_health", json!({"server_id": "ghost"})).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    let lines = loop {
        let received = influx.received_requests().await.unwrap_or_default();
        let lines: Vec<String> = received
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).into_owned())
            .collect();
        if lines.len() >= 3 || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("backup_mcp_tool,tool=system_info,outcome=ok duration_ms=")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(
            |l| l.contains("tool=server_health,outcome=ok") && l.contains("servers_queried=0i")
        ),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("tool=server_health,outcome=tool_error")),
        "{lines:?}"
    );
    client.cancel().await.ok();
    assert!(!fx.stderr().contains("influx-Token-77"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_disappears_after_login_backs_off() {
    let stub = stub::start(0, &[("gone", Behaviour::Healthy)], Duration::ZERO, PASSWORD).await;
    let fx = Fixture::new();
    write_credentials(
        &fx.creds(),
        &[nova_entry("gone", &stub.base_url("gone"), PASSWORD)],
    );
    let client = spawn(&["serve"], &fx.env(&[]), &fx.log()).await;
    let out = call_ok(&client, "list_groups", json!({})).await;
    assert_eq!(out["_meta"]["servers_succeeded"], 1, "{out}");
    drop(stub); // the server vanishes; the gateway still holds a valid token for it
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut reasons = Vec::new();
    for _ in 0..3 {
        let out = call_ok(&client, "list_groups", json!({})).await;
        reasons.push(failures(&out["_meta"])[0].1.clone());
    }
    // The first failure is retried at once, the second starts the back-off, and the cached
    // token must not reset it: the third call is told "not_connected" without waiting.
    assert_eq!(reasons, ["unreachable", "unreachable", "not_connected"]);
    client.cancel().await.ok();
}
