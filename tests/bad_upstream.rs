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

/// The same cap when the size is not declared: a chunked answer that goes on for 64 MiB is cut
/// off once it passes 32 MiB (the server sees the client hang up early), and the login says why.
#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_answer_past_the_cap_is_cut_off_while_it_streams() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    const CHUNK: usize = 1024 * 1024;
    const CHUNKS: usize = 64;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 64 * 1024];
        let _ = socket.read(&mut request).await;
        let head =
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ntransfer-encoding: chunked\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("{CHUNK:x}\r\n{}\r\n", "x".repeat(CHUNK));
        for _ in 0..CHUNKS {
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
            counter.fetch_add(CHUNK, Ordering::SeqCst);
        }
        let _ = socket.write_all(b"0\r\n\r\n").await;
    });
    let sb = common::Sandbox::new();
    let url = format!("http://127.0.0.1:{port}");
    let out = sb.login(&common::nova_login_args("big", &url, "u"), "pw-big");
    assert!(!out.status.success());
    let err = common::stderr(&out);
    assert!(err.contains("larger than 32 MiB"), "{err}");
    // The writer stops at its first failed write (the client hung up) or after the last chunk.
    tokio::time::timeout(std::time::Duration::from_secs(30), server)
        .await
        .expect("the stub server finished")
        .unwrap();
    let streamed = sent.load(Ordering::SeqCst);
    assert!(
        streamed < CHUNKS * CHUNK,
        "the whole {} MiB was read: {streamed} bytes",
        CHUNKS
    );
}
