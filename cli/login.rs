//! `backup-mcp login`: gather the entry, verify it against the server, then save it.

use std::path::PathBuf;

use backup_mcp::config::Settings;
use backup_mcp::store::{
    CredentialStore, SecretRef, ServerEntry, ServerKind, StoreChoice, validate_server_id,
};
use backup_mcp::upstream::check::{self, Target};
use backup_mcp::upstream::http;
use backup_mcp::upstream::tls::{Fingerprint, Trust};
use secrecy::{ExposeSecret, SecretString};

use crate::Failure;
use crate::input::{self, Question};

#[derive(clap::Args)]
pub struct LoginArgs {
    /// backrest or novabackup; probed when omitted (and again when the URL of a saved id changes).
    #[arg(long, value_parser = |s: &str| s.parse::<ServerKind>())]
    kind: Option<ServerKind>,
    /// Your name for this server (letters, digits, '_' and '-'). An id that is already saved is
    /// replaced.
    #[arg(long)]
    server_id: Option<String>,
    /// A free-text name for people, shown by `list` and the MCP tools `list_servers` and
    /// `system_info` (default: the server id).
    #[arg(long)]
    label: Option<String>,
    /// Base URL with https:// or http://, including any virtual directory (e.g.
    /// https://host/managementserver).
    #[arg(long)]
    url: Option<String>,
    /// User name; empty for a Backrest with authentication disabled.
    #[arg(long)]
    username: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    password_stdin: bool,
    /// The customer this server belongs to. Backrest: every row it returns carries this
    /// tenant_id, and BACKUP_MCP_ALLOWED_TENANTS checks writes against it (default: the server
    /// id). NovaBACKUP: rows carry the tenant of their group; this is only shown with the server.
    #[arg(long)]
    tenant: Option<String>,
    /// PEM file of the CA that signed the server's certificate, or of the server's own
    /// self-signed certificate, to trust for this server only (kept with the entry).
    #[arg(long, conflicts_with = "tls_fingerprint")]
    ca_cert: Option<PathBuf>,
    /// Accept exactly the server certificate with this SHA-256 fingerprint, whoever signed it:
    /// sha256:HEX, as `openssl x509 -noout -fingerprint -sha256 -in cert.pem` prints it (kept
    /// with the entry).
    #[arg(long, value_parser = |s: &str| s.parse::<Fingerprint>())]
    tls_fingerprint: Option<Fingerprint>,
    /// Where to keep the password: auto, keyring or file.
    #[arg(long, default_value = "auto", value_parser = crate::parse_store_choice)]
    credential_store: StoreChoice,
}

pub async fn run(
    args: LoginArgs,
    store: &CredentialStore,
    settings: &Settings,
) -> Result<(), Failure> {
    // Read the store first: a corrupt or too-open file stops us before any prompt.
    let saved = store.load()?;
    let server_id = Question::new("--server-id", "Server id")
        .check(|id| validate_server_id(id).map_err(|e| e.to_string()))
        .ask(args.server_id)?;
    let previous = saved.iter().find(|s| s.server_id == server_id);

    let url = Question::new("--url", "Server URL (https://...)")
        .default(previous.map(|p| p.base_url.clone()))
        .check(|url| backup_mcp::store::validate_base_url(url).map_err(|e| e.to_string()))
        .ask(args.url)?;
    let base = backup_mcp::store::entry::api_base(&url);
    // What was saved for the id applies only while it still names the same server.
    let same_server = previous.filter(|p| p.api_base() == base);
    if let Some(p) = previous {
        if same_server.is_none() {
            eprintln!(
                "{server_id} is saved for {}: replacing it with {url}",
                p.base_url
            );
        } else {
            eprintln!("{server_id} is already saved: replacing its entry");
        }
    }
    let (ca_cert_pem, tls_fingerprint) = match (args.ca_cert, args.tls_fingerprint) {
        (Some(path), _) => (
            Some(std::fs::read_to_string(&path).map_err(|e| {
                Failure::usage(format!("cannot read --ca-cert {}: {e}", path.display()))
            })?),
            None,
        ),
        (None, Some(fingerprint)) => (None, Some(fingerprint)),
        (None, None) => same_server
            .map(|p| (p.ca_cert_pem.clone(), p.tls_fingerprint))
            .unwrap_or_default(),
    };
    let trust = Trust {
        ca_cert_pem: ca_cert_pem.as_deref(),
        fingerprint: tls_fingerprint.as_ref(),
    };
    let client = http::build_client(trust)?;

    let kind = match args.kind.or(same_server.map(|p| p.kind)) {
        Some(kind) => kind,
        None => {
            let kind = check::detect_kind(&client, base, settings.timeout).await?;
            eprintln!("Detected a {} at {url}", kind.product());
            kind
        }
    };
    let mut username = Question::new("--username", "User name").default(
        previous
            .map(|p| p.username.clone())
            .filter(|u| !u.is_empty()),
    );
    if kind == ServerKind::Backrest {
        username.prompt = "User name (leave empty if Backrest's authentication is disabled)";
        username = username.allow_empty();
    }
    let username = username.ask(args.username)?;
    let needs_password = !(kind == ServerKind::Backrest && username.is_empty());
    let password = if needs_password {
        Some(input::password(args.password_stdin, false)?)
    } else {
        None
    };

    let target = Target {
        kind,
        base,
        username: &username,
        password: password.as_ref(),
    };
    let latency = check::verify(&client, &target, settings.timeout)
        .await
        .map_err(|e| {
            Failure::new(format!(
                "login to {server_id} failed, nothing was saved: {e}"
            ))
        })?;

    let entry = ServerEntry {
        label: args
            .label
            .or_else(|| previous.map(|p| p.label.clone()))
            .unwrap_or_else(|| server_id.clone()),
        tenant_id: args
            .tenant
            .or_else(|| previous.and_then(|p| p.tenant_id.clone())),
        server_id,
        kind,
        base_url: url,
        username,
        ca_cert_pem,
        tls_fingerprint,
        secret: SecretRef::None,
    };
    let password = password.filter(|p| !p.expose_secret().is_empty());
    save(store, entry, password, args.credential_store, latency).await
}

async fn save(
    store: &CredentialStore,
    entry: ServerEntry,
    password: Option<SecretString>,
    choice: StoreChoice,
    latency: std::time::Duration,
) -> Result<(), Failure> {
    let summary = format!(
        "{} ({}, {}) verified in {} ms",
        entry.server_id,
        entry.kind,
        entry.base_url,
        latency.as_millis()
    );
    let placement = store.upsert(entry, password, choice).await?;
    if let Some(note) = placement.note {
        eprintln!("note: {note}");
    }
    let place = match placement.store {
        "keyring" => "password in the OS keyring".to_owned(),
        "file" => format!("password in {}", store.path().display()),
        _ => "no password needed".to_owned(),
    };
    println!("Saved {summary}; {place}.");
    Ok(())
}

/// Only http(s) URLs without embedded credentials are accepted.
pub fn check_url(url: &str) -> Result<(), Failure> {
    backup_mcp::store::validate_base_url(url).map_err(|e| Failure::usage(format!("--url: {e}")))
}
