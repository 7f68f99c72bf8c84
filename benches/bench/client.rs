//! Spawning MCP servers (ours and the Node NovaBACKUP MCP) and measuring them from outside.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use rmcp::model::CallToolRequestParams;
use rmcp::service::RunningService;
use rmcp::transport::TokioChildProcess;
use rmcp::{RoleClient, ServiceExt};
use serde_json::Value;

pub type Client = RunningService<RoleClient, ()>;

/// A spawned MCP server with its process id.
pub struct Spawned {
    pub client: Client,
    pub pid: u32,
}

/// Spawns `program args` with exactly `env` (plus PATH and HOME) and completes the handshake.
pub async fn spawn(program: &Path, args: &[&str], env: &[(&str, String)]) -> Spawned {
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("BACKUP_MCP_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn MCP server");
    let pid = transport.id().expect("pid");
    let client = ().serve(transport).await.expect("handshake");
    Spawned { client, pid }
}

/// Calls a tool; a protocol error (e.g. an unknown tool) or a tool error is an `Err`.
pub async fn call(client: &Client, tool: &str, args: Value) -> Result<Value, String> {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    let result = client.call_tool(params).await.map_err(|e| e.to_string())?;
    let text = result
        .content
        .first()
        .and_then(|c| c.as_text())
        .map(|t| t.text.clone());
    if result.is_error == Some(true) {
        return Err(text.unwrap_or_default());
    }
    // Servers without structured content answer with JSON text.
    Ok(result
        .structured_content
        .or_else(|| text.and_then(|t| serde_json::from_str(&t).ok()))
        .unwrap_or(Value::Null))
}

/// Peak resident set size of a live process, in KiB (VmHWM).
pub fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Waits until `list_servers` shows every server up (ours only).
pub async fn wait_all_up(client: &Client, expected: usize, patience: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let list = call(client, "list_servers", serde_json::json!({}))
            .await
            .unwrap_or_default();
        let up = list["servers"]
            .as_array()
            .map(|s| s.iter().filter(|s| s["status"] == "up").count())
            .unwrap_or(0);
        if up == expected || started.elapsed() > patience {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Our release binary (built by `cargo bench` next to this harness).
pub fn our_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_backup-mcp"))
}

/// Writes a credentials file in our layout (0600).
pub fn write_our_credentials(path: &Path, servers: &[(String, String, &str, &str)]) {
    let entries: Vec<Value> = servers
        .iter()
        .map(|(id, url, user, password)| {
            serde_json::json!({"server_id": id, "kind": "novabackup", "label": id, "base_url": url,
                "username": user, "secret": {"store": "file", "password": password}})
        })
        .collect();
    write_private(path, &serde_json::json!({"version": 1, "servers": entries}));
}

/// Writes a credentials file in the Node NovaBACKUP MCP's layout (0600).
pub fn write_node_credentials(path: &Path, servers: &[(String, String, &str, &str)]) {
    let entries: Vec<Value> = servers
        .iter()
        .map(|(id, url, user, password)| {
            serde_json::json!({"server_id": id, "label": id, "base_url": url, "username": user, "password": password})
        })
        .collect();
    write_private(path, &serde_json::json!({"version": 1, "servers": entries}));
}

fn write_private(path: &Path, body: &Value) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, body.to_string()).expect("write credentials");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
}

/// The Node NovaBACKUP MCP's entry point, installed once into target/bench-node with npm.
pub fn node_server() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("bench-node");
    let entry = dir.join("node_modules/@novabackup/management-server-mcp/dist/index.js");
    if entry.exists() {
        return Ok(entry);
    }
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let status = std::process::Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "@novabackup/management-server-mcp@0.5.1",
        ])
        .current_dir(&dir)
        .status()
        .map_err(|e| format!("npm not available: {e}"))?;
    if status.success() && entry.exists() {
        Ok(entry)
    } else {
        Err(format!("npm install failed ({status})"))
    }
}
