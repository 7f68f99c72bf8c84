//! What a client's entry runs, and how to tell that an existing entry runs backup-mcp.
//!
//! The entry runs this binary by absolute path (a client starts servers with its own `PATH`,
//! often a minimal one). When the npm launcher started us, the binary sits in npm's cache, which
//! is cleaned without notice, so the entry is `npx -y backup-mcp@<version>` instead; likewise
//! `uvx backup-mcp@<version>` for a binary that runs from uv's archive cache. The entry
//! never holds a secret: only `BACKUP_MCP_CREDENTIALS_FILE`, and only when the store is not in
//! its default place (the server would not find it otherwise).

use std::path::{Path, PathBuf};

use super::paths::Os;

/// Set to `npm` by the npm launcher (`npm/backup-mcp/bin/backup-mcp.js`).
pub const LAUNCHER_VAR: &str = "BACKUP_MCP_LAUNCHER";
/// The npm package's version, set by the same launcher.
pub const NPM_VERSION_VAR: &str = "BACKUP_MCP_NPM_VERSION";
/// The one variable an entry may carry.
pub const CREDENTIALS_VAR: &str = "BACKUP_MCP_CREDENTIALS_FILE";

/// The package name in `npx` and `uvx` forms.
const PACKAGE: &str = "backup-mcp";

/// Where the running backup-mcp came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A binary at this absolute path.
    Binary(PathBuf),
    /// The npm package at this version.
    Npm { version: String },
    /// The PyPI package at this version, run by `uvx` from uv's cache.
    Uvx { version: String },
}

impl Origin {
    /// This process: the npm launcher's mark when it is set, else the executable's path.
    pub fn current() -> std::io::Result<Origin> {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        if var(LAUNCHER_VAR).as_deref() == Some("npm")
            && let Some(version) = var(NPM_VERSION_VAR).filter(|v| is_version(v))
        {
            return Ok(Origin::Npm { version });
        }
        let exe = std::env::current_exe()?;
        // Resolve symlinks on Unix (a Homebrew or ~/.local/bin link); Windows paths stay as they
        // are, since canonicalize would give them a `\\?\` prefix some clients cannot spawn.
        let exe = if cfg!(unix) {
            std::fs::canonicalize(&exe).unwrap_or(exe)
        } else {
            exe
        };
        if in_uv_cache(&exe) {
            return Ok(Origin::Uvx {
                version: env!("CARGO_PKG_VERSION").to_owned(),
            });
        }
        Ok(Origin::Binary(exe))
    }

    /// For messages: the path, or `backup-mcp@1.2.3 from npm`.
    pub fn describe(&self) -> String {
        match self {
            Origin::Binary(path) => path.display().to_string(),
            Origin::Npm { version } => format!("{PACKAGE}@{version} from npm"),
            Origin::Uvx { version } => format!("{PACKAGE}@{version} from PyPI (uvx)"),
        }
    }
}

/// uvx runs a tool from `<uv cache>/archive-v0/<hash>/bin/`, which `uv cache clean` removes
/// (`uv tool install` puts it elsewhere, for good: that path is kept as it is).
fn in_uv_cache(exe: &Path) -> bool {
    let parts: Vec<String> = exe
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_ascii_lowercase())
        .collect();
    parts
        .iter()
        .enumerate()
        .any(|(i, part)| part.starts_with("archive-v") && parts[..i].iter().any(|p| p == "uv"))
}

/// Only digits, letters, `.`, `-` and `+`: a version, never something a shell would read.
fn is_version(v: &str) -> bool {
    v.len() <= 64
        && v.starts_with(|c: char| c.is_ascii_digit())
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'))
}

/// A stdio server launch as clients store it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Launch {
    pub command: String,
    pub args: Vec<String>,
    /// In file order.
    pub env: Vec<(String, String)>,
}

impl Launch {
    /// The entry for `origin` on `os`; `credentials` is the store's path when it is not the
    /// default one.
    pub fn new(origin: &Origin, os: Os, credentials: Option<&Path>) -> Result<Launch, PathBuf> {
        let (command, mut args) = match origin {
            Origin::Binary(path) => (
                path.to_str().ok_or_else(|| path.clone())?.to_owned(),
                Vec::new(),
            ),
            Origin::Npm { version } => {
                let npx = vec!["-y".to_owned(), format!("{PACKAGE}@{version}")];
                if os == Os::Windows {
                    // npx is a .cmd script there, which clients cannot start without a shell.
                    let mut args = vec!["/c".to_owned(), "npx".to_owned()];
                    args.extend(npx);
                    ("cmd".to_owned(), args)
                } else {
                    ("npx".to_owned(), npx)
                }
            }
            Origin::Uvx { version } => ("uvx".to_owned(), vec![format!("{PACKAGE}@{version}")]),
        };
        args.push("serve".to_owned());
        let env = match credentials {
            Some(path) => vec![(
                CREDENTIALS_VAR.to_owned(),
                path.to_str().ok_or_else(|| path.to_owned())?.to_owned(),
            )],
            None => Vec::new(),
        };
        Ok(Launch { command, args, env })
    }

