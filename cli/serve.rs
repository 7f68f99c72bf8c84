//! `backup-mcp serve`: the MCP server on stdio over every saved server.

use backup_mcp::config::Settings;
use backup_mcp::fleet::Fleet;
use backup_mcp::mcp::{Context, Gateway};
use backup_mcp::store::CredentialStore;

use crate::Failure;

pub async fn run(settings: Settings) -> Result<(), Failure> {
    let store = CredentialStore::open(settings.credentials_file.clone())?;
    let fleet = Fleet::from_store(&store)?;
    tracing::info!(servers = fleet.len(), "starting MCP server on stdio");
    // Logins run in the background: the handshake never waits for an upstream.
    fleet.connect_all_in_background(settings.timeout);
    Gateway::new(Context {
        settings,
        fleet,
        demo: false,
        nova_tenancy: Default::default(),
    })
    .serve_stdio()
    .await?;
    Ok(())
}
