//! The fleet: every saved server plus those connected for this session only.
//!
//! Loading never blocks on the network: servers start as `connecting` and log in concurrently in
//! the background, so the MCP handshake is answered at once. Tool calls pick their servers here,
//! after [`Fleet::reload_if_changed`] has picked up servers saved or removed with the CLI
//! (`reload`).

pub mod connection;
pub mod health;
pub mod probe;
pub mod reload;
pub mod server;

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

pub use connection::{Connection, Request, SecretSource};
pub use health::Status;
pub use reload::{Stamp, StoreWatch};
pub use server::{Origin, Server, ServerFailure};

use crate::store::{CredentialStore, ServerEntry, ServerKind, StoreError};
use crate::tenants::TenantIds;

/// Why a selection of servers could not be made.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    #[error("unknown server_id {0:?}; call list_servers to see the ids")]
    UnknownServer(String),
    #[error("server {id:?} is a {actual} server; this tool needs a {wanted} server")]
    WrongKind {
        id: String,
        actual: ServerKind,
        wanted: ServerKind,
    },
    #[error("a server with id {0:?} already exists; disconnect_server it first or pick another id")]
    Duplicate(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Which servers a fan-out should ask.
#[derive(Debug, Default, Clone)]
pub struct Selection<'a> {
    pub kind: Option<ServerKind>,
    pub server_id: Option<&'a str>,
    /// Only Backrest servers of these tenants (NovaBACKUP servers hold many tenants each).
    pub tenants: Option<&'a TenantIds>,
}

#[derive(Default)]
pub struct Fleet {
    servers: RwLock<Vec<Arc<Server>>>,
    /// The credentials file the saved servers came from (none for the demo), re-read when it
    /// changes.
    watch: Option<StoreWatch>,
}

impl Fleet {
    /// Builds the fleet from the saved entries; secrets in the keyring are read at first login.
    pub fn from_store(store: &CredentialStore) -> Result<Self, FleetError> {
        // Stamped before reading: a change made meanwhile is read again at the next call.
        let stamp = Stamp::of(store.path());
        let fleet = Fleet {
            watch: Some(StoreWatch::new(store.clone(), stamp)),
            ..Fleet::default()
        };
        for entry in store.load()? {
            let source = SecretSource::Store(store.clone(), Box::new(entry.clone()));
            fleet.insert(entry, Origin::Saved, source)?;
        }
        Ok(fleet)
    }

    /// Adds a server (at the end, keeping saved order first).
    pub fn insert(
        &self,
        entry: ServerEntry,
        origin: Origin,
        secret: SecretSource,
    ) -> Result<Arc<Server>, FleetError> {
        let conn = Connection::new(&entry, secret);
        let server = Arc::new(Server::new(entry, origin, conn));
        let mut servers = self.servers.write().expect("fleet lock");
        if servers.iter().any(|s| s.id() == server.id()) {
            return Err(FleetError::Duplicate(server.id().to_owned()));
        }
        servers.push(server.clone());
        Ok(server)
    }

    /// Drops a session-only server entirely.
    pub fn remove(&self, server_id: &str) {
        self.servers
            .write()
            .expect("fleet lock")
            .retain(|s| s.id() != server_id);
    }

    pub fn all(&self) -> Vec<Arc<Server>> {
        self.servers.read().expect("fleet lock").clone()
    }

    pub fn get(&self, server_id: &str) -> Option<Arc<Server>> {
        self.all().into_iter().find(|s| s.id() == server_id)
    }

    pub fn len(&self) -> usize {
        self.servers.read().expect("fleet lock").len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The servers a call should ask, in saved order. A named server that does not exist (or is
    /// of the wrong kind) is an error rather than an empty answer.
    pub fn select(&self, selection: &Selection<'_>) -> Result<Vec<Arc<Server>>, FleetError> {
        if let Some(id) = selection.server_id {
            let server = self
                .get(id)
                .ok_or_else(|| FleetError::UnknownServer(id.to_owned()))?;
            if let Some(wanted) = selection.kind.filter(|k| *k != server.kind()) {
                return Err(FleetError::WrongKind {
                    id: id.to_owned(),
                    actual: server.kind(),
                    wanted,
                });
            }
            return Ok(vec![server]);
        }
        Ok(self
            .all()
            .into_iter()
            .filter(|s| selection.kind.is_none_or(|k| s.kind() == k))
            .filter(|s| match (selection.tenants, s.kind()) {
                // A Backrest server belongs to exactly one tenant: skip the others.
                (Some(t), ServerKind::Backrest) => t.admits(Some(s.entry.default_tenant())),
                _ => true,
            })
            .collect())
    }

    /// The credentials file the saved servers are read from (`None` for the demo fleet).
    pub fn credentials_file(&self) -> Option<&std::path::Path> {
        self.watch.as_ref().map(|w| w.store.path())
    }

    /// Picks up servers saved or removed with the CLI since the last look (a `stat` when nothing
    /// changed); servers added or rebuilt log in in the background within `timeout`.
    pub fn reload_if_changed(&self, timeout: Duration) {
        let Some(done) = self.watch.as_ref().and_then(|w| w.reload(&self.servers)) else {
            return;
        };
        if done.is_empty() {
            return;
        }
        tracing::info!(added = ?done.added, removed = ?done.removed, rebuilt = ?done.rebuilt, "saved servers changed");
        for id in done.added.iter().chain(&done.rebuilt) {
            if let Some(server) = self.get(id) {
                tokio::spawn(async move {
                    let _ = server.connect(Instant::now() + timeout).await;
                });
            }
        }
    }

    /// Logs every server in, all at once, in the background.
    pub fn connect_all_in_background(&self, timeout: Duration) {
        for server in self.all() {
            tokio::spawn(async move {
                let _ = server.connect(Instant::now() + timeout).await;
            });
        }
    }
}
