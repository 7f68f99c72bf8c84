//! `backup-mcp test [SERVER_ID]`: verify saved servers concurrently, one line each.

use std::time::{Duration, Instant};

use backup_mcp::config::Settings;
use backup_mcp::store::{CredentialStore, ServerEntry, StoreError};
use backup_mcp::upstream::check::{self, Target};
use backup_mcp::upstream::{UpstreamError, http};
use futures::StreamExt;

use crate::Failure;

/// Why a saved server failed its check.
#[derive(Debug, thiserror::Error)]
enum CheckError {
    #[error("credentials: {0}")]
    Store(#[from] StoreError),
    #[error("{reason}: {error}", reason = .error.reason().as_str())]
    Upstream {
        #[from]
        error: UpstreamError,
    },
}

pub async fn run(
    store: &CredentialStore,
    only: Option<String>,
    settings: &Settings,
) -> Result<(), Failure> {
    let mut servers = store.load()?;
    if let Some(id) = &only {
        servers.retain(|s| &s.server_id == id);
        if servers.is_empty() {
            return Err(StoreError::UnknownServer(id.clone()).into());
        }
    }
    if servers.is_empty() {
        println!("No servers saved. Add one with: backup-mcp login");
        return Ok(());
    }
    let width = servers.iter().map(|s| s.server_id.len()).max().unwrap_or(0);
    let results: Vec<(usize, Duration, Result<(), CheckError>)> =
        futures::stream::iter(servers.iter().enumerate())
            .map(|(i, entry)| async move {
                let started = Instant::now();
                let result = check_entry(store, entry, settings.timeout).await;
                (i, started.elapsed(), result)
            })
            .buffer_unordered(settings.fanout_concurrency)
            .collect()
            .await;
    let mut results = results;
    results.sort_by_key(|(i, ..)| *i);
    let mut failed = 0;
    for (i, elapsed, result) in results {
        let entry = &servers[i];
        let ms = elapsed.as_millis();
        match result {
            Ok(()) => println!(
                "{:<width$}  {:<10}  OK      {ms:>6} ms",
                entry.server_id, entry.kind
            ),
            Err(e) => {
                failed += 1;
                println!(
                    "{:<width$}  {:<10}  FAILED  {ms:>6} ms  {e}",
                    entry.server_id, entry.kind
                );
            }
        }
    }
    if failed > 0 {
        return Err(Failure::new(format!(
            "{failed} of {} servers failed",
            servers.len()
        )));
    }
    Ok(())
}

async fn check_entry(
    store: &CredentialStore,
    entry: &ServerEntry,
    timeout: Duration,
) -> Result<(), CheckError> {
    let password = store.secret(entry).await?;
    let client = http::build_client(entry.ca_cert_pem.as_deref())?;
    let target = Target {
        kind: entry.kind,
        base: entry.api_base(),
        username: &entry.username,
        password: password.as_ref(),
    };
    check::verify(&client, &target, timeout).await?;
    Ok(())
}
