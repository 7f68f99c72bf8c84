//! The versioned credentials file: strict loading, atomic 0600 writes.
//!
//! The file may hold passwords, so it is treated like an SSH key: refused when group or others can
//! read it, written through a 0600 temp file in the same directory that is fsynced and renamed
//! over the old one, and its directory is created 0700 (an existing directory is left alone).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::StoreError;
use super::entry::ServerEntry;

/// The layout version this build reads and writes.
pub const FILE_VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
struct FileLayout {
    version: u32,
    #[serde(default)]
    servers: Vec<ServerEntry>,
}

/// Only the version, read first so a newer layout gets a clear message.
#[derive(Deserialize)]
struct VersionOnly {
    version: Option<u32>,
}

/// The credentials file at a fixed path.
#[derive(Debug, Clone)]
pub struct CredentialsFile {
    path: PathBuf,
}

impl CredentialsFile {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// `$XDG_CONFIG_HOME/backup-mcp/credentials.json` (or the platform's config dir).
    pub fn default_path() -> Option<PathBuf> {
        directories::BaseDirs::new().map(|dirs| {
            dirs.config_dir()
                .join("backup-mcp")
                .join("credentials.json")
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every saved entry; a missing file is an empty store.
    pub fn load(&self) -> Result<Vec<ServerEntry>, StoreError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(self.io_error("read", e)),
        };
        self.check_private()?;
        self.parse(&bytes)
    }

    /// The file's directory, created 0700 if missing.
    pub fn prepare_dir(&self) -> Result<&Path, StoreError> {
        let dir = self
            .path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| self.io_error("create the directory of", e))?;
        Ok(dir)
    }

    /// Replaces the file's contents atomically (callers changing entries hold the store lock).
    pub fn save(&self, servers: &[ServerEntry]) -> Result<(), StoreError> {
        let dir = self.prepare_dir()?;
        let layout = FileLayout {
            version: FILE_VERSION,
            servers: servers.to_vec(),
        };
        let json = serde_json::to_vec_pretty(&layout).map_err(|e| StoreError::Corrupt {
            path: self.path.clone(),
            problem: format!("could not encode: {e}"),
        })?;
        // tempfile creates the file with mode 0600 on Unix.
        let mut tmp = tempfile::Builder::new()
            .prefix(".credentials-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| self.io_error("create a temporary file beside", e))?;
        tmp.write_all(&json)
            .and_then(|()| tmp.write_all(b"\n"))
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| self.io_error("write", e))?;
        tmp.persist(&self.path)
            .map_err(|e| self.io_error("replace", e.error))?;
        sync_dir(dir);
        Ok(())
    }

    fn parse(&self, bytes: &[u8]) -> Result<Vec<ServerEntry>, StoreError> {
        let corrupt = |problem: String| StoreError::Corrupt {
            path: self.path.clone(),
            problem,
        };
        // serde's messages can quote values (and a value could be a password), so only the
        // position of the problem is reported.
        let version: VersionOnly = serde_json::from_slice(bytes).map_err(|e| {
            corrupt(format!(
                "not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        match version.version {
            Some(FILE_VERSION) => {}
            Some(v) => {
                return Err(corrupt(format!(
                    "layout version {v} is not supported by this backup-mcp (it reads version {FILE_VERSION})"
                )));
            }
            None => return Err(corrupt("no \"version\" member".into())),
        }
        let layout: FileLayout = serde_json::from_slice(bytes).map_err(|e| {
            corrupt(format!(
                "an entry does not match the version {FILE_VERSION} layout (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        Ok(layout.servers)
    }

    #[cfg(unix)]
    fn check_private(&self) -> Result<(), StoreError> {
        use std::os::unix::fs::PermissionsExt;
        let meta = fs::metadata(&self.path).map_err(|e| self.io_error("inspect", e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(StoreError::TooOpen {
                path: self.path.clone(),
                mode,
            });
        }
        Ok(())
    }

    #[cfg(not(unix))]
    fn check_private(&self) -> Result<(), StoreError> {
        Ok(())
    }

    fn io_error(&self, action: &'static str, source: std::io::Error) -> StoreError {
        StoreError::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }
}

/// Creates missing directories 0700; never changes the mode of one that exists.
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// Makes the rename durable; best effort, as not every filesystem supports it.
fn sync_dir(dir: &Path) {
    if let Ok(handle) = fs::File::open(dir) {
        let _ = handle.sync_all();
    }
}
