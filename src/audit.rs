//! The audit log: JSON lines about every call of a write tool, appended and flushed to disk in a
//! 0600 file (`BACKUP_MCP_AUDIT_LOG`). Without a file the lines go to the tracing log instead.
//!
//! A write that goes ahead leaves two lines sharing an `attempt` id: the `intent`, written and
//! fsynced before anything is sent upstream (if it cannot be written the write is refused), and
//! the `outcome` afterwards. A refused call leaves one `outcome` line with `decision: denied`.
//!
//! The file must be a regular file owned by this user: it is opened without following a final
//! symlink and without blocking (a FIFO or device is refused after `fstat`, never waited on), and
//! every line is written on the blocking pool under a deadline, so a hung filesystem refuses the
//! write instead of freezing the server.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

/// How long one line may take to reach the disk before the write it records is refused.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(5);

/// Which line of an attempt this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Every check passed and the write is about to be sent.
    Intent,
    /// What happened: the write's result, or the refusal.
    Outcome,
}

/// Whether the policy let the write through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    Allowed,
    Denied,
}

/// How an attempt ended (absent on the intent line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Sent, and the server accepted it.
    Ok,
    /// Sent (or being sent) and it failed.
    Error,
    /// Never sent.
    Refused,
}

/// One audit line.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub ts: String,
    /// Ties the intent line to its outcome line.
    pub attempt: String,
    pub phase: Phase,
    pub tool: String,
    /// The server the call named (it may not exist).
    pub server_id: String,
    /// The target server's tenant; null when the call never got as far as a known server.
    pub tenant_id: Option<String>,
    /// The tool's arguments (write tools take no secrets).
    pub args: Value,
    pub decision: Decision,
    pub reason: Option<String>,
    pub outcome: Option<Outcome>,
    pub operation_id: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("cannot open the audit log {path}: {source}")]
    Open {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the audit log {path} is {what}, not a regular file; refusing to use it")]
    NotAFile { path: PathBuf, what: &'static str },
    #[error(
        "the audit log {path} belongs to user id {owner}, not to this user; refusing to use it"
    )]
    NotOurs { path: PathBuf, owner: u32 },
    #[error("cannot write to the audit log {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the audit log {path} did not take a line within {secs}s")]
    Timeout { path: PathBuf, secs: u64 },
}

/// Where audit lines go.
#[derive(Debug)]
pub struct AuditLog {
    path: Option<PathBuf>,
    deadline: Duration,
    /// Keeps lines of concurrent calls whole (a short write is never interleaved).
    lock: Arc<Mutex<()>>,
}

impl AuditLog {
    pub fn new(path: Option<PathBuf>) -> Self {
        AuditLog {
            path,
            deadline: WRITE_DEADLINE,
            lock: Arc::default(),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Appends one line and waits until it is on disk, off the async runtime and within the
    /// deadline. An error means the line may not have been written.
    pub async fn write(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record).unwrap_or_default();
        line.push('\n');
        let Some(path) = self.path.clone() else {
            tracing::info!(target: "audit", "{}", line.trim_end());
            return Ok(());
        };
        let lock = self.lock.clone();
        let job_path = path.clone();
        let job = tokio::task::spawn_blocking(move || {
            let _guard = lock.lock().unwrap_or_else(|p| p.into_inner());
            append(&job_path, line.as_bytes())
        });
        match tokio::time::timeout(self.deadline, job).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(AuditError::Write {
                path,
                source: std::io::Error::other(join.to_string()),
            }),
            // The blocked thread is left behind; the write it was for is refused.
            Err(_) => Err(AuditError::Timeout {
                path,
                secs: self.deadline.as_secs(),
            }),
        }
    }
}

/// Opens the file safely, appends `line` in one piece and fsyncs it.
fn append(path: &Path, line: &[u8]) -> Result<(), AuditError> {
    let mut file = open(path)?;
    let write_err = |source| AuditError::Write {
        path: path.to_owned(),
        source,
    };
    file.write_all(line).map_err(write_err)?;
    file.sync_data().map_err(write_err)
}

/// Opens for appending (created 0600): no final symlink followed, no blocking on a FIFO or
/// device, then refused unless it is a regular file of ours; looser modes are tightened through
/// the open file, never through the path.
fn open(path: &Path) -> Result<File, AuditError> {
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    platform::no_symlink_no_wait(&mut options);
    let opened = options.open(path);
    let file = match opened {
        Ok(file) => file,
        Err(source) => {
            return Err(
                match std::fs::symlink_metadata(path).map(|m| m.file_type()) {
                    Ok(t) if !t.is_file() => AuditError::NotAFile {
                        path: path.to_owned(),
                        what: describe(&t),
                    },
                    _ => AuditError::Open {
                        path: path.to_owned(),
                        source,
                    },
                },
            );
        }
    };
    let open_err = |source| AuditError::Open {
        path: path.to_owned(),
        source,
    };
    let meta = file.metadata().map_err(open_err)?;
    if !meta.is_file() {
        return Err(AuditError::NotAFile {
            path: path.to_owned(),
            what: describe(&meta.file_type()),
        });
    }
    platform::ours_and_private(path, &file, &meta)?;
    Ok(file)
}

