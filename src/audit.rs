//! The audit log: one JSON line per write attempt that reaches the policy checks, allowed or
//! refused, appended and flushed to a 0600 file (`BACKUP_MCP_AUDIT_LOG`). Without a file the
//! lines go to the tracing log instead.
//!
//! Before a write is sent the file is opened ([`AuditLog::open`]); if that fails the write is
//! refused, so nothing is ever changed upstream without a line saying so.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;
use serde_json::Value;

/// The audit line, exactly the design's fields.
#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    /// RFC 3339, UTC.
    pub ts: String,
    pub tool: String,
    pub server_id: String,
    pub tenant_id: String,
    /// The tool's arguments (write tools take no secrets).
    pub args: Value,
    /// `allowed` or `denied`.
    pub decision: &'static str,
    pub reason: Option<String>,
    /// `ok` or `error`.
    pub outcome: &'static str,
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
    #[error("the audit log {0} is not a regular file")]
    NotAFile(PathBuf),
    #[error("cannot write to the audit log {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// Where audit lines go.
#[derive(Debug, Default)]
pub struct AuditLog {
    path: Option<PathBuf>,
    /// Serialises lines written from concurrent calls.
    lock: Mutex<()>,
}

/// An audit file opened for one write attempt.
#[derive(Debug)]
pub struct AuditSink {
    target: Option<(PathBuf, File)>,
}

impl AuditLog {
    pub fn new(path: Option<PathBuf>) -> Self {
        AuditLog {
            path,
            lock: Mutex::new(()),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Opens the file for appending (created 0600; looser permissions are tightened).
    pub fn open(&self) -> Result<AuditSink, AuditError> {
        let Some(path) = &self.path else {
            return Ok(AuditSink { target: None });
        };
        let open_err = |source| AuditError::Open {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .append(true)
            .create(true)
            .mode(0o600)
            .open(path)
            .map_err(open_err)?;
        let meta = file.metadata().map_err(open_err)?;
        if !meta.is_file() {
            return Err(AuditError::NotAFile(path.clone()));
        }
        if meta.permissions().mode() & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))
                .map_err(open_err)?;
        }
        Ok(AuditSink {
            target: Some((path.clone(), file)),
        })
    }

    /// Appends one line through an opened sink, flushed to disk.
    pub fn write(&self, sink: &mut AuditSink, record: &AuditRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record).unwrap_or_default();
        line.push('\n');
        let Some((path, file)) = &mut sink.target else {
            tracing::info!(target: "audit", "{}", line.trim_end());
            return Ok(());
        };
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let write_err = |source| AuditError::Write {
            path: path.clone(),
            source,
        };
        file.write_all(line.as_bytes()).map_err(write_err)?;
        file.flush().map_err(write_err)?;
        file.sync_data().map_err(write_err)
    }

    /// Opens and appends in one go (for refused attempts).
    pub fn append(&self, record: &AuditRecord) -> Result<(), AuditError> {
        let mut sink = self.open()?;
        self.write(&mut sink, record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> AuditRecord {
        AuditRecord {
            ts: "2026-01-01T00:00:00Z".into(),
            tool: "trigger_backup".into(),
            server_id: "s".into(),
            tenant_id: "t".into(),
            args: serde_json::json!({"plan_id": "p"}),
            decision: "allowed",
            reason: None,
            outcome: "ok",
            operation_id: Some("12".into()),
            duration_ms: 3,
        }
    }

    #[test]
    fn lines_are_appended_to_a_0600_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let log = AuditLog::new(Some(path.clone()));
        log.append(&record()).unwrap();
        log.append(&record()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        let v: Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(v.as_object().unwrap().len(), 10);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn an_unopenable_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::new(Some(dir.path().to_path_buf()));
        assert!(log.open().is_err());
        let log = AuditLog::new(Some(dir.path().join("missing/dir/audit.jsonl")));
        assert!(log.open().is_err());
    }
}
