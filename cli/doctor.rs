//! `backup-mcp doctor`: one screen that says whether this setup works end to end — the
//! credential store, each saved server (a login and one data read, through the same check as
//! `test`), the MCP clients' configs and what they run — and lists each problem with the
//! command that fixes it. Exit 1 on any problem.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use backup_mcp::config::Settings;
use backup_mcp::fleet::probe::{self, Checked, ProbeError};
use backup_mcp::fleet::{Fleet, Server};
use backup_mcp::install::launch::CREDENTIALS_VAR;
use backup_mcp::install::{self, Client, Document, Origin};
use backup_mcp::store::{CredentialStore, CredentialsFile, SecretRef, ServerEntry, ServerKind};
use backup_mcp::upstream::UpstreamError;
use futures::StreamExt;

use crate::Failure;

/// A password in a client's config is readable by anything that reads that file.
const PASSWORD_VAR: &str = "BACKUP_MCP_PASSWORD";

/// Something wrong, and what to type (or do) about it.
struct Finding {
    what: String,
    fix: String,
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn add(&mut self, what: impl Into<String>, fix: impl Into<String>) {
        self.0.push(Finding {
            what: what.into(),
            fix: fix.into(),
        });
    }
}

pub async fn run(settings: &Settings) -> Result<(), Failure> {
    let origin = Origin::current().ok();
    println!(
        "backup-mcp {} at {}",
        env!("CARGO_PKG_VERSION"),
        origin
            .as_ref()
            .map_or("(unknown path)".into(), Origin::describe)
    );
    let mut findings = Findings::default();
    let store_path = check_store(settings, &mut findings).await;
    check_clients(origin.as_ref(), store_path.as_deref(), &mut findings);
    if findings.0.is_empty() {
        println!("\nNo problems found.");
        return Ok(());
    }
    println!("\nProblems ({}):", findings.0.len());
    for (i, f) in findings.0.iter().enumerate() {
        println!("  {}. {}", i + 1, f.what);
        println!("     fix: {}", f.fix);
    }
    Err(Failure::new(format!(
        "{} problem(s) found",
        findings.0.len()
    )))
}

/// The store, its servers and their checks; returns the store's path for the client checks.
async fn check_store(settings: &Settings, findings: &mut Findings) -> Option<std::path::PathBuf> {
    println!("\nCredentials");
    let store = match CredentialStore::open(settings.credentials_file.clone()) {
        Ok(store) => store,
        Err(e) => {
            findings.add(
                e.to_string(),
                "set BACKUP_MCP_CREDENTIALS_FILE to a file path",
            );
            return None;
        }
    };
    let path = store.path().to_owned();
    let default = CredentialsFile::default_path().is_some_and(|d| d == path);
    println!(
        "  servers saved in {}{}{}",
        path.display(),
        if default {
            " (the default place)"
        } else {
            " (from BACKUP_MCP_CREDENTIALS_FILE)"
        },
        if path.exists() { "" } else { ", no file yet" }
    );
    let servers = match store.load() {
        Ok(servers) => servers,
        Err(e) => {
            findings.add(
                e.to_string(),
                "see the message (for a file others can read: chmod 600 <file>)",
            );
            return Some(path);
        }
    };
    let count = |store: &str| {
        servers
            .iter()
            .filter(|s| s.secret.store_name() == store)
            .count()
    };
    if !servers.is_empty() {
        println!(
            "  secrets: {} in the OS keyring, {} in the file, {} servers need none",
            count("keyring"),
            count("file"),
            count("none")
        );
    }
    if servers.is_empty() {
        findings.add(
            "no servers are saved",
            "backup-mcp login (once per Backrest or Management Server)",
        );
        return Some(path);
    }
    println!("\nServers");
    // The same servers `serve` would build, checked the way `test` and `server_health` check.
    let fleet = match Fleet::from_store(&store) {
        Ok(fleet) => fleet,
        Err(e) => {
            findings.add(e.to_string(), "see the message, then run: backup-mcp list");
            return Some(path);
        }
    };
    let results: Vec<(usize, Result<Checked, Finding>)> =
        futures::stream::iter(servers.iter().enumerate())
            .map(|(i, entry)| {
                let server = fleet.get(&entry.server_id);
                async move { (i, check_server(server, entry, settings.timeout).await) }
            })
            .buffer_unordered(settings.fanout_concurrency)
            .collect()
            .await;
    let mut results = results;
    results.sort_by_key(|(i, _)| *i);
    let width = servers.iter().map(|s| s.server_id.len()).max().unwrap_or(0);
    for (i, result) in results {
        let entry = &servers[i];
        let head = format!(
            "  {:<width$}  {:<10}",
            entry.server_id,
            entry.kind.to_string()
        );
        match result {
            Ok(times) => println!(
                "{head}  OK      login {} ms, data read {} ms; write rights: {}",
                times.login.as_millis(),
                times.read.as_millis(),
                write_rights(entry.kind)
            ),
            Err(problem) => {
                println!("{head}  FAILED  {}", problem.what);
                findings.add(
                    format!("{}: {}", entry.server_id, problem.what),
                    problem.fix,
                );
            }
        }
    }
    Some(path)
}