/// What a path that is not a regular file is, for the error.
fn describe(t: &std::fs::FileType) -> &'static str {
    if t.is_symlink() {
        return "a symbolic link";
    }
    if t.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
    }
    "something else"
}

/// What differs between Unix and Windows in opening the audit file.
#[cfg(unix)]
mod platform {
    use std::fs::{File, Metadata, OpenOptions};
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    use std::path::Path;

    use super::AuditError;

    /// Created 0600; no final symlink followed; a FIFO never blocks the open.
    pub fn no_symlink_no_wait(options: &mut OpenOptions) {
        options
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }

    /// Refuses a file of another user; tightens a looser mode through the open file.
    pub fn ours_and_private(path: &Path, file: &File, meta: &Metadata) -> Result<(), AuditError> {
        if meta.uid() != effective_uid() {
            return Err(AuditError::NotOurs {
                path: path.to_owned(),
                owner: meta.uid(),
            });
        }
        if meta.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(|source| AuditError::Open {
                    path: path.to_owned(),
                    source,
                })?;
        }
        Ok(())
    }

    fn effective_uid() -> u32 {
        // SAFETY: geteuid has no preconditions and cannot fail.
        unsafe { libc::geteuid() }
    }
}

/// Windows: a reparse point is opened as itself (and then refused as not a regular file); the
/// file inherits the ACL of the per-user folder it is in, so there is no owner or mode to check.
#[cfg(windows)]
mod platform {
    use std::fs::{File, Metadata, OpenOptions};
    use std::os::windows::fs::OpenOptionsExt;
    use std::path::Path;

    use super::AuditError;

    pub fn no_symlink_no_wait(options: &mut OpenOptions) {
        const FILE_FLAG_OPEN_REPARSE_POINT: u32 = 0x0020_0000;
        options.custom_flags(FILE_FLAG_OPEN_REPARSE_POINT);
    }

    pub fn ours_and_private(_: &Path, _: &File, _: &Metadata) -> Result<(), AuditError> {
        Ok(())
    }
}

// The attacks these tests play (symlinks, FIFOs, modes) are Unix ones.
#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn record() -> AuditRecord {
        AuditRecord {
            ts: "2026-01-01T00:00:00Z".into(),
            attempt: "a1".into(),
            phase: Phase::Outcome,
            tool: "trigger_backup".into(),
            server_id: "s".into(),
            tenant_id: Some("t".into()),
            args: serde_json::json!({"plan_id": "p"}),
            decision: Decision::Allowed,
            reason: None,
            outcome: Some(Outcome::Ok),
            operation_id: Some("12".into()),
            duration_ms: 3,
        }
    }

    #[tokio::test]
    async fn lines_are_appended_to_a_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::new(Some(path.clone()));
        log.write(&record()).await.unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        log.write(&record()).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let v: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 12);
        assert_eq!(v["phase"], "outcome");
        assert_eq!(v["outcome"], "ok");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a loosened mode is tightened again");
    }

    #[tokio::test]
    async fn anything_but_a_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::write(&target, "").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let cases = [
            (link, "symbolic link"),
            (dir.path().to_path_buf(), "directory"),
            (PathBuf::from("/dev/null"), "device"),
        ];
        for (path, what) in cases {
            let err = AuditLog::new(Some(path.clone()))
                .write(&record())
                .await
                .unwrap_err();
            assert!(err.to_string().contains(what), "{path:?}: {err}");
        }
        let mode = std::fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "the link's target is untouched");
        assert_eq!(std::fs::read(&target).unwrap(), b"");
        let missing = dir.path().join("missing/dir/audit.jsonl");
        assert!(matches!(
            AuditLog::new(Some(missing)).write(&record()).await,
            Err(AuditError::Open { .. })
        ));
    }

    #[tokio::test]
    async fn a_line_that_cannot_get_through_in_time_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = AuditLog::new(Some(dir.path().join("audit.jsonl")));
        log.deadline = Duration::from_millis(200);
        // Another line is stuck in the filesystem (here: it holds the writer lock for good).
        let lock = log.lock.clone();
        let (release, wait_for_release) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            let _held = lock.lock().unwrap();
            let _ = wait_for_release.recv();
        });
        std::thread::sleep(Duration::from_millis(50));
        let started = std::time::Instant::now();
        let err = log.write(&record()).await.unwrap_err();
        assert!(matches!(err, AuditError::Timeout { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(2));
        drop(release);
        holder.join().unwrap();
    }
}
