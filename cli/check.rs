//! `backup-mcp test [SERVER_ID]`: the `server_health` check (a fresh login plus one data read)
//! for every saved server concurrently, as one table.

use std::time::Instant;

use backup_mcp::config::Settings;
use backup_mcp::fleet::{Fleet, ServerFailure, probe};
use backup_mcp::store::{CredentialStore, StoreError};
use futures::StreamExt;

use crate::{Failure, table};

pub async fn run(
    store: &CredentialStore,
    only: Option<String>,
    settings: &Settings,
) -> Result<(), Failure> {
    let fleet = Fleet::from_store(store)?;
    let mut servers = fleet.all();
    if let Some(id) = &only {
        servers.retain(|s| s.id() == id);
        if servers.is_empty() {
            return Err(StoreError::UnknownServer(id.clone()).into());
        }
    }
    if servers.is_empty() {
        println!("No servers saved. Add one with: backup-mcp login");
        return Ok(());
    }
    let mut results: Vec<_> = futures::stream::iter(servers.iter().enumerate())
        .map(|(i, server)| async move {
            let started = Instant::now();
            let result = probe::check(server, started + settings.timeout).await;
            (i, started.elapsed(), result)
        })
        .buffer_unordered(settings.fanout_concurrency)
        .collect()
        .await;
    results.sort_by_key(|(i, ..)| *i);
    let mut failed = 0;
    let rows: Vec<Vec<String>> = results
        .into_iter()
        .map(|(i, elapsed, result)| {
            let server = &servers[i];
            let (status, detail) = match result {
                Ok(c) => (
                    "OK",
                    format!(
                        "login {} ms, read {} ms",
                        c.login.as_millis(),
                        c.read.as_millis()
                    ),
                ),
                Err(e) => {
                    failed += 1;
                    let e = ServerFailure::from(e);
                    ("FAILED", format!("{}: {}", e.reason.as_str(), e.message))
                }
            };
            vec![
                server.id().to_owned(),
                server.kind().to_string(),
                status.to_owned(),
                format!("{} ms", elapsed.as_millis()),
                detail,
            ]
        })
        .collect();
    print!(
        "{}",
        table::render(
            &["SERVER_ID", "KIND", "STATUS", "TIME", "DETAIL"],
            &rows,
            &[3]
        )
    );
    if failed > 0 {
        return Err(Failure::new(format!(
            "{failed} of {} servers failed",
            servers.len()
        )));
    }
    Ok(())
}
