//! Saved servers and their secrets.
//!
//! Entries live in one versioned JSON file ([`file`]); each entry's password lives either in that
//! file or in the OS keyring ([`keyring`]). This module is the one door to both, so callers never
//! need to know where a secret is kept.

pub mod entry;
pub mod file;
pub mod keyring;
pub mod lock;

use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

pub use entry::{SecretRef, ServerEntry, ServerKind, validate_base_url, validate_server_id};
pub use file::CredentialsFile;
pub use keyring::{Keyring, KeyringError};
pub use lock::StoreLock;

/// Everything that can go wrong with saved credentials.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "{path} can be read by other users (mode {mode:03o}); refusing to use it. Fix it with: chmod 600 {path}",
        path = .path.display()
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("{path} is corrupt: {problem}. Fix or move the file away; backup-mcp will not overwrite it", path = .path.display())]
    Corrupt { path: PathBuf, problem: String },
    #[error("could not {action} {path}: {source}", path = .path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("no saved server has the id {0:?} (see `backup-mcp list`)")]
    UnknownServer(String),
    #[error(
        "another backup-mcp is changing {path} (it holds {lock}); gave up after {secs}s. Try again when it has finished",
        path = .path.display(), lock = .lock.display(), secs = .waited.as_secs_f32()
    )]
    Locked {
        path: PathBuf,
        lock: PathBuf,
        waited: Duration,
    },
    #[error("cannot find a config directory; set BACKUP_MCP_CREDENTIALS_FILE")]
    NoConfigDir,
    #[error(transparent)]
    Keyring(#[from] KeyringError),
}

/// Which backend `login` should put a new secret in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreChoice {
    /// The keyring when one answers, else the file.
    Auto,
    Keyring,
    File,
}

impl std::str::FromStr for StoreChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(StoreChoice::Auto),
            "keyring" => Ok(StoreChoice::Keyring),
            "file" => Ok(StoreChoice::File),
            other => Err(format!(
                "unknown credential store {other:?}: use auto, keyring or file"
            )),
        }
    }
}

/// Where a secret ended up, and why, for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub store: &'static str,
    /// Set when `auto` fell back to the file.
    pub note: Option<String>,
}

/// The credentials file plus the keyring.
#[derive(Debug, Clone)]
pub struct CredentialStore {
    file: CredentialsFile,
    keyring: Keyring,
    /// How long a change waits for another process's change to finish.
    lock_wait: Duration,
}

impl CredentialStore {
    /// The store at `path`, or at the platform default when `None`.
    pub fn open(path: Option<PathBuf>) -> Result<Self, StoreError> {
        let path = match path {
            Some(p) => p,
            None => CredentialsFile::default_path().ok_or(StoreError::NoConfigDir)?,
        };
        Ok(Self {
            file: CredentialsFile::new(path),
            keyring: Keyring,
            lock_wait: lock::LOCK_WAIT,
        })
    }

    /// The same store with another bound on waiting for the lock.
    pub fn with_lock_wait(mut self, wait: Duration) -> Self {
        self.lock_wait = wait;
        self
    }

    /// Takes the cross-process lock every read-modify-write of the file holds (creating the
    /// file's directory 0700 if needed), waiting at most the store's bound.
    pub async fn lock(&self) -> Result<StoreLock, StoreError> {
        self.file.prepare_dir()?;
        lock::acquire(self.file.path(), self.lock_wait).await
    }

    pub fn path(&self) -> &std::path::Path {
        self.file.path()
    }

    /// Every saved entry, in saved order.
    pub fn load(&self) -> Result<Vec<ServerEntry>, StoreError> {
        self.file.load()
    }

    /// Adds or replaces `entry` (matched by server id), putting `password` where `choice` says.
    /// The file is read first, so a corrupt or too-open file is never overwritten, and under the
    /// lock, so a concurrent change is never lost.
    pub async fn upsert(
        &self,
        mut entry: ServerEntry,
        password: Option<SecretString>,
        choice: StoreChoice,
    ) -> Result<Placement, StoreError> {
        let _lock = self.lock().await?;
        let mut servers = self.load()?;
        let previous = servers.iter().position(|s| s.server_id == entry.server_id);
        let placement = match password {
            None => {
                entry.secret = SecretRef::None;
                Placement {
                    store: "none",
                    note: None,
                }
            }
            Some(password) => self.place_secret(&mut entry, password, choice).await?,
        };
        // A secret that moved from the keyring to the file must not linger in the keyring.
        if let Some(i) = previous {
            if matches!(servers[i].secret, SecretRef::Keyring)
                && !matches!(entry.secret, SecretRef::Keyring)
            {
                let _ = self.keyring.delete(&entry.server_id).await;
            }
            servers[i] = entry;
        } else {
            servers.push(entry);
        }
        self.file.save(&servers)?;
        Ok(placement)
    }

    async fn place_secret(
        &self,
        entry: &mut ServerEntry,
        password: SecretString,
        choice: StoreChoice,
    ) -> Result<Placement, StoreError> {
        let keyring_result = match choice {
            StoreChoice::File => None,
            StoreChoice::Keyring | StoreChoice::Auto => {
                Some(self.keyring.set(&entry.server_id, &password).await)
            }
        };
        match (choice, keyring_result) {
            (_, Some(Ok(()))) => {
                entry.secret = SecretRef::Keyring;
                Ok(Placement {
                    store: "keyring",
                    note: None,
                })
            }
            (StoreChoice::Keyring, Some(Err(e))) => Err(e.into()),
            (_, failure) => {
                entry.secret = SecretRef::File { password };
                Ok(Placement {
                    store: "file",
                    note: failure.and_then(Result::err).map(|e| {
                        format!("{e}; saved the password in the 0600 credentials file instead")
                    }),
                })
            }
        }
    }

    /// Removes an entry and its keyring secret (under the lock). Unknown ids are an error.
    pub async fn remove(&self, server_id: &str) -> Result<ServerEntry, StoreError> {
        let _lock = self.lock().await?;
        let mut servers = self.load()?;
        let i = servers
            .iter()
            .position(|s| s.server_id == server_id)
            .ok_or_else(|| StoreError::UnknownServer(server_id.to_owned()))?;
        let removed = servers.remove(i);
        self.file.save(&servers)?;
        if matches!(removed.secret, SecretRef::Keyring) {
            self.keyring.delete(server_id).await?;
        }
        Ok(removed)
    }

    /// The password of an entry, wherever it lives (`None` for servers without one).
    pub async fn secret(&self, entry: &ServerEntry) -> Result<Option<SecretString>, StoreError> {
        match &entry.secret {
            SecretRef::File { password } => Ok(Some(password.clone())),
            SecretRef::Keyring => Ok(Some(self.keyring.get(&entry.server_id).await?)),
            SecretRef::None => Ok(None),
        }
    }
}
