//! Hostile servers answering huge bodies cannot take the gateway's memory: all answers being read
//! at once share one budget (`BACKUP_MCP_BODY_BUDGET_MB`) on top of the 32 MiB per-answer cap,
//! and the servers that cannot get memory fail with a clear reason. Peak memory is measured on
//! the child process itself (`VmHWM`).

mod common;

use std::sync::OnceLock;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::mcp::*;
use serde_json::{Value, json};

const MIB: usize = 1024 * 1024;

/// `{"value":[` + ~30 MB of spaces + `]}`: valid, and parsed into almost nothing, so the memory
/// measured is the bodies'.
fn thirty_mb() -> Bytes {
    static BODY: OnceLock<Bytes> = OnceLock::new();
    BODY.get_or_init(|| padded(30 * MIB)).clone()
}

fn padded(size: usize) -> Bytes {
    let mut body = Vec::with_capacity(size);
    body.extend_from_slice(br#"{"value":["#);
    body.resize(size - 2, b' ');
    body.extend_from_slice(b"]}");
    Bytes::from(body)
}

/// The body in 64 KiB chunks without a length (`Transfer-Encoding: chunked`).
fn chunked(body: Bytes) -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = (0..body.len())
        .step_by(64 * 1024)
        .map(|at| Ok(body.slice(at..(at + 64 * 1024).min(body.len()))))
        .collect();
    (
        [("content-type", "application/json")],
        Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response()
}

/// A Management Server whose logins work and whose `/api/Groups` answers `body` under every
/// prefix starting with `chunked` in chunks, and with a Content-Length otherwise.
async fn hostile(body: fn() -> Bytes) -> std::net::SocketAddr {
    let app = Router::new()
        .route(
            "/{prefix}/api/Account/Authenticate",
            post(|| async { common::jwt("hostile") }),
        )
        .route(
            "/{prefix}/api/Groups",
            get(move |Path(prefix): Path<String>| async move {
                if prefix.starts_with("chunked") {
                    chunked(body())
                } else {
                    ([("content-type", "application/json")], body()).into_response()
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    addr
}

/// The pid of the gateway started with this credentials file (its environment names it).
fn gateway_pid(creds: &std::path::Path) -> u32 {
    let wanted = format!("BACKUP_MCP_CREDENTIALS_FILE={}", creds.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|env| env.split(|b| *b == 0).any(|kv| kv == wanted.as_bytes()))
                .unwrap_or(false)
        })
        .expect("the gateway's process")
}

/// The process's peak resident memory, in MiB.
fn peak_rss_mib(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib / 1024
}

struct Gateway {
    client: Client,
    pid: u32,
    _home: tempfile::TempDir,
}

async fn gateway(
    addr: std::net::SocketAddr,
    prefixes: &[String],
    extra: &[(&str, &str)],
) -> Gateway {
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials.json");
    let entries: Vec<Value> = prefixes
        .iter()
        .map(|p| nova_entry(p, &format!("http://{addr}/{p}"), "pw-hostile"))
        .collect();
    write_credentials(&creds, &entries);
    let mut env = vec![
        ("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string()),
        ("BACKUP_MCP_TIMEOUT_SECONDS", "20".to_owned()),
    ];
    env.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let client = spawn(&["serve"], &env, &home.path().join("err.log")).await;
    let pid = gateway_pid(&creds);
    Gateway {
        client,
        pid,
        _home: home,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_thirty_megabyte_answers_stay_within_the_budget() {
    let addr = hostile(thirty_mb).await;
    let prefixes: Vec<String> = (0..8)
        .flat_map(|i| [format!("chunked{i}"), format!("sized{i}")])
        .collect();
    let budget_mib = 64;
    let gw = gateway(addr, &prefixes, &[("BACKUP_MCP_BODY_BUDGET_MB", "64")]).await;

    let out = call_ok(&gw.client, "list_groups", json!({})).await;
    let meta = &out["_meta"];
    assert_eq!(meta["servers_queried"], 16, "{meta}");
    let succeeded = meta["servers_succeeded"].as_u64().unwrap();
    assert!(
        succeeded >= 1,
        "the budget is reused as answers finish: {meta}"
    );
    for f in meta["failures"].as_array().unwrap() {
        let (reason, error) = (f["reason"].as_str().unwrap(), f["error"].as_str().unwrap());
        assert_eq!(reason, "bad_response", "{f}");
        assert!(
            error.contains("memory for answers being read (64 MiB, BACKUP_MCP_BODY_BUDGET_MB)"),
            "{error}"
        );
    }
    let peak = peak_rss_mib(gw.pid);
    eprintln!(
        "budget {budget_mib} MiB: {succeeded} of 16 answered, {} refused, peak RSS {peak} MiB",
        16 - succeeded
    );
    // 16 answers of 30 MB would be 480 MiB and more; the budget plus the process's own memory
    // is far less.
    assert!(peak < budget_mib + 100, "peak RSS {peak} MiB");

    // Still serving, and the budget came back: a second call is answered the same way.
    let again = call_ok(&gw.client, "list_groups", json!({})).await;
    assert!(again["_meta"]["servers_succeeded"].as_u64().unwrap() >= 1);
    for _ in 0..3 {
        call_ok(&gw.client, "list_groups", json!({})).await;
    }
    let peak = peak_rss_mib(gw.pid);
    eprintln!("after five calls: peak RSS {peak} MiB");
    assert!(
        peak < budget_mib + 100,
        "peak RSS {peak} MiB after five calls"
    );
    gw.client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chunked_answer_over_32_mib_is_refused_not_buffered() {
    fn too_big() -> Bytes {
        static BODY: OnceLock<Bytes> = OnceLock::new();
        BODY.get_or_init(|| padded(33 * MIB)).clone()
    }
    let addr = hostile(too_big).await;
    let gw = gateway(addr, &["chunked-big".to_owned()], &[]).await;
    let out = call_ok(&gw.client, "list_groups", json!({})).await;
    let f = &out["_meta"]["failures"][0];
    assert_eq!(f["reason"], "bad_response", "{f}");
    assert!(
        f["error"].as_str().unwrap().contains("larger than 32 MiB"),
        "{f}"
    );
    let peak = peak_rss_mib(gw.pid);
    eprintln!("33 MB chunked answer: peak RSS {peak} MiB");
    assert!(peak < 32 + 100, "peak RSS {peak} MiB");
    gw.client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_larger_than_the_whole_budget_is_refused_at_once() {
    let addr = hostile(thirty_mb).await;
    let gw = gateway(
        addr,
        &["sized-a".to_owned(), "chunked-a".to_owned()],
        &[("BACKUP_MCP_BODY_BUDGET_MB", "16")],
    )
    .await;
    let out = call_ok(&gw.client, "list_groups", json!({})).await;
    let meta = &out["_meta"];
    assert_eq!(meta["servers_failed"], 2, "{meta}");
    let errors: Vec<&str> = meta["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["error"].as_str().unwrap())
        .collect();
    assert!(
        errors.iter().any(|e| e
            == &"the answer (30 MiB) did not fit in the gateway's memory for answers being read (16 MiB, BACKUP_MCP_BODY_BUDGET_MB): it is larger than the whole budget"),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .all(|e| e.contains("16 MiB, BACKUP_MCP_BODY_BUDGET_MB")),
        "{errors:?}"
    );
    gw.client.cancel().await.ok();
}
