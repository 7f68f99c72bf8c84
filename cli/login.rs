//! `backup-mcp login`: gather the entry, verify it against the server, then save it.

use std::path::PathBuf;

use backup_mcp::config::Settings;
use backup_mcp::store::{
    CredentialStore, SecretRef, ServerEntry, ServerKind, StoreChoice, validate_server_id,
};
use backup_mcp::upstream::check::{self, Target};
use backup_mcp::upstream::http;
use secrecy::{ExposeSecret, SecretString};

use crate::{Failure, input};

#[derive(clap::Args)]
pub struct LoginArgs {
    /// backrest or novabackup; probed when omitted.
    #[arg(long, value_parser = |s: &str| s.parse::<ServerKind>())]
    kind: Option<ServerKind>,
    /// Your name for this server (letters, digits, '_' and '-').
    #[arg(long)]
    server_id: Option<String>,
    /// A free-text label.
    #[arg(long)]
    label: Option<String>,
    /// Base URL, including any virtual directory (e.g. https://host/managementserver).
    #[arg(long)]
    url: Option<String>,
    /// User name; empty for a Backrest with authentication disabled.
    #[arg(long)]
    username: Option<String>,
    /// Read the password from the first line of stdin.
    #[arg(long)]
    password_stdin: bool,
    /// Tenant this (Backrest) server belongs to; defaults to the server id.
    #[arg(long)]
    tenant: Option<String>,
    /// PEM file of a CA to trust for this server.
    #[arg(long)]
    ca_cert: Option<PathBuf>,
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
    let server_id = input::text(args.server_id, "--server-id", "Server id", None)?;
    validate_server_id(&server_id).map_err(|e| Failure::usage(e.to_string()))?;
    let previous = saved.iter().find(|s| s.server_id == server_id);

    let url = input::text(
        args.url,
        "--url",
        "Server URL",
        previous.map(|p| p.base_url.clone()),
    )?;
    check_url(&url)?;
    let ca_cert_pem = match args.ca_cert {
        Some(path) => Some(std::fs::read_to_string(&path).map_err(|e| {
            Failure::usage(format!("cannot read --ca-cert {}: {e}", path.display()))
        })?),
        None => previous.and_then(|p| p.ca_cert_pem.clone()),
    };
    let client = http::build_client(ca_cert_pem.as_deref())?;
    let base = backup_mcp::store::entry::api_base(&url);

    let kind = match args.kind.or(previous.map(|p| p.kind)) {
        Some(kind) => kind,
        None => {
            let kind = check::detect_kind(&client, base, settings.timeout).await?;
            eprintln!("Detected a {} at {url}", kind.product());
            kind
        }
    };
    let username = input::text(
        args.username,
        "--username",
        "User name",
        previous.map(|p| p.username.clone()),
    )?;
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
