//! Orientation tools: what this gateway is, which servers it knows, are they healthy, and
//! session-only connect/disconnect.

use crate::mcp::ids::Id;
use std::time::{Duration, Instant};

use rmcp::handler::server::wrapper::{Json, Parameters};
use rmcp::{Peer, RoleServer, tool, tool_router};
use schemars::JsonSchema;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::confirm::{PeerConfirmation, supports_forms};
use super::output::FanoutOutput;
use super::{Gateway, ToolError};
use crate::fanout::{self, Plan, Row};
use crate::fleet::{Origin, SecretSource, Selection, Server, ServerFailure, Status, probe};
use crate::policy::{HumanAnswer, HumanConfirmation};
use crate::store::{SecretRef, ServerEntry, ServerKind, validate_server_id};

#[derive(Debug, Serialize, JsonSchema)]
pub struct SystemInfo {
    pub product: String,
    pub version: String,
    /// True under `backup-mcp demo`: every server is simulated.
    pub demo: bool,
    /// read_only, read_write or read_write_destructive.
    pub mode: String,
    pub gates: Gates,
    pub client: ClientView,
    pub servers: Vec<Value>,
    /// The credentials file the saved servers are read from (null under `backup-mcp demo`).
    pub credentials_file: Option<String>,
    /// What to do first, when there is something obvious.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<String>,
    /// Settings that do not do what they seem to ask for, and the setting that would.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Gates {
    pub readonly: bool,
    pub allow_destructive: bool,
    /// `connect_server` is registered (`BACKUP_MCP_ALLOW_CONNECT`).
    pub allow_connect: bool,
    pub allowed_tenants: Option<Vec<String>>,
    pub allow_session_writes: bool,
    pub restore_allowed_prefix: String,
    pub audit_log: bool,
    pub fanout_concurrency: usize,
    pub timeout_seconds: u64,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientView {
    pub name: Option<String>,
    pub version: Option<String>,
    pub supports_elicitation: bool,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ServerList {
    pub count: usize,
    pub servers: Vec<Value>,
}

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct HealthArgs {
    /// Check only this server (default: every server).
    pub server_id: Option<Id>,
}

#[derive(Debug, Deserialize, JsonSchema, Default)]
pub struct ConnectArgs {
    /// Id for the new server (default: derived from the URL's host). Naming a saved server that
    /// was disconnected reconnects it.
    pub server_id: Option<Id>,
    pub label: Option<String>,
    /// novabackup (default) or backrest.
    pub kind: Option<String>,
    /// Base URL, including any virtual directory.
    pub base_url: Option<String>,
    pub username: Option<String>,
    /// Password; when omitted, BACKUP_MCP_PASSWORD from the server's environment is used.
    pub password: Option<String>,
    /// Tenant of a Backrest server (default: the server id).
    pub tenant_id: Option<Id>,
}

#[derive(Debug, Deserialize, JsonSchema)]
pub struct DisconnectArgs {
    pub server_id: Id,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct ConnectionChange {
    pub server_id: String,
    pub status: String,
    pub message: String,
    pub server: Value,
}

/// The form shown when `connect_server` lacks a URL or user name. Never a password.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct ConnectionForm {
    /// Base URL of the server, e.g. https://cmc.example.com/managementserver
    pub base_url: String,
    /// User name to log in with
    pub username: String,
}
rmcp::elicit_safe!(ConnectionForm);

#[tool_router(router = orientation_router, vis = "pub(super)")]
impl Gateway {
    #[tool(
        description = "What this gateway is: mode (read-only or not), every safety gate, the connected MCP client, and every server with its kind, tenant and status. Call first.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn system_info(&self, peer: Peer<RoleServer>) -> Json<SystemInfo> {
        let s = &self.ctx.settings;
        let mode = if s.destructive_enabled() {
            "read_write_destructive"
        } else if s.writes_enabled() {
            "read_write"
        } else {
            "read_only"
        };
        let info = peer.peer_info();
        let servers: Vec<Value> = self.ctx.fleet.all().iter().map(|s| s.describe()).collect();
        let next_step = servers.is_empty().then(|| {
            "No servers are saved. In a terminal run `backup-mcp login` for each server; the next call sees them (no restart needed).".to_owned()
        });
        Json(SystemInfo {
            product: "backup-mcp".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            demo: self.ctx.demo,
            mode: mode.into(),
            gates: Gates {
                readonly: s.readonly,
                allow_destructive: s.destructive_enabled(),
                allow_connect: s.allow_connect,
                allowed_tenants: s
                    .allowed_tenants
                    .as_ref()
                    .map(|t| t.iter().cloned().collect()),
                allow_session_writes: s.allow_session_writes,
                restore_allowed_prefix: s.restore_allowed_prefix.display().to_string(),
                audit_log: s.audit_log.is_some(),
                fanout_concurrency: s.fanout_concurrency,
                timeout_seconds: s.timeout.as_secs(),
            },
            client: ClientView {
                name: info.as_ref().map(|i| i.client_info.name.clone()),
                version: info.as_ref().map(|i| i.client_info.version.clone()),
                supports_elicitation: supports_forms(&peer),
            },
            servers,
            credentials_file: self
                .ctx
                .fleet
                .credentials_file()
                .map(|p| p.display().to_string()),
            next_step,
            warnings: s
                .ignored_destructive_gate()
                .into_iter()
                .map(str::to_owned)
                .collect(),
        })
    }

    #[tool(
        description = "Every known server (saved and session-only) with kind, tenant, URL and connection status (connecting, up, down with the reason, disconnected). Makes no network calls.",
        annotations(read_only_hint = true, open_world_hint = false)
    )]
    async fn list_servers(&self) -> Json<ServerList> {
        let servers: Vec<Value> = self.ctx.fleet.all().iter().map(|s| s.describe()).collect();
        Json(ServerList {
            count: servers.len(),
            servers,
        })
    }

    #[tool(
        description = "Checks servers now, concurrently: a fresh login plus one cheap read each, with latencies. Servers that fail are listed in _meta.failures with the reason.",
        annotations(read_only_hint = true, open_world_hint = true)
    )]
    async fn server_health(
        &self,
        Parameters(args): Parameters<HealthArgs>,
    ) -> Result<Json<FanoutOutput>, ToolError> {
        let servers = self.ctx.fleet.select(&Selection {
            server_id: args.server_id.as_deref(),
            ..Selection::default()
        })?;
        let plan = self.plan(None);
        let gathered = fanout::gather(servers, &plan, check_one).await;
        Ok(Json(FanoutOutput::from_gathered(
            gathered,
            fanout::MAX_LIMIT,
            None,
        )))
    }

    #[tool(
        description = "Connects a server for this session only (nothing is saved). kind defaults to novabackup. A missing base_url or username is asked for with a form when the client supports it; the password comes as an argument or from BACKUP_MCP_PASSWORD, never through a form. Naming a disconnected saved server reconnects it.",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            open_world_hint = true
        )
    )]
    async fn connect_server(
        &self,
        peer: Peer<RoleServer>,
        Parameters(args): Parameters<ConnectArgs>,
    ) -> Result<Json<ConnectionChange>, ToolError> {
        let disconnected = args
            .server_id
            .as_deref()
            .and_then(|id| self.ctx.fleet.get(id))
            .filter(|s| s.status() == Status::Disconnected && args.base_url.is_none());
        if let Some(server) = disconnected {
            server.reconnect();
            return self.finish_connect(server, "reconnected").await;
        }
        let kind = match args.kind.as_deref() {
            None => ServerKind::Novabackup,
            Some(k) => k
                .parse()
                .map_err(|e: String| ToolError::invalid("kind", e))?,
        };
        let (base_url, username) = self.connection_details(&peer, &args).await?;
        check_base_url(&base_url)?;
        let parsed = url::Url::parse(&base_url)
            .map_err(|e| ToolError::invalid("base_url", e.to_string()))?;
        crate::upstream::address::check_session_target(&parsed, self.ctx.settings.timeout)
            .await
            .map_err(|e| ToolError::Refused(format!("connect_server refused: {e}")))?;
        let server_id = match args.server_id {
            Some(id) => id.into_string(),
            None => derive_server_id(&base_url),
        };
        validate_server_id(&server_id)
            .map_err(|e| ToolError::invalid("server_id", e.to_string()))?;
        let from_environment = args.password.is_none();
        let password = args
            .password
            .or_else(|| std::env::var("BACKUP_MCP_PASSWORD").ok())
            .filter(|p| !p.is_empty())
            .map(SecretString::from);
        if password.is_none() && !(kind == ServerKind::Backrest && username.is_empty()) {
            return Err(ToolError::invalid(
                "password",
                "give it as the password argument or set BACKUP_MCP_PASSWORD in the server's environment (it is never asked for through a form)",
            ));
        }
        if password.is_some() && from_environment {
            confirm_environment_password(&peer, &base_url, &username).await?;
        }
        let entry = ServerEntry {
            label: args.label.unwrap_or_else(|| server_id.clone()),
            server_id,
            kind,
            base_url,
            username,
            tenant_id: args.tenant_id.map(Id::into_string),
            ca_cert_pem: None,
            tls_fingerprint: None,
            secret: SecretRef::None,
        };
        let server =
            self.ctx
                .fleet
                .insert(entry, Origin::Session, SecretSource::Known(password))?;
        self.finish_connect(server, "connected").await
    }

    #[tool(
        description = "Disconnects a server for the rest of this session. Session-only servers are forgotten; saved servers stay listed as disconnected (nothing on disk changes).",
        annotations(
            read_only_hint = false,
            destructive_hint = false,
            idempotent_hint = true,
            open_world_hint = false
        )
    )]
    async fn disconnect_server(
        &self,
        Parameters(args): Parameters<DisconnectArgs>,
    ) -> Result<Json<ConnectionChange>, ToolError> {
        let server = self
            .ctx
            .fleet
            .select(&Selection {
                server_id: Some(&args.server_id),
                ..Selection::default()
            })?
            .remove(0);
        server.disconnect();
        let message = match server.origin {
            Origin::Session => {
                self.ctx.fleet.remove(server.id());
                "forgotten for this session".to_owned()
            }
            Origin::Saved => {
                "disconnected for this session; it stays saved (use connect_server with this server_id to reconnect)".to_owned()
            }
        };
        Ok(Json(ConnectionChange {
            server_id: server.id().to_owned(),
            status: "disconnected".into(),
            message,
            server: server.describe(),
        }))
    }
}

