//! Black-box attacks on the audit log: a full disk, an outcome line that cannot be written, and a
//! path that is a FIFO, a symlink, a directory or a device. No write may reach Backrest without
//! its intent line on disk, a done write is never reported as an error, and the server never
//! freezes.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backup_mcp::doubles::backrest::{BackrestDouble, Faults};
use common::backrest::*;
use common::mcp::*;
use serde_json::{Value, json};

/// The write RPCs; none may arrive when the audit log cannot take the intent line.
const WRITE_RPCS: [&str; 5] = ["Backup", "DoRepoTask", "Cancel", "Forget", "Restore"];

fn writes_received(d: &BackrestDouble) -> usize {
    WRITE_RPCS.iter().map(|m| d.state().bodies(m).len()).sum()
}

fn write_env(home: &Home, audit: &Path) -> Vec<(&'static str, String)> {
    home.env(&[
        ("BACKUP_MCP_READONLY", "false".into()),
        ("BACKUP_MCP_AUDIT_LOG", audit.display().to_string()),
    ])
}

/// The three write calls, each of which must be refused here.
fn write_calls() -> [(&'static str, Value); 3] {
    [
        (
            "trigger_backup",
            json!({"server_id": "br-a", "plan_id": "daily-home"}),
        ),
        (
            "do_repo_task",
            json!({"server_id": "br-a", "repo_id": "nas-local", "task": "check"}),
        ),
        (
            "cancel_operation",
            json!({"server_id": "br-a", "operation_id": "1"}),
        ),
    ]
}

/// A 16 KiB tmpfs, unmounted when dropped.
struct SmallDisk {
    dir: PathBuf,
}

impl SmallDisk {
    /// `None` when this machine does not let us mount (not root).
    fn mount(at: PathBuf) -> Option<SmallDisk> {
        std::fs::create_dir(&at).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
            .arg(&at)
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(SmallDisk { dir: at })
    }

    /// Fills every free byte with a filler file.
    fn fill(&self) {
        use std::io::Write;
        let mut f = std::fs::File::create(self.dir.join("filler")).unwrap();
        while f.write_all(&[0u8; 512]).is_ok() {}
        assert!(
            std::fs::write(self.dir.join("probe"), b"x").is_err(),
            "the disk is full"
        );
    }

    fn free(&self) {
        std::fs::remove_file(self.dir.join("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_refuses_the_write_before_anything_is_sent() {
    let d = double("nas01", "acme");
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let Some(disk) = SmallDisk::mount(home.dir.path().join("small")) else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let audit = disk.dir.join("audit.jsonl");
    std::fs::write(&audit, b"").unwrap();
    std::fs::set_permissions(&audit, std::fs::Permissions::from_mode(0o600)).unwrap();
    disk.fill();

    let client = spawn(&["serve"], &write_env(&home, &audit), &home.log()).await;
    for (tool, args) in write_calls() {
        let msg = call_err(&client, tool, args).await;
        assert!(msg.contains("nothing was sent"), "{tool}: {msg}");
        assert!(msg.contains("No space left"), "{tool}: {msg}");
    }
    assert_eq!(writes_received(&d), 0, "no write reached Backrest");
    assert_eq!(std::fs::read(&audit).unwrap(), b"");
    // The server keeps answering reads.
    call_ok(&client, "get_summary", json!({})).await;

    // With room again the same write goes through, intent first.
    disk.free();
    let out = call_ok(
        &client,
        "trigger_backup",
        json!({"server_id": "br-a", "plan_id": "daily-home"}),
    )
    .await;
    assert!(out.get("audit_warning").is_none(), "{out}");
    let lines = audit_lines_of(&audit);
    assert_eq!(lines.len(), 2, "{lines:#?}");
    assert_eq!(lines[0]["phase"], "intent");
    assert_eq!(lines[1]["phase"], "outcome");
    assert_eq!(lines[1]["operation_id"], out["operation_id"]);
    assert_eq!(lines[0]["attempt"], lines[1]["attempt"]);
    client.cancel().await.ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_outcome_line_still_reports_the_done_write_with_a_warning() {
    // The repo task answers slowly, so the log can break between intent and outcome.
    let d = double_with("nas01", "acme", |mut c| {
        c.faults = Faults {
            latency: Duration::from_millis(1500),
            only_methods: Some(vec!["DoRepoTask".into()]),
            ..Faults::default()
        };
        c
    });
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let audit = home.audit();
    let client = spawn(&["serve"], &write_env(&home, &audit), &home.log()).await;

    let peer = client.peer().clone();
    let call = tokio::spawn(async move {
        let params = rmcp::model::CallToolRequestParams::new("do_repo_task").with_arguments(
            json!({"server_id": "br-a", "repo_id": "nas-local", "task": "prune"})
                .as_object()
                .cloned()
                .unwrap(),
        );
        peer.call_tool(params).await.expect("tools/call")
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&audit)
        .unwrap_or_default()
        .contains("\"phase\":\"intent\"")
    {
        assert!(Instant::now() < deadline, "no intent line");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The log goes away (a rotation gone wrong): a directory now sits at its path.
    let rotated = home.dir.path().join("audit.rotated");
    std::fs::rename(&audit, &rotated).unwrap();
    std::fs::create_dir(&audit).unwrap();

    let result = call.await.unwrap();
    assert_ne!(result.is_error, Some(true), "{:?}", result.content);
    let out = result.structured_content.unwrap();
    let op = out["operation_id"]
        .as_str()
        .expect("the operation id")
        .to_owned();
    let warning = out["audit_warning"].as_str().expect("a warning");
    assert!(
        warning.contains("audit outcome line could not be written"),
        "{warning}"
    );
    assert!(
        warning.contains(&op) && warning.contains("Do not repeat"),
        "{warning}"
    );
    assert_eq!(d.state().bodies("DoRepoTask").len(), 1, "sent exactly once");
    let lines = audit_lines_of(&rotated);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["phase"], "intent");
    assert_eq!(lines[0]["tool"], "do_repo_task");

    // The next write finds no log it can use and is refused before sending.
    let msg = call_err(
        &client,
        "do_repo_task",
        json!({"server_id": "br-a", "repo_id": "nas-local", "task": "check"}),
    )
    .await;
    assert!(
        msg.contains("a directory") && msg.contains("nothing was sent"),
        "{msg}"
    );
    assert_eq!(d.state().bodies("DoRepoTask").len(), 1);
    client.cancel().await.ok();
}

/// Creates a FIFO with mkfifo(1).
fn mkfifo(path: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "mkfifo");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_must_be_a_regular_file_of_ours() {
    let d = double("nas01", "acme");
    let home = Home::new();
    write_credentials(&home.creds(), &[entry("br-a", &d.base_url(), Some("acme"))]);
    let dir = home.dir.path();

    let fifo = dir.join("audit.fifo");
    mkfifo(&fifo);
    // A FIFO that somebody reads: opening it for writing would not fail on its own.
    let read_fifo = dir.join("read.fifo");
    mkfifo(&read_fifo);
    let (tx, got) = std::sync::mpsc::channel();
    let reader_path = read_fifo.clone();
    std::thread::spawn(move || {
        let read = std::fs::read(&reader_path).map(|b| b.len());
        let _ = tx.send(read.ok());
    });
    let target = dir.join("precious.conf");
    std::fs::write(&target, b"keep me\n").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
    let link = dir.join("audit.link");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let directory = dir.join("audit.dir");
    std::fs::create_dir(&directory).unwrap();

    let cases = [
        (fifo, "a FIFO"),
        (read_fifo, "a FIFO"),
        (link, "a symbolic link"),
        (directory, "a directory"),
        (PathBuf::from("/dev/null"), "a device"),
    ];
    for (path, what) in &cases {
        let client = spawn(&["serve"], &write_env(&home, path), &home.log()).await;
        for (tool, args) in write_calls() {
            let started = Instant::now();
            let msg = call_err(&client, tool, args).await;
            assert!(
                started.elapsed() < Duration::from_secs(3),
                "{path:?}: refused quickly"
            );
            assert!(
                msg.contains(what) && msg.contains("not a regular file"),
                "{path:?}: {msg}"
            );
            assert!(msg.contains("nothing was sent"), "{path:?}: {msg}");
        }
        // The server keeps answering.
        let servers = call_ok(&client, "list_servers", json!({})).await;
        assert_eq!(servers["count"], 1);
        client.cancel().await.ok();
    }
    assert_eq!(writes_received(&d), 0);
    assert_eq!(
        std::fs::read(&target).unwrap(),
        b"keep me\n",
        "target untouched"
    );
    let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "the symlink's target was not chmodded");
    // The reader saw the FIFO opened and closed without a byte written.
    if let Ok(read) = got.recv_timeout(Duration::from_secs(2)) {
        assert_eq!(read, Some(0), "nothing was written into the FIFO");
    }
}
