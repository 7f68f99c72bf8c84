//! The `backup-mcp` binary: parses the command line and calls into the library.

mod check;
mod doctor;
mod import;
mod input;
mod install;
mod login;
mod serve;
mod servers;
mod table;

use std::process::ExitCode;

use backup_mcp::config::Settings;
use backup_mcp::logging::Audience;
use backup_mcp::store::{CredentialStore, StoreChoice};
use clap::{Parser, Subcommand};

/// MCP gateway for every Backrest and NovaBACKUP Management Server you run.
#[derive(Parser)]
#[command(name = "backup-mcp", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the MCP server on stdio (the default).
    Serve,
    /// Save a server after checking its credentials.
    Login(login::LoginArgs),
    /// Import the NovaBACKUP MCP's credentials.json.
    ImportNovabackup(import::ImportArgs),
    /// Show the saved servers (never their secrets).
    List {
        /// Print one JSON array instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Check every saved server (or one); exit 1 if any fails.
    Test {
        /// Only this server.
        server_id: Option<String>,
    },
    /// Forget a saved server and its secret.
    Logout {
        /// Id of the saved server to forget (as `backup-mcp list` shows it); its password goes
        /// too, from the OS keyring or the credentials file.
        server_id: String,
    },
    /// Run the MCP server against the embedded demo fleet (simulated servers, nothing saved).
    Demo(serve::DemoArgs),
    /// Add this binary to an MCP client's config (claude-desktop, claude-code, cursor, vscode, codex).
    Install(install::ClientArgs),
    /// Remove our entry from an MCP client's config.
    Uninstall(install::ClientArgs),
    /// Check the whole setup (store, servers, client configs); exit 1 on any problem.
    Doctor,
}

/// A failure the user should read, with the process exit code it maps to.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 1,
        }
    }

    /// A usage or configuration problem (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Failure {
            message: message.into(),
            code: 2,
        }
    }
}

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure::new(e.to_string())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("backup-mcp: {e}");
            return ExitCode::from(2);
        }
    };
    backup_mcp::secrets::register_env_password();
    let command = cli.command.unwrap_or(Command::Serve);
    let audience = match command {
        Command::Serve | Command::Demo(_) => Audience::Server,
        _ => Audience::Person,
    };
    backup_mcp::logging::init(&settings, audience);
    backup_mcp::upstream::budget::Budget::install(settings.body_budget_bytes);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("backup-mcp: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            if !failure.message.is_empty() {
                eprintln!(
                    "backup-mcp: {}",
                    backup_mcp::secrets::scrub(&failure.message)
                );
            }
            ExitCode::from(failure.code)
        }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), Failure> {
    let store = || CredentialStore::open(settings.credentials_file.clone());
    match command {
        Command::Serve => serve::run(settings).await,
        Command::Demo(args) => serve::demo(args, settings).await,
        Command::Login(args) => login::run(args, &store()?, &settings).await,
        Command::ImportNovabackup(args) => import::run(args, &store()?, &settings).await,
        Command::List { json } => servers::list(&store()?, json),
        Command::Test { server_id } => check::run(&store()?, server_id, &settings).await,
        Command::Logout { server_id } => servers::logout(&store()?, &server_id).await,
        Command::Install(args) => install::install(args, &settings).await,
        Command::Uninstall(args) => install::uninstall(args).await,
        Command::Doctor => doctor::run(&settings).await,
    }
}

/// Parses `--credential-store`.
pub fn parse_store_choice(s: &str) -> Result<StoreChoice, String> {
    s.parse()
}