impl Gateway {
    /// A fan-out plan from the settings.
    pub(super) fn plan(&self, tenants: Option<crate::tenants::TenantIds>) -> Plan {
        let s = &self.ctx.settings;
        Plan::new(s.timeout, s.server_timeout(), s.fanout_concurrency, tenants)
    }

    /// Logs the server in within the call's deadline; a failed new session server is dropped.
    async fn finish_connect(
        &self,
        server: std::sync::Arc<Server>,
        verb: &str,
    ) -> Result<Json<ConnectionChange>, ToolError> {
        let deadline = Instant::now() + self.ctx.settings.timeout;
        if let Err(failure) = server.connect(deadline).await {
            if server.origin == Origin::Session {
                self.ctx.fleet.remove(server.id());
                // The URL may have come from the model: say only what kind of failure it was, so
                // connect_server cannot read back any service's answer.
                return Err(ToolError::Upstream(format!(
                    "could not connect {} ({}): {}",
                    server.id(),
                    failure.reason.as_str(),
                    session_failure_text(failure.reason)
                )));
            }
            return Err(ToolError::Upstream(format!(
                "could not connect {} ({}): {}",
                server.id(),
                failure.reason.as_str(),
                failure.message
            )));
        }
        Ok(Json(ConnectionChange {
            server_id: server.id().to_owned(),
            status: "up".into(),
            message: format!("{verb} {} for this session", server.id()),
            server: server.describe(),
        }))
    }

