//! `backup-mcp list` and `backup-mcp logout`.

use backup_mcp::store::CredentialStore;

use crate::Failure;

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
    let header = [
        "SERVER_ID",
        "KIND",
        "TENANT",
        "USERNAME",
        "STORE",
        "URL",
        "LABEL",
    ];
    let rows: Vec<[String; 7]> = servers
        .iter()
        .map(|s| {
            [
                s.server_id.clone(),
                s.kind.to_string(),
                s.tenant_id.clone().unwrap_or_else(|| "-".into()),
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
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r[i].chars().count())
                .chain([header[i].len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    println!("{}", line(&header.map(String::from)));
    for row in &rows {
        println!("{}", line(row));
    }
    Ok(())
}

pub async fn logout(store: &CredentialStore, server_id: &str) -> Result<(), Failure> {
    let removed = store.remove(server_id).await?;
    println!("Removed {} ({}).", removed.server_id, removed.base_url);
    Ok(())
}
