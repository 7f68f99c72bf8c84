//! Wiring an MCP client's config file to this binary (`backup-mcp install` / `uninstall`), and
//! reading those files back for `doctor`.
//!
//! [`paths`] says where each client keeps its config on each OS, [`launch`] what our entry runs,
//! [`json_config`] and [`toml_config`] change one entry of a file and nothing else, and
//! [`config_file`] reads, backs up and atomically replaces the file under a lock. [`apply`] is the
//! one path through them.

pub mod config_file;
pub mod json_config;
pub mod launch;
pub mod members;
pub mod paths;
pub mod toml_config;

use std::path::{Path, PathBuf};

use crate::store::{CredentialsFile, StoreError};

pub use config_file::ConfigFile;
pub use launch::{Launch, Origin};
pub use paths::{Client, Os, Roots};

/// The entry's name when `--name` is not given.
pub const DEFAULT_NAME: &str = "backup-mcp";

/// Everything that can go wrong while installing.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(
        "{path} is not valid {format} (line {line}, column {column}): {message}. It was left untouched; fix it or move it away, then run this again",
        path = .path.display()
    )]
    Invalid {
        path: PathBuf,
        format: &'static str,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: {problem}. It was left untouched", path = .path.display())]
    Shape { path: PathBuf, problem: String },
    #[error(
        "{path} already has an entry {name:?} that does not run backup-mcp (it runs {runs}); it was left untouched. Choose another name with --name",
        path = .path.display()
    )]
    Foreign {
        path: PathBuf,
        name: String,
        runs: String,
    },
    #[error("could not {action} {path}: {source}", path = .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Lock(#[from] StoreError),
    #[error("cannot find the home directory; set BACKUP_MCP_CLIENT_HOME or pass --config")]
    NoHome,
    #[error("cannot write {0} into a client config: the path is not valid UTF-8")]
    NotUtf8(PathBuf),
    #[error("invalid entry name {0:?}: use 1 to 64 letters, digits, '.', '_' or '-'")]
    BadName(String),
}

/// What is wrong inside a config's text, before it is tied to its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    Syntax {
        line: usize,
        column: usize,
        message: String,
    },
    Shape(String),
}

/// What an edit did to our entry: its text before and after (as `--dry-run` shows them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub changed: bool,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A client's config, parsed in its own format.
#[derive(Debug)]
pub enum Document {
    Json(json_config::JsonConfig),
    Toml(toml_config::TomlConfig),
}

impl Document {
    /// Parses `text` as `client`'s config at `path` (named in any error).
    pub fn parse(client: Client, path: &Path, text: &str) -> Result<Document, InstallError> {
        let parsed = match json_dialect(client) {
            Some(dialect) => json_config::JsonConfig::parse(text, dialect).map(Document::Json),
            None => toml_config::TomlConfig::parse(text).map(Document::Toml),
        };
        parsed.map_err(|problem| located(client, path, problem))
    }

    /// Every server entry with a command, in file order.
    pub fn entries(&self) -> Vec<(String, Launch)> {
        match self {
            Document::Json(c) => c.entries(),
            Document::Toml(c) => c.entries(),
        }
    }

    fn upsert(&mut self, name: &str, launch: &Launch) -> Result<Edit, Problem> {
        match self {
            Document::Json(c) => c.upsert(name, launch),
            Document::Toml(c) => c.upsert(name, launch),
        }
    }

    fn remove(&mut self, name: &str) -> Result<Edit, Problem> {
        match self {
            Document::Json(c) => c.remove(name),
            Document::Toml(c) => c.remove(name),
        }
    }

    pub fn render(&self) -> String {
        match self {
            Document::Json(c) => c.render(),
            Document::Toml(c) => c.render(),
        }
    }
}

fn json_dialect(client: Client) -> Option<json_config::Dialect> {
    use json_config::Dialect;
    match client {
        Client::ClaudeDesktop | Client::Cursor => Some(Dialect {
            container: "mcpServers",
            stdio_type: false,
        }),
        Client::ClaudeCode => Some(Dialect {
            container: "mcpServers",
            stdio_type: true,
        }),
        Client::VsCode => Some(Dialect {
            container: "servers",
            stdio_type: true,
        }),
        Client::Codex => None,
    }
}

fn located(client: Client, path: &Path, problem: Problem) -> InstallError {
    let path = path.to_owned();
    match problem {
        Problem::Syntax {
            line,
            column,
            message,
        } => InstallError::Invalid {
            path,
            format: if client == Client::Codex {
                "TOML"
            } else {
                "JSON"
            },
            line,
            column,
            message,
        },
        Problem::Shape(problem) => InstallError::Shape { path, problem },
    }
}

