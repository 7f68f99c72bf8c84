//! Reading and replacing a client's config file without ever losing it: the real file behind a
//! symlink (dotfile managers link these), a lock against a concurrent `install`, a timestamped
//! backup of what was there, and an atomic replace that keeps the file's mode.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::store::{StoreLock, lock};

use super::InstallError;

/// A client's config file at a resolved path.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    path: PathBuf,
}

impl ConfigFile {
    /// The file at `path`, or the file a symlink there points at.
    pub fn at(path: &Path) -> ConfigFile {
        let is_link = fs::symlink_metadata(path)
            .map(|m| m.file_type().is_symlink())
            .unwrap_or(false);
        let path = if is_link {
            fs::canonicalize(path).unwrap_or_else(|_| path.to_owned())
        } else {
            path.to_owned()
        };
        ConfigFile { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text, or `None` when there is no file yet.
    pub fn read(&self) -> Result<Option<String>, InstallError> {
        match fs::read(&self.path) {
            Ok(bytes) => String::from_utf8(bytes)
                .map(Some)
                .map_err(|e| InstallError::Invalid {
                    path: self.path.clone(),
                    format: "UTF-8 text",
                    line: 0,
                    column: e.utf8_error().valid_up_to(),
                    message: "it holds bytes that are not UTF-8".into(),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(self.io("read", e)),
        }
    }

    /// Creates the file's directory if needed and takes the lock beside the file.
    pub async fn lock(&self) -> Result<StoreLock, InstallError> {
        fs::create_dir_all(self.dir()).map_err(|e| self.io("create the directory of", e))?;
        let mut name = self.path.file_name().unwrap_or_default().to_owned();
        name.push(".backup-mcp.lock");
        Ok(lock::acquire_at(&self.path, self.path.with_file_name(name), lock::LOCK_WAIT).await?)
    }

    /// Keeps `old` as `<file>.<UTC time>.bak` beside the file (never replacing an older backup).
    pub fn backup(&self, old: &str) -> Result<PathBuf, InstallError> {
        let name = self.path.file_name().unwrap_or_default().to_string_lossy();
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        for n in 1..100 {
            let suffix = if n == 1 {
                String::new()
            } else {
                format!("-{n}")
            };
            let backup = self
                .path
                .with_file_name(format!("{name}.{stamp}{suffix}.bak"));
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(self.mode().unwrap_or(0o600));
            }
            match options.open(&backup) {
                Ok(mut file) => {
                    file.write_all(old.as_bytes())
                        .and_then(|()| file.sync_all())
                        .map_err(|e| self.io("write a backup of", e))?;
                    return Ok(backup);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.io("write a backup of", e)),
            }
        }
        Err(self.io(
            "write a backup of",
            std::io::Error::other("too many backups this second"),
        ))
    }

    /// Replaces the file with `text` atomically (temp file in the same directory, fsync,
    /// rename), with the old file's mode; a new file is created 0600.
    pub fn replace(&self, text: &str) -> Result<(), InstallError> {
        let dir = self.dir();
        fs::create_dir_all(dir).map_err(|e| self.io("create the directory of", e))?;
        let mut tmp = tempfile::Builder::new()
            .prefix(".backup-mcp-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| self.io("create a temporary file beside", e))?;
        #[cfg(unix)]
        if let Some(mode) = self.mode() {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
                .map_err(|e| self.io("set the mode of a temporary file beside", e))?;
        }
        tmp.write_all(text.as_bytes())
            .and_then(|()| tmp.as_file().sync_all())
            .map_err(|e| self.io("write", e))?;
        tmp.persist(&self.path)
            .map_err(|e| self.io("replace", e.error))?;
        if let Ok(handle) = fs::File::open(dir) {
            let _ = handle.sync_all();
        }
        Ok(())
    }

    fn dir(&self) -> &Path {
        self.path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
    }

    #[cfg(unix)]
    fn mode(&self) -> Option<u32> {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(&self.path)
            .ok()
            .map(|m| m.permissions().mode() & 0o7777)
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> InstallError {
        InstallError::Io {
            action,
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_symlinked_config_is_written_through_and_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("dotfiles-mcp.json");
        fs::write(&real, "{}").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("mcp.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let file = ConfigFile::at(&link);
        let first = file.backup("{}").unwrap();
        let second = file.backup("{}").unwrap();
        assert_ne!(first, second, "a backup never replaces another");
        file.replace("{\"a\":1}").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "{\"a\":1}");
        let mode = fs::metadata(&real).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(fs::read_to_string(first).unwrap(), "{}");
    }
}
