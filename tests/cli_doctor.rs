//! Black-box tests of `backup-mcp doctor`: a saved server behind a wiremock double that is
//! healthy or whose data read fails, and client configs in a fake home that run this binary or
//! another one.

mod common;

use std::path::PathBuf;
use std::process::Output;

use backup_mcp::install::paths::{Client, Os, Roots, config_path};
use common::*;
use wiremock::matchers::{header_exists, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A Management Server whose login works and whose data read answers `status`.
async fn nova(status: u16) -> MockServer {
    let server = nova_login_double().await;
    let body = if status == 200 {
        r#"{"value": [{"GroupId": 1}]}"#
    } else {
        r#"{"title": "Internal Server Error", "status": 500, "detail": "database offline"}"#
    };
    Mock::given(method("GET"))
        .and(path("/managementserver/api/Groups"))
        .and(header_exists("authorization"))
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("content-type", "application/json")
                .set_body_string(body),
        )
        // Ahead of the healthy read that `nova_login_double` already answers.
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

fn login(sb: &Sandbox, server: &MockServer, id: &str) {
    let url = format!("{}/managementserver", server.uri());
    let out = sb.login(&nova_login_args(id, &url, NOVA_USER), NOVA_PASSWORD);
    assert!(out.status.success(), "{}", stderr(&out));
}

fn client_home(sb: &Sandbox) -> PathBuf {
    sb.dir.path().join("clients")
}

fn run(sb: &Sandbox, args: &[&str]) -> Output {
    let out = sb
        .command(args)
        .env("BACKUP_MCP_CLIENT_HOME", client_home(sb))
        .output()
        .expect("run backup-mcp");
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        !text.contains(NOVA_PASSWORD),
        "the password was printed:\n{text}"
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_healthy_setup_exits_0_and_says_where_everything_is() {
    let server = nova(200).await;
    let sb = Sandbox::new();
    login(&sb, &server, "ms1");
    let out = run(&sb, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    assert!(
        text.contains(&sb.credentials().display().to_string()),
        "{text}"
    );
    assert!(text.contains("1 in the file"), "{text}");
    let line = text
        .lines()
        .find(|l| l.contains("ms1"))
        .expect("a line for ms1");
    assert!(line.contains("OK") && line.contains("data read"), "{line}");
    assert!(line.contains("write rights"), "{line}");
    assert!(text.contains("No problems found"), "{text}");
    assert!(text.contains("not found"), "the clients are listed: {text}");

    // Installed in a client: it runs this binary, still healthy.
    assert!(run(&sb, &["install", "claude-desktop"]).status.success());
    let out = run(&sb, &["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("(this binary)"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_data_read_exits_1_and_names_the_fix() {
    let good = nova(200).await;
    let broken = nova(500).await;
    let sb = Sandbox::new();
    login(&sb, &good, "ms1");
    login(&sb, &broken, "ms2");
    let out = run(&sb, &["doctor"]);
    let text = stdout(&out);
    println!("{text}");
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text.lines().find(|l| l.starts_with("  ms2")).expect("ms2");
    assert!(
        line.contains("FAILED") && line.contains("data read"),
        "{line}"
    );
    assert!(
        line.contains("500") && line.contains("database offline"),
        "{line}"
    );
    assert!(
        text.contains("fix: check the Management Server at"),
        "{text}"
    );
    assert!(text.contains("backup-mcp test ms2"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("  ms1") && l.contains("OK"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_running_another_binary_is_reported() {
    let server = nova(200).await;
    let sb = Sandbox::new();
    login(&sb, &server, "ms1");
    let roots = Roots {
        home: client_home(&sb),
        ..Roots::default()
    };
    let config = config_path(Client::Cursor, Os::current(), &roots);
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        &config,
        r#"{"mcpServers": {"backup-mcp": {"command": "/opt/old/backup-mcp", "args": ["serve"]}}}"#,
    )
    .unwrap();
    let out = run(&sb, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("/opt/old/backup-mcp"), "{text}");
    assert!(text.contains("not this backup-mcp"), "{text}");
    assert!(text.contains("fix: backup-mcp install cursor"), "{text}");

    assert!(run(&sb, &["install", "cursor"]).status.success());
    let out = run(&sb, &["doctor"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));

    // A password put into the entry by hand, and an entry reading another store.
    let mut config_value: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&config).unwrap()).unwrap();
    config_value["mcpServers"]["backup-mcp"]["env"] = serde_json::json!({
        "BACKUP_MCP_PASSWORD": "typed-into-config-1",
        "BACKUP_MCP_CREDENTIALS_FILE": "/elsewhere/credentials.json",
    });
    std::fs::write(&config, config_value.to_string()).unwrap();
    let out = run(&sb, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("holds a password (BACKUP_MCP_PASSWORD)"),
        "{text}"
    );
    assert!(!text.contains("typed-into-config-1"), "{text}");
    assert!(
        text.contains("reads credentials from /elsewhere/credentials.json"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_password_and_an_empty_store_are_problems_with_their_commands() {
    let sb = Sandbox::new();
    let out = run(&sb, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("fix: backup-mcp login"),
        "{}",
        stdout(&out)
    );

    let server = nova(200).await;
    login(&sb, &server, "ms1");
    // The saved password stops working (changed on the server).
    let raw = std::fs::read_to_string(sb.credentials()).unwrap();
    std::fs::write(
        sb.credentials(),
        raw.replace(NOVA_PASSWORD, "rotated-away-1"),
    )
    .unwrap();
    let out = run(&sb, &["doctor"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("login failed"), "{text}");
    assert!(
        text.contains("fix: save the right password: backup-mcp login --server-id ms1"),
        "{text}"
    );
}
