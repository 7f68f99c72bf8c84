//! What a person at a terminal sees: `serve`/`demo` say what they are, and `login` prompts for
//! what its flags did not give, asking again after a bad answer. Driven on a real
//! pseudo-terminal (`common::pty`), and checked without one, where nothing may change.

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::mcp::{call_ok, spawn};
use common::*;

const WAIT: Duration = Duration::from_secs(20);
const HINT: &str = "MCP server waiting for an MCP client";

#[test]
fn demo_in_a_terminal_says_what_it_is_how_to_try_it_and_how_to_stop() {
    let sb = Sandbox::new();
    let mut term = pty::spawn(sb.command(&["demo"]));
    let hint = term.expect("to stop it.", WAIT);
    let line = hint.lines().find(|l| l.contains(HINT)).unwrap_or_else(|| {
        panic!("no hint line in {hint:?}");
    });
    assert!(
        line.contains("npx @modelcontextprotocol/inspector"),
        "{line}"
    );
    assert!(line.contains("backup-mcp demo"), "{line}");
    assert!(line.contains("Ctrl-C"), "{line}");
    // It is still running, waiting for a client.
    assert!(term.child.try_wait().unwrap().is_none());
    term.send("\x03");
    term.wait(WAIT);
}

#[test]
fn serve_started_by_a_client_prints_no_hint() {
    let sb = Sandbox::new();
    // stdin is a pipe that ends at once: the server stops at end of input.
    let out = sb
        .command(&["serve"])
        .stdin(Stdio::null())
        .output()
        .expect("run serve");
    let err = stderr(&out);
    assert!(!err.contains(HINT), "{err}");
    let mut term = pty::spawn(sb.command(&["serve"]));
    term.expect(HINT, WAIT);
    assert!(term.all().contains("inspector"));
}

#[test]
fn a_destructive_gate_without_writes_warns_at_start() {
    let sb = Sandbox::new();
    let run = |env: &[(&str, &str)]| {
        let mut cmd = sb.command(&["serve"]);
        cmd.envs(env.iter().copied()).stdin(Stdio::null());
        stderr(&cmd.output().expect("run serve"))
    };
    let err = run(&[("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true")]);
    let warning = err
        .lines()
        .find(|l| l.contains("warning"))
        .unwrap_or_else(|| panic!("no warning in {err:?}"));
    assert!(warning.contains("BACKUP_MCP_READONLY=false"), "{warning}");
    assert!(warning.contains("forget_snapshot"), "{warning}");
    let err = run(&[
        ("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true"),
        ("BACKUP_MCP_READONLY", "false"),
    ]);
    assert!(!err.contains("warning"), "{err}");
    assert!(!run(&[]).contains("warning"));
}

#[tokio::test(flavor = "multi_thread")]
async fn system_info_says_why_destructive_tools_are_off() {
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials.json").display().to_string();
    let log = home.path().join("err.log");
    let client = spawn(
        &["serve"],
        &[
            ("BACKUP_MCP_CREDENTIALS_FILE", creds.clone()),
            ("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true".into()),
        ],
        &log,
    )
    .await;
    let info = call_ok(&client, "system_info", serde_json::json!({})).await;
    assert_eq!(info["gates"]["allow_destructive"], false);
    let warnings = info["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 1, "{info}");
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("BACKUP_MCP_READONLY=false"),
        "{info}"
    );
    client.cancel().await.unwrap();
    let client = spawn(&["serve"], &[("BACKUP_MCP_CREDENTIALS_FILE", creds)], &log).await;
    let info = call_ok(&client, "system_info", serde_json::json!({})).await;
    assert!(info.get("warnings").is_none(), "{info}");
    client.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn interactive_login_saves_a_backrest_without_auth_and_asks_again_for_a_bare_url() {
    let server = backrest_open_double().await;
    let address = server.uri().trim_start_matches("http://").to_owned();
    let sb = Sandbox::new();
    let mut term = pty::spawn(sb.command(&["login", "--credential-store", "file"]));
    term.expect("Server id", WAIT);
    term.send("open1\r");
    term.expect("Server URL", WAIT);
    // No scheme: told what to add, then asked again (not aborted).
    term.send(&format!("{address}\r"));
    let shown = term.expect("add https://", WAIT);
    assert!(!shown.contains("relative URL"), "{shown}");
    term.expect("Server URL", WAIT);
    term.send(&format!("http://{address}\r"));
    term.expect("Detected a Backrest server", WAIT);
    term.expect("leave empty if Backrest's authentication is disabled", WAIT);
    term.send("\r");
    term.expect("Saved open1", WAIT);
    assert!(term.wait(WAIT), "{}", term.all());
    let file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(sb.credentials()).unwrap()).unwrap();
    let entry = &file["servers"][0];
    assert_eq!(entry["kind"], "backrest");
    assert_eq!(entry["username"], "");
    assert_eq!(entry["secret"]["store"], "none");
    assert_eq!(entry["base_url"], format!("http://{address}"));
}