    pub fn env_var(&self, name: &str) -> Option<&str> {
        self.env
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `backup-mcp@1.2.3` (or bare `backup-mcp`) when this runs the package through a runner.
    pub fn package(&self) -> Option<&str> {
        let runner = matches!(
            file_stem(&self.command).as_str(),
            "npx" | "uvx" | "cmd" | "bunx" | "pnpm" | "uv"
        );
        runner
            .then(|| {
                self.args
                    .iter()
                    .find(|a| *a == PACKAGE || a.starts_with(&format!("{PACKAGE}@")))
                    .map(String::as_str)
            })
            .flatten()
    }

    /// Whether this runs backup-mcp at all (by path, or as a package).
    pub fn is_backup_mcp(&self) -> bool {
        file_stem(&self.command) == PACKAGE || self.package().is_some()
    }

    /// Whether this runs exactly `origin`.
    pub fn runs(&self, origin: &Origin) -> bool {
        match origin {
            Origin::Binary(path) => same_file(Path::new(&self.command), path),
            Origin::Npm { version } | Origin::Uvx { version } => {
                self.package() == Some(&format!("{PACKAGE}@{version}"))
            }
        }
    }

    /// For messages: the command line as a user would type it.
    pub fn display(&self) -> String {
        std::iter::once(self.command.as_str())
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// The lower-case file name without `.exe`/`.cmd`, for either path separator.
fn file_stem(command: &str) -> String {
    let name = command.rsplit(['/', '\\']).next().unwrap_or(command);
    let lower = name.to_ascii_lowercase();
    for ext in [".exe", ".cmd", ".bat"] {
        if let Some(stem) = lower.strip_suffix(ext) {
            return stem.to_owned();
        }
    }
    lower
}

fn same_file(a: &Path, b: &Path) -> bool {
    if a == b {
        return true;
    }
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binary_runs_by_path_and_npm_by_npx() {
        let bin = Origin::Binary(PathBuf::from("/opt/bmcp/backup-mcp"));
        let l = Launch::new(&bin, Os::Linux, None).unwrap();
        assert_eq!(l.command, "/opt/bmcp/backup-mcp");
        assert_eq!(l.args, ["serve"]);
        assert!(l.env.is_empty() && l.is_backup_mcp() && l.runs(&bin));

        let npm = Origin::Npm {
            version: "1.2.3".into(),
        };
        let l = Launch::new(&npm, Os::MacOs, Some(Path::new("/c/creds.json"))).unwrap();
        assert_eq!(l.display(), "npx -y backup-mcp@1.2.3 serve");
        assert_eq!(l.env_var(CREDENTIALS_VAR), Some("/c/creds.json"));
        assert!(l.runs(&npm) && !l.runs(&bin));
        assert!(!l.runs(&Origin::Npm {
            version: "1.2.4".into()
        }));
        let w = Launch::new(&npm, Os::Windows, None).unwrap();
        assert_eq!(w.display(), "cmd /c npx -y backup-mcp@1.2.3 serve");
        assert!(w.runs(&npm));
    }

    #[test]
    fn a_binary_in_uvs_cache_runs_through_uvx() {
        assert!(in_uv_cache(Path::new(
            "/home/a/.cache/uv/archive-v0/Xy12/bin/backup-mcp"
        )));
        assert!(in_uv_cache(Path::new(
            "C:/Users/a/AppData/Local/uv/cache/archive-v0/Xy12/Scripts/backup-mcp.exe"
        )));
        assert!(!in_uv_cache(Path::new(
            "/home/a/.local/share/uv/tools/backup-mcp/bin/backup-mcp"
        )));
        let uvx = Origin::Uvx {
            version: "0.3.0".into(),
        };
        let l = Launch::new(&uvx, Os::Windows, None).unwrap();
        assert_eq!(l.display(), "uvx backup-mcp@0.3.0 serve");
        assert!(l.runs(&uvx) && l.is_backup_mcp());
    }

    #[test]
    fn other_servers_are_not_ours() {
        let other = |command: &str, args: &[&str]| Launch {
            command: command.into(),
            args: args.iter().map(|s| s.to_string()).collect(),
            env: Vec::new(),
        };
        assert!(!other("npx", &["-y", "@modelcontextprotocol/server-filesystem"]).is_backup_mcp());
        assert!(!other("/usr/bin/backup-mcp-old", &[]).is_backup_mcp());
        assert!(other("C:\\tools\\Backup-MCP.exe", &[]).is_backup_mcp());
        assert!(other("uvx", &["backup-mcp"]).is_backup_mcp());
        assert!(!other("node", &["backup-mcp"]).is_backup_mcp());
    }

    #[test]
    fn only_a_plain_version_is_taken_from_the_launcher() {
        assert!(is_version("0.1.0") && is_version("1.0.0-rc.1+b7"));
        assert!(!is_version("latest") && !is_version("1.0; rm -rf") && !is_version(""));
    }
}