/// Backrest has one kind of user; a Management Server's roles are not visible to its API users.
fn write_rights(kind: ServerKind) -> &'static str {
    match kind {
        ServerKind::Backrest => "yes (every Backrest user has full rights)",
        ServerKind::Novabackup => "cannot be told (the Management Server API does not show roles)",
    }
}

async fn check_server(
    server: Option<Arc<Server>>,
    entry: &ServerEntry,
    timeout: Duration,
) -> Result<Checked, Finding> {
    let Some(server) = server else {
        return Err(Finding {
            what: "it is saved but was not loaded".into(),
            fix: "backup-mcp list".into(),
        });
    };
    probe::check(&server, Instant::now() + timeout)
        .await
        .map_err(|e| Finding {
            fix: fix_for(entry, &e),
            what: format!("{} ({})", e, e.upstream().reason().as_str()),
        })
}

/// The command (or the step) that fixes a failed check.
fn fix_for(entry: &ServerEntry, e: &ProbeError) -> String {
    let login = login_command(entry);
    let test = format!("backup-mcp test {}", entry.server_id);
    match e {
        ProbeError::Login(UpstreamError::Auth { .. }) => {
            format!("save the right password: {login}")
        }
        ProbeError::Login(UpstreamError::SavedSecret { .. }) => {
            format!("unlock the OS keyring, or save the password again: {login}")
        }
        ProbeError::Login(UpstreamError::Tls { .. } | UpstreamError::PinMismatch { .. }) => {
            format!(
                "trust the server's certificate: {login} --ca-cert PATH (or --tls-fingerprint sha256:HEX)"
            )
        }
        ProbeError::Login(UpstreamError::NotTls { .. }) => {
            format!("the server speaks plain HTTP: {login} with an http:// --url")
        }
        ProbeError::Login(
            UpstreamError::Unreachable { .. }
            | UpstreamError::Timeout { .. }
            | UpstreamError::WrongKind { .. },
        ) => format!(
            "check that {} answers from here; if it moved: {login} (with the new --url)",
            entry.base_url
        ),
        ProbeError::Read(UpstreamError::Auth { .. }) => format!(
            "give {:?} the right to read data on the server, or log in as a user who has it: {login}",
            entry.username
        ),
        _ => format!(
            "check the {} at {} (its service and logs), then run: {test}",
            match entry.kind {
                ServerKind::Backrest => "Backrest server",
                ServerKind::Novabackup => "Management Server",
            },
            entry.base_url
        ),
    }
}

