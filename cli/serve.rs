//! `backup-mcp serve` (every saved server) and `backup-mcp demo` (the embedded demo fleet): the
//! MCP server on stdio.

use std::io::IsTerminal;

use backup_mcp::config::Settings;
use backup_mcp::demo::{DemoFleet, DemoOptions};
use backup_mcp::fleet::Fleet;
use backup_mcp::mcp::{Context, Gateway};
use backup_mcp::store::CredentialStore;

use crate::Failure;

#[derive(clap::Args)]
pub struct DemoArgs {
    /// Number of simulated servers, at least 1: Management Servers and Backrest servers
    /// alternate, starting with a Management Server, so both kinds need at least 2.
    #[arg(long, default_value_t = 4, value_parser = server_count)]
    servers: usize,
    /// Delay added to every simulated data answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
}

/// `--servers`: a count of at least one (an empty demo fleet would serve nothing).
fn server_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("the demo needs at least one server".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

pub async fn run(settings: Settings) -> Result<(), Failure> {
    let store = CredentialStore::open(settings.credentials_file.clone())?;
    let fleet = Fleet::from_store(&store)?;
    serve(settings, fleet, false).await
}

/// Starts the simulated servers in this process; the user's saved credentials are not touched.
pub async fn demo(args: DemoArgs, settings: Settings) -> Result<(), Failure> {
    let options = DemoOptions {
        servers: args.servers,
        latency: std::time::Duration::from_millis(args.latency_ms),
        ..DemoOptions::default()
    };
    let demo = DemoFleet::start(&options)
        .await
        .map_err(|e| Failure::new(format!("cannot start the demo fleet: {e}")))?;
    let fleet = demo.fleet()?;
    let result = serve(settings, fleet, true).await;
    drop(demo);
    result
}

async fn serve(settings: Settings, fleet: Fleet, demo: bool) -> Result<(), Failure> {
    terminal_hint(demo);
    if let Some(warning) = settings.ignored_destructive_gate() {
        eprintln!("backup-mcp: warning: {warning}.");
    }
    tracing::info!(servers = fleet.len(), demo, "starting MCP server on stdio");
    // Logins run in the background: the handshake never waits for an upstream.
    fleet.connect_all_in_background(settings.timeout);
    Gateway::new(Context {
        settings,
        fleet,
        demo,
        nova_tenancy: Default::default(),
    })
    .serve_stdio()
    .await?;
    Ok(())
}

/// Run by hand in a terminal, the server would sit silent waiting for JSON-RPC: one line says
/// what it is, how to try it and how to stop it. Never printed when a client starts it (stdin is
/// then a pipe).
fn terminal_hint(demo: bool) {
    if !std::io::stdin().is_terminal() {
        return;
    }
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "backup-mcp".into());
    let command = if demo { "demo" } else { "serve" };
    eprintln!(
        "backup-mcp: this is an MCP server waiting for an MCP client (such as Claude Desktop) on stdin, not for typed input; to try it run `npx @modelcontextprotocol/inspector {exe} {command}`; press Ctrl-C to stop it."
    );
}
