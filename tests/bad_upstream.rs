//! Bad answers from upstream servers become clear per-server failures in `_meta`, never a crash,
//! a hang or a silently missing server.

mod common;

use backup_mcp::doubles::novabackup::{InstanceConfig, NovaDouble, SAMPLE_USERS};
use common::backrest as br;
use common::mcp::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn malformed_json_and_errors_are_reported_per_server() {
    let nova = NovaDouble::start(vec![
        InstanceConfig::sample("/good"),
        InstanceConfig::sample("/cut"),
    ])
    .await
    .unwrap();
    nova.faults(1).truncated_body(true);
    let healthy = br::double("nas-ok", "Acme Dental");
    let garbled = br::double("nas-bad", "Blue Ridge Law");
    garbled.faults().set_malformed_json(true);
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials.json");
    let password = SAMPLE_USERS[0].1;
    write_credentials(
        &creds,
        &[
            nova_entry("good", &nova.base_url(0), password),
            nova_entry("cut", &nova.base_url(1), password),
            br::entry("nas-ok", &healthy.base_url(), None),
            br::entry("nas-bad", &garbled.base_url(), None),
        ],
    );
    let env = vec![("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string())];
    let client = spawn(&["serve"], &env, &home.path().join("err.log")).await;

    let out = call_ok(&client, "list_failing_jobs", json!({"window": "30d"})).await;
    let meta = &out["_meta"];
    assert_eq!(meta["servers_queried"], 4);
    assert_eq!(meta["servers_succeeded"], 2);
    let mut failed = failures(meta);
    failed.sort();
    assert_eq!(
        failed,
        vec![
            ("cut".to_owned(), "bad_response".to_owned()),
            ("nas-bad".to_owned(), "bad_response".to_owned())
        ]
    );
    for f in meta["failures"].as_array().unwrap() {
        assert!(!f["error"].as_str().unwrap().is_empty());
    }
    let servers: Vec<&str> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["server_id"].as_str().unwrap())
        .collect();
    assert!(
        servers.contains(&"good") && servers.contains(&"nas-ok"),
        "{servers:?}"
    );

    // The same for a kind-specific tool, and the server still answers once the fault is gone.
    let out = call_ok(&client, "list_agents", json!({})).await;
    assert_eq!(
        failures(&out["_meta"]),
        vec![("cut".to_owned(), "bad_response".to_owned())]
    );
    nova.faults(1).truncated_body(false);
    let out = call_ok(&client, "list_agents", json!({})).await;
    assert_eq!(out["_meta"]["servers_failed"], 0);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_answer_is_refused_not_buffered() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let huge = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(33 * 1024 * 1024)))
        .mount(&huge)
        .await;
    let sb = common::Sandbox::new();
    let out = sb.login(
        &[
            "--kind",
            "novabackup",
            "--server-id",
            "big",
            "--url",
            &huge.uri(),
            "--username",
            "u",
        ],
        "pw-big",
    );
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("larger than 32 MiB"), "{err}");
}
