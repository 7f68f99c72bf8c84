//! Black-box tests of the credentials-file lock: many `backup-mcp login` / `logout` processes at
//! once lose no entry, and a lock that is never released gives a clear error after a bounded wait.

mod common;

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fs4::FileExt;

fn login_command(sb: &Sandbox, server: &wiremock::MockServer, id: &str) -> Command {
    let url = format!("{}/managementserver/", server.uri());
    let mut args = vec!["login"];
    args.extend(nova_login_args(id, &url, NOVA_USER));
    args.extend(["--credential-store", "file"]);
    let mut cmd = sb.command(&args);
    cmd.env("BACKUP_MCP_PASSWORD", NOVA_PASSWORD)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn logout_command(sb: &Sandbox, id: &str) -> Command {
    let mut cmd = sb.command(&["logout", id]);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd
}

/// Starts every command at once, then waits for all of them.
fn run_all(commands: Vec<Command>) -> Vec<Output> {
    let children: Vec<Child> = commands
        .into_iter()
        .map(|mut c| c.spawn().expect("spawn backup-mcp"))
        .collect();
    children
        .into_iter()
        .map(|c| c.wait_with_output().expect("wait"))
        .collect()
}

fn saved_ids(sb: &Sandbox) -> Vec<String> {
    let out = sb.run(&["list", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["server_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

fn ids(range: std::ops::Range<usize>) -> Vec<String> {
    let mut v: Vec<String> = range.map(|i| format!("ms{i:02}")).collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_logins_and_logouts_lose_nothing() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    const N: usize = 16;

    let outs = run_all(
        (0..N)
            .map(|i| login_command(&sb, &server, &format!("ms{i:02}")))
            .collect(),
    );
    for out in &outs {
        assert!(out.status.success(), "login failed: {}", stderr(out));
    }
    assert_eq!(saved_ids(&sb), ids(0..N), "every concurrent login was kept");

    // Half log out while as many new ones log in, all at once.
    let mut commands: Vec<Command> = (0..N / 2)
        .map(|i| logout_command(&sb, &format!("ms{i:02}")))
        .collect();
    commands.extend((N..N + N / 2).map(|i| login_command(&sb, &server, &format!("ms{i:02}"))));
    for out in run_all(commands) {
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(saved_ids(&sb), ids(N / 2..N + N / 2));
    assert_eq!(mode(&sb.credentials()), 0o600);
    let stray: Vec<_> = std::fs::read_dir(sb.config_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "no temporary files left: {stray:?}");
    for out in &outs {
        let text = format!("{}{}", stdout(out), stderr(out));
        assert!(!text.contains(NOVA_PASSWORD));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_fails_after_a_bounded_wait_with_a_clear_error() {
    let server = nova_login_double().await;
    let sb = Sandbox::new();
    let out = login_command(&sb, &server, "ms1").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let before = std::fs::read(sb.credentials()).unwrap();

    // Another process (this test) holds the lock and never lets go.
    let lock_path = sb.config_dir().join("credentials.json.lock");
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&lock_path)
        .expect("the lock file sits beside the credentials file");
    FileExt::lock(&held).unwrap();

    let started = Instant::now();
    let outs = run_all(vec![
        login_command(&sb, &server, "ms2"),
        logout_command(&sb, "ms1"),
    ]);
    let waited = started.elapsed();
    for out in &outs {
        assert!(!out.status.success(), "must fail while the lock is held");
        let err = stderr(out);
        assert!(err.contains("another backup-mcp is changing"), "{err}");
        assert!(err.contains(&lock_path.display().to_string()), "{err}");
        assert!(err.contains("gave up after 10s"), "{err}");
    }
    assert!(
        waited >= Duration::from_secs(10) && waited < Duration::from_secs(25),
        "bounded wait, took {waited:?}"
    );
    assert_eq!(
        std::fs::read(sb.credentials()).unwrap(),
        before,
        "unchanged"
    );

    FileExt::unlock(&held).unwrap();
    let out = login_command(&sb, &server, "ms2").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(saved_ids(&sb), ["ms1", "ms2"]);
}
