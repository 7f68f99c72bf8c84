//! The advisory lock that serialises every read-modify-write of the credentials file across
//! processes (`login`, `logout`, `import-novabackup` running at once), so none loses another's
//! entry.
//!
//! The lock is taken on a sidecar file (`credentials.json.lock`), not on the credentials file
//! itself: that one is replaced by a rename on every save, so a lock on it would be on a file that
//! no longer has the name. The sidecar is never deleted (deleting it would let two processes lock
//! two different files). Waiting is bounded: a holder that never lets go gives a clear error, not
//! a hang.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fs4::{FileExt, TryLockError};

use super::StoreError;

/// How long a change of the credentials file waits for another process to finish its own.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// How often a held lock is tried again.
const RETRY_EVERY: Duration = Duration::from_millis(25);

/// The exclusive lock, released when dropped (closing the file releases the `flock`).
#[derive(Debug)]
pub struct StoreLock {
    _file: File,
}

/// The sidecar lock file of the credentials file at `path`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".lock");
    path.with_file_name(name)
}

/// Takes the exclusive lock beside `path` (whose directory must exist), waiting at most `wait`.
pub async fn acquire(path: &Path, wait: Duration) -> Result<StoreLock, StoreError> {
    acquire_at(path, lock_path(path), wait).await
}

/// Takes the exclusive lock file `lock` that guards changes of `path` (`install` uses its own
/// name beside a client's config, as clients have their own `.lock` conventions).
pub async fn acquire_at(
    path: &Path,
    lock: PathBuf,
    wait: Duration,
) -> Result<StoreLock, StoreError> {
    let io = |action: &'static str| {
        let lock = lock.clone();
        move |source| StoreError::Io {
            action,
            path: lock,
            source,
        }
    };
    // No symlink is followed, so the lock cannot be pointed at (and create) a file elsewhere.
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    no_symlink_private(&mut options);
    let file = options.open(&lock).map_err(io("open the lock file"))?;
    let give_up = Instant::now() + wait;
    loop {
        match FileExt::try_lock(&file) {
            Ok(()) => return Ok(StoreLock { _file: file }),
            Err(TryLockError::WouldBlock) if Instant::now() < give_up => {
                tokio::time::sleep(RETRY_EVERY).await;
            }
            Err(TryLockError::WouldBlock) => {
                return Err(StoreError::Locked {
                    path: path.to_owned(),
                    lock,
                    waited: wait,
                });
            }
            Err(TryLockError::Error(e)) => return Err(io("lock")(e)),
        }
    }
}

/// Unix: created 0600, and a symlink in the final component is refused (`O_NOFOLLOW`).
#[cfg(unix)]
fn no_symlink_private(options: &mut OpenOptions) {
    use std::os::unix::fs::OpenOptionsExt;
    options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
}

/// Windows: a reparse point (symlink or junction) is opened as itself, never followed; the file
/// inherits the ACL of the per-user folder it lives in.
#[cfg(windows)]
fn no_symlink_private(options: &mut OpenOptions) {
    use std::os::windows::fs::OpenOptionsExt;
    const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
    options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_held_lock_gives_up_after_the_wait_and_frees_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        assert_eq!(lock_path(&path), dir.path().join("credentials.json.lock"));
        let held = acquire(&path, LOCK_WAIT).await.unwrap();
        let started = Instant::now();
        let err = acquire(&path, Duration::from_millis(200))
            .await
            .unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(200));
        assert!(matches!(err, StoreError::Locked { .. }), "{err}");
        assert!(err.to_string().contains("credentials.json.lock"), "{err}");
        drop(held);
        acquire(&path, Duration::from_millis(200)).await.unwrap();
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_symlinked_lock_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("credentials.json");
        let elsewhere = dir.path().join("elsewhere");
        std::os::unix::fs::symlink(&elsewhere, lock_path(&path)).unwrap();
        assert!(acquire(&path, LOCK_WAIT).await.is_err());
        assert!(!elsewhere.exists(), "the link's target was not created");
    }
}
