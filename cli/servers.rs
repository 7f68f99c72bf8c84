//! `backup-mcp list` and `backup-mcp logout`.

use backup_mcp::store::CredentialStore;

use crate::{Failure, table};

pub fn list(store: &CredentialStore, json: bool) -> Result<(), Failure> {
    let servers = store.load()?;
    if json {
        let views: Vec<_> = servers.iter().map(|s| s.public_view()).collect();
        println!("{}", serde_json::Value::Array(views));
        return Ok(());
    }
    if servers.is_empty() {
        println!(
            "No servers saved in {}. Add one with: backup-mcp login",
            store.path().display()
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = servers
        .iter()
        .map(|s| {
            vec![
                s.server_id.clone(),
                s.kind.to_string(),
                // What the gateway tags rows with: a Backrest's tenant defaults to its id; a
                // Management Server's items carry the tenant of their group.
                s.effective_tenant().unwrap_or("(per group)").to_owned(),
                if s.username.is_empty() {
                    "-".into()
                } else {
                    s.username.clone()
                },
                s.secret.store_name().to_owned(),
                s.base_url.clone(),
                s.label.clone(),
            ]
        })
        .collect();
    let header = [
        "SERVER_ID",
        "KIND",
        "TENANT",
        "USERNAME",
        "STORE",
        "URL",
        "LABEL",
    ];
    print!("{}", table::render(&header, &rows, &[]));
    Ok(())
}

pub async fn logout(store: &CredentialStore, server_id: &str) -> Result<(), Failure> {
    let removed = store.remove(server_id).await?;
    println!("Removed {} ({}).", removed.server_id, removed.base_url);
    Ok(())
}
