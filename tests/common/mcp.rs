//! Talking MCP to the built binary with rmcp's own client over stdio.

use std::path::Path;
use std::process::Stdio;

use std::sync::{Arc, Mutex};

use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, ElicitRequestParams,
    Implementation,
};
pub use rmcp::model::{ElicitResult, ElicitationAction};
use rmcp::service::{RequestContext, RunningService};
use rmcp::transport::TokioChildProcess;
use rmcp::{ClientHandler, RoleClient, ServiceExt};
use serde_json::Value;

pub type Client = RunningService<RoleClient, ()>;
pub type FormClient = RunningService<RoleClient, FormFiller>;

/// A client that can show forms: answers every elicitation with `reply` and records what was
/// asked, so tests can check the questions (and that no password is ever asked for).
#[derive(Clone)]
pub struct FormFiller {
    pub reply: Arc<dyn Fn(&str) -> ElicitResult + Send + Sync>,
    pub asked: Arc<Mutex<Vec<(String, Value)>>>,
}

impl FormFiller {
    pub fn new(reply: impl Fn(&str) -> ElicitResult + Send + Sync + 'static) -> Self {
        FormFiller {
            reply: Arc::new(reply),
            asked: Arc::default(),
        }
    }

    /// Accepts every form with `content`.
    pub fn accepting(content: Value) -> Self {
        Self::new(move |_| {
            ElicitResult::new(ElicitationAction::Accept).with_content(content.clone())
        })
    }

    pub fn declining() -> Self {
        Self::new(|_| ElicitResult::new(ElicitationAction::Decline))
    }
}

impl ClientHandler for FormFiller {
    async fn create_elicitation(
        &self,
        request: ElicitRequestParams,
        _context: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, rmcp::ErrorData> {
        let (message, schema) = match &request {
            ElicitRequestParams::FormElicitationParams {
                message,
                requested_schema,
                ..
            } => (
                message.clone(),
                serde_json::to_value(requested_schema).unwrap(),
            ),
            _ => (String::new(), Value::Null),
        };
        let result = (self.reply)(&message);
        self.asked.lock().unwrap().push((message, schema));
        Ok(result)
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("form-client", "1.0"),
        )
    }
}

/// One saved NovaBACKUP server for a hand-written credentials file.
pub fn nova_entry(server_id: &str, base_url: &str, password: &str) -> Value {
    serde_json::json!({
        "server_id": server_id, "kind": "novabackup", "label": server_id, "base_url": base_url,
        "username": "alice", "secret": {"store": "file", "password": password}
    })
}

/// Writes a version-1 credentials file with mode 0600.
pub fn write_credentials(path: &Path, servers: &[Value]) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let body = serde_json::json!({"version": 1, "servers": servers});
    std::fs::write(path, body.to_string()).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Spawns `backup-mcp <args>` with exactly `env` (plus PATH) and connects an MCP client to it.
/// stderr goes to `stderr_log` so tests can scan it.
/// `serve` over a credentials file holding `servers`, in the throwaway home `home`.
pub async fn serve_saved(home: &Path, servers: &[Value]) -> Client {
    let creds = home.join("credentials.json");
    write_credentials(&creds, servers);
    let env = vec![
        ("BACKUP_MCP_CREDENTIALS_FILE", creds.display().to_string()),
        ("HOME", home.display().to_string()),
    ];
    spawn(&["serve"], &env, &home.join("err.log")).await
}

pub async fn spawn(args: &[&str], env: &[(&str, String)], stderr_log: &Path) -> Client {
    spawn_with((), args, env, stderr_log).await
}

/// Like [`spawn`], with a client handler of the test's choosing.
pub async fn spawn_with<H: ClientHandler>(
    handler: H,
    args: &[&str],
    env: &[(&str, String)],
    stderr_log: &Path,
) -> RunningService<RoleClient, H> {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_backup-mcp"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let log = std::fs::File::create(stderr_log).unwrap();
    let (transport, _) = TokioChildProcess::builder(cmd)
        .stderr(Stdio::from(log))
        .spawn()
        .expect("spawn backup-mcp");
    handler.serve(transport).await.expect("MCP handshake")
}

/// Calls a tool and returns the raw result.
pub async fn call<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    args: Value,
) -> CallToolResult {
    let params = CallToolRequestParams::new(tool.to_owned())
        .with_arguments(args.as_object().cloned().unwrap_or_default());
    client.call_tool(params).await.expect("tools/call")
}

/// Calls a tool that must succeed and returns its structured content, checking that the text
/// block carries the same JSON.
pub async fn call_ok<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    args: Value,
) -> Value {
    let result = call(client, tool, args).await;
    assert_ne!(
        result.is_error,
        Some(true),
        "{tool} failed: {:?}",
        result.content
    );
    let structured = result
        .structured_content
        .clone()
        .expect("structuredContent");
    let text = result.content[0]
        .as_text()
        .expect("text block")
        .text
        .clone();
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        structured,
        "text and structured differ"
    );
    structured
}

/// Calls a tool that must fail in-band and returns its message.
pub async fn call_err<H: ClientHandler>(
    client: &RunningService<RoleClient, H>,
    tool: &str,
    args: Value,
) -> String {
    let result = call(client, tool, args).await;
    assert_eq!(
        result.is_error,
        Some(true),
        "{tool} should fail: {:?}",
        result.structured_content
    );
    result.content[0].as_text().expect("text").text.clone()
}

/// The failures of a coverage block as (server_id, reason) pairs.
pub fn failures(meta: &Value) -> Vec<(String, String)> {
    meta["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["server_id"].as_str().unwrap().to_owned(),
                f["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