/// Add (or update) our entry, or remove it.
#[derive(Debug, Clone)]
pub enum Action {
    Install(Launch),
    Uninstall,
}

/// One `install` or `uninstall` run.
#[derive(Debug, Clone)]
pub struct Request {
    pub client: Client,
    pub file: ConfigFile,
    pub name: String,
    pub action: Action,
    pub dry_run: bool,
}

/// What a run did (or, with `--dry-run`, would do).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub edit: Edit,
    /// Where the previous file was kept, when it was replaced.
    pub backup: Option<PathBuf>,
    /// The file did not exist before.
    pub created: bool,
}

/// Works out the change without the lock; when there is one to write, takes the lock, works it
/// out again on the file as it is then, keeps a backup and replaces the file. Nothing is written
/// (not even the lock file) when nothing changes, on a dry run, or when the file is invalid.
pub async fn apply(request: &Request) -> Result<Outcome, InstallError> {
    check_name(&request.name)?;
    let (old, _, edit) = plan(request)?;
    if !edit.changed || request.dry_run {
        return Ok(Outcome {
            edit,
            backup: None,
            created: old.is_none(),
        });
    }
    let _lock = request.file.lock().await?;
    let (old, doc, edit) = match plan(request)? {
        // Another install got there first.
        (old, _, edit) if !edit.changed => {
            return Ok(Outcome {
                edit,
                backup: None,
                created: old.is_none(),
            });
        }
        replanned => replanned,
    };
    let backup = match old.as_deref() {
        Some(text) if !text.trim().is_empty() => Some(request.file.backup(text)?),
        _ => None,
    };
    request.file.replace(&doc.render())?;
    Ok(Outcome {
        edit,
        backup,
        created: old.is_none(),
    })
}

/// The file's text now, the changed document and what changed in our entry.
fn plan(request: &Request) -> Result<(Option<String>, Document, Edit), InstallError> {
    let file = &request.file;
    let old = file.read()?;
    let mut doc = Document::parse(request.client, file.path(), old.as_deref().unwrap_or(""))?;
    if let Some(runs) = foreign(&doc, &request.name) {
        return Err(InstallError::Foreign {
            path: file.path().to_owned(),
            name: request.name.clone(),
            runs,
        });
    }
    let edit = match &request.action {
        Action::Install(launch) => doc.upsert(&request.name, launch),
        Action::Uninstall => doc.remove(&request.name),
    }
    .map_err(|p| located(request.client, file.path(), p))?;
    Ok((old, doc, edit))
}

/// What the entry named `name` runs, when it exists and is not backup-mcp.
fn foreign(doc: &Document, name: &str) -> Option<String> {
    let (_, launch) = doc.entries().into_iter().find(|(n, _)| n == name)?;
    (!launch.is_backup_mcp()).then(|| launch.display())
}

fn check_name(name: &str) -> Result<(), InstallError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(InstallError::BadName(name.to_owned()))
    }
}

/// The config file of `client` here: `explicit` when given, else the per-OS table's.
pub fn locate(client: Client, explicit: Option<&Path>) -> Result<ConfigFile, InstallError> {
    let path = match explicit {
        Some(path) => path.to_owned(),
        None => {
            let roots = Roots::from_env().ok_or(InstallError::NoHome)?;
            paths::config_path(client, Os::current(), &roots)
        }
    };
    Ok(ConfigFile::at(&path))
}

/// The entry this binary should have, given the store the user chose (`explicit` is
/// `BACKUP_MCP_CREDENTIALS_FILE`, passed on only when it is not the default place).
pub fn launch_for(origin: &Origin, explicit: Option<&Path>) -> Result<Launch, InstallError> {
    let credentials = explicit
        .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.to_owned()))
        .filter(|p| Some(p) != CredentialsFile::default_path().as_ref());
    Launch::new(origin, Os::current(), credentials.as_deref()).map_err(InstallError::NotUtf8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_plain() {
        assert!(check_name("backup-mcp").is_ok() && check_name("msp.eu_2").is_ok());
        for bad in ["", "a b", "x\"y", "a.b]", &"n".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }

    #[tokio::test]
    async fn a_foreign_entry_of_that_name_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        let text = r#"{"mcpServers":{"backup-mcp":{"command":"node","args":["other.js"]}}}"#;
        std::fs::write(&path, text).unwrap();
        let launch =
            Launch::new(&Origin::Binary("/opt/backup-mcp".into()), Os::Linux, None).unwrap();
        let request = Request {
            client: Client::Cursor,
            file: ConfigFile::at(&path),
            name: DEFAULT_NAME.into(),
            action: Action::Install(launch),
            dry_run: false,
        };
        let err = apply(&request).await.unwrap_err();
        assert!(err.to_string().contains("node other.js"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    }
}