    /// URL and user name from the arguments, or from a form when the client can show one.
    async fn connection_details(
        &self,
        peer: &Peer<RoleServer>,
        args: &ConnectArgs,
    ) -> Result<(String, String), ToolError> {
        if let (Some(url), Some(user)) = (&args.base_url, &args.username) {
            return Ok((url.clone(), user.clone()));
        }
        if !supports_forms(peer) {
            return Err(ToolError::invalid(
                if args.base_url.is_none() {
                    "base_url"
                } else {
                    "username"
                },
                "required (this client cannot show a form to ask for it)",
            ));
        }
        let form = peer
            .elicit_with_timeout::<ConnectionForm>(
                "Which server should backup-mcp connect to for this session? (The password is never asked here.)",
                Some(Duration::from_secs(300)),
            )
            .await
            .map_err(|e| ToolError::Refused(format!("no connection details: {e}")))?
            .ok_or_else(|| ToolError::Refused("no connection details were given".into()))?;
        Ok((
            args.base_url.clone().unwrap_or(form.base_url),
            args.username.clone().unwrap_or(form.username),
        ))
    }
}

/// The URL of a session connection may come from the model; before the operator's password from
/// `BACKUP_MCP_PASSWORD` is sent there, a person confirms the URL when the client can ask.
async fn confirm_environment_password(
    peer: &Peer<RoleServer>,
    base_url: &str,
    username: &str,
) -> Result<(), ToolError> {
    let shown_url = super::untrusted::sanitize_str(base_url);
    let shown_user = super::untrusted::sanitize_str(username);
    let question = format!(
        "Log in to {shown_url} as \"{shown_user}\" with the password from BACKUP_MCP_PASSWORD? Confirm only if you trust this address."
    );
    match PeerConfirmation(peer).ask(&question).await {
        HumanAnswer::Confirmed | HumanAnswer::NotSupported => Ok(()),
        HumanAnswer::Declined | HumanAnswer::Cancelled => Err(ToolError::Refused(format!(
            "the password from BACKUP_MCP_PASSWORD was not sent to {base_url}: the user declined"
        ))),
        HumanAnswer::Failed(why) => Err(ToolError::Refused(format!(
            "no confirmation to send the password from BACKUP_MCP_PASSWORD to {base_url} ({why})"
        ))),
    }
}

