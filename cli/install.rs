//! `backup-mcp install <client>` and `uninstall <client>`: our entry in an MCP client's config
//! (the work is in `backup_mcp::install`; this only parses and reports).

use std::path::PathBuf;

use backup_mcp::config::Settings;
use backup_mcp::install::{self, Action, Client, Origin, Outcome, Request};

use crate::Failure;

#[derive(clap::Args)]
pub struct ClientArgs {
    /// The client: claude-desktop, claude-code, cursor, vscode or codex.
    #[arg(value_parser = parse_client)]
    client: Client,
    /// The entry's name in the client's config.
    #[arg(long, default_value = install::DEFAULT_NAME)]
    name: String,
    /// Print the change and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Change this config file instead of the client's usual one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

fn parse_client(s: &str) -> Result<Client, String> {
    s.parse()
}

pub async fn install(args: ClientArgs, settings: &Settings) -> Result<(), Failure> {
    let origin = Origin::current()
        .map_err(|e| Failure::new(format!("cannot tell where this binary is: {e}")))?;
    let launch = install::launch_for(&origin, settings.credentials_file.as_deref())?;
    run(args, Action::Install(launch)).await
}

pub async fn uninstall(args: ClientArgs) -> Result<(), Failure> {
    run(args, Action::Uninstall).await
}

async fn run(args: ClientArgs, action: Action) -> Result<(), Failure> {
    let request = Request {
        client: args.client,
        file: install::locate(args.client, args.config.as_deref())?,
        name: args.name,
        action,
        dry_run: args.dry_run,
    };
    let outcome = install::apply(&request).await?;
    report(&request, &outcome);
    Ok(())
}

fn report(request: &Request, outcome: &Outcome) {
    let title = request.client.title();
    let name = &request.name;
    let installing = matches!(request.action, Action::Install(_));
    println!("{title}: {}", request.file.path().display());
    if !outcome.edit.changed {
        if installing {
            println!("The entry {name:?} is already up to date; nothing changed.");
        } else {
            println!("There is no entry {name:?}; nothing changed.");
        }
        return;
    }
    for line in outcome.edit.before.iter().flat_map(|t| t.lines()) {
        println!("- {line}");
    }
    for line in outcome.edit.after.iter().flat_map(|t| t.lines()) {
        println!("+ {line}");
    }
    if request.dry_run {
        println!("Dry run: nothing was written.");
        return;
    }
    if let Some(backup) = &outcome.backup {
        println!("The previous file is kept as {}.", backup.display());
    }
    let done = match (installing, outcome.edit.before.is_some()) {
        (true, false) if outcome.created => "Created the file with the entry",
        (true, false) => "Added the entry",
        (true, true) => "Updated the entry",
        (false, _) => "Removed the entry",
    };
    println!("{done} {name:?}.");
    println!("Restart {title} to load the change.");
}