fn login_command(entry: &ServerEntry) -> String {
    let username = if entry.username.is_empty() {
        "''".to_owned()
    } else {
        entry.username.clone()
    };
    let store = match entry.secret {
        SecretRef::Keyring => " --credential-store keyring",
        _ => "",
    };
    format!(
        "backup-mcp login --server-id {} --kind {} --url {} --username {username}{store}",
        entry.server_id, entry.kind, entry.base_url
    )
}

/// Each client's config: found or not, and what its backup-mcp entries run.
fn check_clients(origin: Option<&Origin>, store: Option<&Path>, findings: &mut Findings) {
    println!("\nClients");
    let width = Client::ALL
        .iter()
        .map(|c| c.title().len())
        .max()
        .unwrap_or(0);
    let mut set_up = 0;
    for client in Client::ALL {
        let title = client.title();
        let file = match install::locate(client, None) {
            Ok(file) => file,
            Err(e) => {
                println!("  {title:<width$}  {e}");
                continue;
            }
        };
        let path = file.path().display().to_string();
        let text = match file.read() {
            Ok(Some(text)) => text,
            Ok(None) => {
                println!("  {title:<width$}  not found ({path})");
                continue;
            }
            Err(e) => {
                println!("  {title:<width$}  unreadable ({path})");
                findings.add(e.to_string(), "fix or move the file");
                continue;
            }
        };
        let doc = match Document::parse(client, file.path(), &text) {
            Ok(doc) => doc,
            Err(e) => {
                println!("  {title:<width$}  invalid ({path})");
                findings.add(
                    e.to_string(),
                    "fix the file by hand (backup-mcp install leaves it alone until then)",
                );
                continue;
            }
        };
        let ours: Vec<_> = doc
            .entries()
            .into_iter()
            .filter(|(_, l)| l.is_backup_mcp())
            .collect();
        if ours.is_empty() {
            println!("  {title:<width$}  no backup-mcp entry ({path})");
            continue;
        }
        set_up += 1;
        for (name, launch) in ours {
            let fix = match name.as_str() {
                install::DEFAULT_NAME => format!("backup-mcp install {client}"),
                other => format!("backup-mcp install {client} --name {other}"),
            };
            let this = origin.is_some_and(|o| launch.runs(o));
            println!(
                "  {title:<width$}  {name:?} runs {}{} ({path})",
                launch.display(),
                if this { " (this binary)" } else { "" }
            );
            if !this {
                findings.add(
                    format!(
                        "{title}'s entry {name:?} runs {}, not this backup-mcp ({})",
                        launch.display(),
                        origin.map_or("unknown".into(), Origin::describe)
                    ),
                    fix.clone(),
                );
            }
            if launch.env_var(PASSWORD_VAR).is_some() {
                findings.add(
                    format!("{title}'s entry {name:?} holds a password ({PASSWORD_VAR}) in {path}"),
                    format!("remove {PASSWORD_VAR} from that entry; saved servers need none (backup-mcp login keeps them)"),
                );
            }
            if let Some(store) = store
                && !same_store(launch.env_var(CREDENTIALS_VAR), store)
            {
                findings.add(
                    format!(
                        "{title}'s entry {name:?} reads credentials from {}, but the servers above are in {}",
                        launch.env_var(CREDENTIALS_VAR).unwrap_or("the default place"),
                        store.display()
                    ),
                    format!("run the install with the store you want: {fix}"),
                );
            }
        }
    }
    if set_up == 0 {
        println!(
            "  (no client is set up yet: backup-mcp install claude-desktop, or another client)"
        );
    }
}

/// Whether an entry's `BACKUP_MCP_CREDENTIALS_FILE` (or its absence) names `store`.
fn same_store(entry_var: Option<&str>, store: &Path) -> bool {
    let named = match entry_var {
        Some(path) => Some(std::path::PathBuf::from(path)),
        None => CredentialsFile::default_path(),
    };
    named.is_some_and(|p| p == store)
}