/// The fixed sentence shown for a failed session login, per reason: never the server's own text.
fn session_failure_text(reason: crate::upstream::FailureReason) -> &'static str {
    use crate::upstream::FailureReason as R;
    match reason {
        R::Auth => "the server refused the credentials",
        R::Timeout => "no answer before the deadline",
        R::Unreachable => {
            "nothing answered at that address (or its TLS certificate is not trusted)"
        }
        R::UpstreamError => "the server answered with an error status or a redirect",
        R::BadResponse => "the answer was not the API of the kind named",
        R::NotConnected => "the server is not connected",
        R::NotAttempted => "the call ended before the server was asked",
    }
}

/// One server's health check as a `server_health` row.
async fn check_one(
    server: std::sync::Arc<Server>,
    deadline: Instant,
) -> Result<Vec<Row>, ServerFailure> {
    let checked = probe::check(&server, deadline).await?;
    let mut fields = Map::new();
    fields.insert("kind".into(), json!(server.kind()));
    fields.insert("status".into(), json!("up"));
    fields.insert("latency_ms".into(), json!(checked.total.as_millis() as u64));
    fields.insert("login_ms".into(), json!(checked.login.as_millis() as u64));
    fields.insert("read_ms".into(), json!(checked.read.as_millis() as u64));
    Ok(vec![Row::new(server.tenant_for_display(), fields)])
}

fn check_base_url(url: &str) -> Result<(), ToolError> {
    crate::store::validate_base_url(url).map_err(|e| ToolError::invalid("base_url", e.to_string()))
}

/// `session-<host>` with anything outside the id alphabet replaced.
fn derive_server_id(url: &str) -> String {
    let host = url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "server".into());
    let cleaned: String = host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .take(56)
        .collect();
    format!("session-{cleaned}")
}
