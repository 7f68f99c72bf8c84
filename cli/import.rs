//! `backup-mcp import-novabackup [PATH]`: bring over the NovaBACKUP MCP's saved servers.

use std::path::PathBuf;

use backup_mcp::config::Settings;
use backup_mcp::store::{
    CredentialStore, SecretRef, ServerEntry, ServerKind, StoreChoice, validate_server_id,
};
use backup_mcp::upstream::check::{self, Target};
use backup_mcp::upstream::http;
use secrecy::SecretString;
use serde::Deserialize;

use crate::Failure;
use crate::login::check_url;

#[derive(clap::Args)]
pub struct ImportArgs {
    /// Defaults to ~/.novabackup-mcp/credentials.json.
    path: Option<PathBuf>,
    /// Where to keep the passwords: auto, keyring or file.
    #[arg(long, default_value = "auto", value_parser = crate::parse_store_choice)]
    credential_store: StoreChoice,
}

/// The NovaBACKUP MCP's file layout.
#[derive(Deserialize)]
struct SourceFile {
    #[serde(default)]
    servers: Vec<SourceEntry>,
}

#[derive(Deserialize)]
struct SourceEntry {
    server_id: String,
    #[serde(default)]
    label: Option<String>,
    base_url: String,
    #[serde(default)]
    username: String,
    password: SecretString,
}

pub async fn run(
    args: ImportArgs,
    store: &CredentialStore,
    settings: &Settings,
) -> Result<(), Failure> {
    let path = match args.path {
        Some(p) => p,
        None => directories::BaseDirs::new()
            .map(|d| {
                d.home_dir()
                    .join(".novabackup-mcp")
                    .join("credentials.json")
            })
            .ok_or_else(|| Failure::usage("no home directory; pass the file's PATH"))?,
    };
    let bytes = std::fs::read(&path)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))?;
    let source: SourceFile = serde_json::from_slice(&bytes).map_err(|e| {
        Failure::new(format!(
            "{} is not a NovaBACKUP MCP credentials file (line {}, column {})",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    store.load()?; // refuse early if our own store is unusable
    let total = source.servers.len();
    let mut failed = 0;
    for item in source.servers {
        let id = item.server_id.clone();
        match import_one(item, store, settings, args.credential_store).await {
            Ok(place) => println!("{id}: imported ({place})"),
            Err(message) => {
                failed += 1;
                println!("{id}: FAILED, not imported: {message}");
            }
        }
    }
    println!(
        "{} of {total} imported from {}",
        total - failed,
        path.display()
    );
    if failed > 0 {
        return Err(Failure::new(String::new()));
    }
    Ok(())
}

async fn import_one(
    item: SourceEntry,
    store: &CredentialStore,
    settings: &Settings,
    choice: StoreChoice,
) -> Result<&'static str, String> {
    validate_server_id(&item.server_id).map_err(|e| e.to_string())?;
    check_url(&item.base_url).map_err(|f| f.message)?;
    let client = http::build_client(Default::default()).map_err(|e| e.to_string())?;
    let target = Target {
        kind: ServerKind::Novabackup,
        base: backup_mcp::store::entry::api_base(&item.base_url),
        username: &item.username,
        password: Some(&item.password),
    };
    check::verify(&client, &target, settings.timeout)
        .await
        .map_err(|e| e.to_string())?;
    let entry = ServerEntry {
        label: item.label.unwrap_or_else(|| item.server_id.clone()),
        server_id: item.server_id,
        kind: ServerKind::Novabackup,
        base_url: item.base_url,
        username: item.username,
        tenant_id: None,
        ca_cert_pem: None,
        tls_fingerprint: None,
        secret: SecretRef::None,
    };
    let placement = store
        .upsert(entry, Some(item.password), choice)
        .await
        .map_err(|e| e.to_string())?;
    Ok(placement.store)
}
