//! Where logs go (stderr, since stdout belongs to MCP, or `BACKUP_MCP_LOG_FILE`) and what they
//! may never contain: every line passes through the secret scrubber, and the value of any field
//! whose name contains `password` is replaced, so even `BACKUP_MCP_LOG=debug` (which logs whole
//! MCP messages) writes no password a model passed as a tool argument.

use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, LazyLock, Mutex};

use regex::Regex;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::config::{DEFAULT_LOG_FILTER, Settings};
use crate::secrets;

/// `"…password…": "value"` in JSON, and `"…password…": String("value")` in Rust debug output.
static PASSWORD_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)("[^"\\]*(?:password|passwd|secret)[^"\\]*"\s*:\s*(?:String\(\s*)?")((?:[^"\\]|\\.)*)""#)
        .expect("the password-field pattern is valid")
});

/// A log line made safe to write.
pub fn redact_line(line: &str) -> String {
    let scrubbed = secrets::scrub(line);
    PASSWORD_FIELD
        .replace_all(&scrubbed, |caps: &regex::Captures<'_>| {
            format!("{}{}\"", &caps[1], secrets::REDACTED)
        })
        .into_owned()
}

/// Who reads stderr, which decides what is logged there by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// `serve`/`demo`: stderr is the MCP client's log of this server.
    Server,
    /// `login`, `test` and the other commands: a person reads stderr, and each failure is
    /// already told once as the command's own message; log lines (including those of rustls,
    /// such as "Sending fatal alert BadCertificate") would repeat it as noise.
    Person,
}

/// Starts the global subscriber. A log file that cannot be opened falls back to stderr, saying so.
/// For a [`Audience::Person`] nothing is logged to stderr unless `BACKUP_MCP_LOG` asks for
/// something other than the default.
pub fn init(settings: &Settings, audience: Audience) {
    let target = match settings.log_file.as_deref().map(open_private) {
        Some(Ok(file)) => Target::File(Arc::new(Mutex::new(file))),
        Some(Err((path, e))) => {
            eprintln!("backup-mcp: cannot open log file {path}: {e}");
            Target::Stderr
        }
        None => Target::Stderr,
    };
    let quiet = audience == Audience::Person
        && matches!(target, Target::Stderr)
        && settings.log_filter == DEFAULT_LOG_FILTER;
    let directive = if quiet { "off" } else { &settings.log_filter };
    let filter = EnvFilter::try_new(directive).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_target(false)
        .with_writer(target)
        .init();
}

/// Opens (creating with mode 0600) the log file for appending; an existing file is tightened to
/// 0600 too, since it may hold upstream messages about the operator's servers.
fn open_private(path: &Path) -> Result<std::fs::File, (String, io::Error)> {
    let shown = path.display().to_string();
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path).map_err(|e| (shown.clone(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| (shown, e))?;
    }
    Ok(file)
}

/// Where formatted log events are written.
#[derive(Clone)]
enum Target {
    Stderr,
    File(Arc<Mutex<std::fs::File>>),
}

/// Buffers one event, redacts it, and writes it whole on drop.
pub struct RedactingWriter {
    target: Target,
    buffer: Vec<u8>,
}

impl Write for RedactingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for RedactingWriter {
    fn drop(&mut self) {
        if self.buffer.is_empty() {
            return;
        }
        let line = redact_line(&String::from_utf8_lossy(&self.buffer));
        let _ = match &self.target {
            Target::Stderr => io::stderr().lock().write_all(line.as_bytes()),
            Target::File(file) => file
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .write_all(line.as_bytes()),
        };
    }
}

impl<'a> MakeWriter<'a> for Target {
    type Writer = RedactingWriter;

    fn make_writer(&'a self) -> Self::Writer {
        RedactingWriter {
            target: self.clone(),
            buffer: Vec::with_capacity(256),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_fields_are_redacted_in_json_and_debug_forms() {
        let json = r#"{"name":"connect_server","arguments":{"password":"pa\"ss-1"}}"#;
        let line = redact_line(json);
        assert!(!line.contains("pa\\\"ss-1"), "{line}");
        assert!(line.contains(r#""password":"[redacted]""#), "{line}");
        let debug = r#"Object {"base_url": String("x"), "password": String("hunter22")}"#;
        let line = redact_line(debug);
        assert!(!line.contains("hunter22"), "{line}");
        assert!(line.contains("String(\"x\")"));
    }
}
