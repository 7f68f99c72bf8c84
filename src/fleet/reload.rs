//! Picking up `backup-mcp login` and `logout` while the MCP server runs.
//!
//! The fleet remembers the credentials file's stamp (modification time, size and, on Unix, inode
//! and change time) when it loaded it. Every tool call compares the stamp with a fresh `stat`
//! (one system call); only when it differs is the file read again and the saved servers
//! reconciled: new entries are added and log in in the background, removed ones dropped, edited
//! ones rebuilt, and unchanged ones kept with their health and tokens. The CLI replaces the file
//! by an atomic rename, so a read never sees half a file and needs no lock.
//!
//! Passwords kept in the OS keyring are not compared (that would cost a keyring call per server
//! and call): an unchanged keyring-backed server keeps its connection, unless its last login was
//! refused (`down`, reason `auth`), in which case it is rebuilt so its next login reads the
//! keyring again.

use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::SystemTime;

use super::{Origin, SecretSource, Server, Status};
use crate::store::{CredentialStore, SecretRef, ServerEntry};
use crate::upstream::FailureReason;

/// What identifies one version of the credentials file (`None` fields: no file).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
    changed: i64,
}

impl Stamp {
    /// The file's stamp now; a missing file has the default stamp.
    pub fn of(path: &Path) -> Stamp {
        let Ok(meta) = std::fs::metadata(path) else {
            return Stamp::default();
        };
        #[cfg(unix)]
        let (inode, changed) = {
            use std::os::unix::fs::MetadataExt;
            (meta.ino(), meta.ctime_nsec() + meta.ctime() * 1_000_000_000)
        };
        #[cfg(not(unix))]
        let (inode, changed) = (0, 0);
        Stamp {
            modified: meta.modified().ok(),
            len: meta.len(),
            inode,
            changed,
        }
    }
}

/// The store the fleet was loaded from and the stamp of what it last read.
pub struct StoreWatch {
    pub store: CredentialStore,
    stamp: Mutex<Stamp>,
}

impl StoreWatch {
    /// Watches `store`, whose file had `stamp` when it was read.
    pub fn new(store: CredentialStore, stamp: Stamp) -> Self {
        StoreWatch {
            store,
            stamp: Mutex::new(stamp),
        }
    }

    /// When the file changed since the last read, reads it and reconciles `servers` with it
    /// (under the stamp's lock, so concurrent calls wait for one reload rather than racing it).
    /// A file that cannot be read leaves the servers as they were until it changes again.
    pub fn reload(&self, servers: &RwLock<Vec<Arc<Server>>>) -> Option<Reconciled> {
        let mut last = self.stamp.lock().unwrap_or_else(|p| p.into_inner());
        let now = Stamp::of(self.store.path());
        if *last == now {
            return None;
        }
        *last = now;
        let entries = match self.store.load() {
            Ok(entries) => entries,
            Err(e) => {
                tracing::warn!(error = %e, "the credentials file changed but cannot be read; keeping the servers loaded before");
                return None;
            }
        };
        let mut servers = servers.write().unwrap_or_else(|p| p.into_inner());
        let (next, done) = reconcile(&servers, entries, &self.store);
        *servers = next;
        Some(done)
    }
}

/// What a reload did, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub rebuilt: Vec<String>,
}

impl Reconciled {
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.rebuilt.is_empty()
    }
}

/// The fleet after a reload: the saved servers in the file's order (unchanged ones reused), then
/// the session servers. A session server keeps an id that a new saved entry also uses.
pub fn reconcile(
    current: &[Arc<Server>],
    entries: Vec<ServerEntry>,
    store: &CredentialStore,
) -> (Vec<Arc<Server>>, Reconciled) {
    let mut done = Reconciled::default();
    let session: Vec<Arc<Server>> = current
        .iter()
        .filter(|s| s.origin == Origin::Session)
        .cloned()
        .collect();
    let mut next = Vec::with_capacity(entries.len() + session.len());
    for entry in entries {
        if session.iter().any(|s| s.id() == entry.server_id) {
            tracing::warn!(server_id = %entry.server_id, "a saved server has the id of a session server; keeping the session server");
            continue;
        }
        let old = current
            .iter()
            .find(|s| s.origin == Origin::Saved && s.id() == entry.server_id);
        match old {
            Some(old) if keeps(old, &entry) => next.push(old.clone()),
            old => {
                let id = entry.server_id.clone();
                let source = SecretSource::Store(store.clone(), Box::new(entry.clone()));
                let conn = super::Connection::new(&entry, source);
                next.push(Arc::new(Server::new(entry, Origin::Saved, conn)));
                if old.is_some() {
                    done.rebuilt.push(id);
                } else {
                    done.added.push(id);
                }
            }
        }
    }
    done.removed = current
        .iter()
        .filter(|s| s.origin == Origin::Saved && !next.iter().any(|n| n.id() == s.id()))
        .map(|s| s.id().to_owned())
        .collect();
    next.extend(session);
    (next, done)
}

/// Whether a saved server can stay as it is for `entry`: the same entry (secret included), and
/// for a keyring secret not refused at its last login.
fn keeps(server: &Server, entry: &ServerEntry) -> bool {
    let same = serde_json::to_value(&server.entry).ok() == serde_json::to_value(entry).ok();
    if !same {
        return false;
    }
    let health = server.health();
    let refused = health.status == Status::Down && health.reason == Some(FailureReason::Auth);
    !(matches!(entry.secret, SecretRef::Keyring) && refused)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::Connection;
    use crate::store::ServerKind;

    fn entry(id: &str, url: &str) -> ServerEntry {
        ServerEntry {
            server_id: id.into(),
            kind: ServerKind::Backrest,
            label: id.into(),
            base_url: url.into(),
            username: String::new(),
            tenant_id: None,
            ca_cert_pem: None,
            tls_fingerprint: None,
            secret: SecretRef::None,
        }
    }

    fn server(e: ServerEntry, origin: Origin) -> Arc<Server> {
        let conn = Connection::new(&e, SecretSource::Known(None));
        Arc::new(Server::new(e, origin, conn))
    }

    #[test]
    fn unchanged_servers_are_kept_and_the_rest_follow_the_file() {
        let store = CredentialStore::open(Some("/nonexistent/credentials.json".into())).unwrap();
        let kept = server(entry("kept", "http://a"), Origin::Saved);
        kept.disconnect();
        let current = vec![
            kept.clone(),
            server(entry("edited", "http://b"), Origin::Saved),
            server(entry("gone", "http://c"), Origin::Saved),
            server(entry("mine", "http://d"), Origin::Session),
        ];
        let file = vec![
            entry("new", "http://e"),
            entry("kept", "http://a"),
            entry("edited", "http://b2"),
            entry("mine", "http://f"),
        ];
        let (next, done) = reconcile(&current, file, &store);
        let ids: Vec<&str> = next.iter().map(|s| s.id()).collect();
        assert_eq!(ids, ["new", "kept", "edited", "mine"]);
        assert!(Arc::ptr_eq(&next[1], &kept), "kept with its state");
        assert_eq!(next[1].status(), Status::Disconnected);
        assert_eq!(next[2].entry.base_url, "http://b2");
        assert_eq!(
            next[3].origin,
            Origin::Session,
            "a session server keeps its id"
        );
        assert_eq!(
            done,
            Reconciled {
                added: vec!["new".into()],
                removed: vec!["gone".into()],
                rebuilt: vec!["edited".into()],
            }
        );
    }

    #[test]
    fn a_stamp_changes_when_the_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        let missing = Stamp::of(&path);
        std::fs::write(&path, "{}").unwrap();
        let first = Stamp::of(&path);
        assert_ne!(missing, first);
        let tmp = dir.path().join("tmp");
        std::fs::write(&tmp, "{}").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_ne!(first, Stamp::of(&path), "same size and content, new file");
        assert_eq!(Stamp::of(&path), Stamp::of(&path));
    }
}
