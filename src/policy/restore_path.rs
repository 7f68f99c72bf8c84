//! The restore target guard. A restore writes files on the Backrest host, so the target must be
//! an absolute path strictly under the allowed prefix (`BACKUP_MCP_RESTORE_ALLOWED_PREFIX`),
//! compared by path components so `/tmp/backrest-restore-evil` is outside `/tmp/backrest-restore`.
//!
//! Checks are lexical (no `..`, no `//`, no control characters) because the path lives on another
//! machine. When that machine is this one (a Backrest on loopback), symlinks of the nearest
//! existing ancestor are resolved too, so a link under the prefix cannot point outside it. The
//! normalised path is what gets sent.

use std::path::{Path, PathBuf};

use super::Refusal;

/// The normalised target to send, or why it is refused.
pub fn guard(target: &str, prefix: &Path, resolve_symlinks: bool) -> Result<String, Refusal> {
    // Backrest trims whitespace itself: check what it will use.
    let trimmed = target.trim();
    let parts = lexical_components(trimmed).map_err(|why| refuse(target, prefix, &why))?;
    let prefix_text = prefix.to_string_lossy();
    let prefix_parts = lexical_components(&prefix_text).map_err(|why| {
        refuse(
            target,
            prefix,
            &format!("the allowed prefix itself is invalid: {why}"),
        )
    })?;
    if !strictly_under(&parts, &prefix_parts) {
        return Err(refuse(
            target,
            prefix,
            "it is not inside the allowed prefix (pick a new folder under it)",
        ));
    }
    let normalised = format!("/{}", parts.join("/"));
    if resolve_symlinks {
        let real = resolve(Path::new(&normalised)).map_err(|why| refuse(target, prefix, &why))?;
        let real_prefix = resolve(&PathBuf::from(format!("/{}", prefix_parts.join("/"))))
            .map_err(|why| refuse(target, prefix, &why))?;
        if !real.starts_with(&real_prefix) || real == real_prefix {
            return Err(refuse(
                target,
                prefix,
                &format!(
                    "a symlink takes it outside the allowed prefix (it resolves to {})",
                    real.display()
                ),
            ));
        }
    }
    Ok(normalised)
}

/// True when the server's URL points at this machine (so its paths are our paths).
pub fn is_loopback(base_url: &str) -> bool {
    match url::Url::parse(base_url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        // 0.0.0.0 and :: reach this machine too.
        Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
        Some(url::Host::Ipv6(ip)) => {
            ip.is_loopback()
                || ip.is_unspecified()
                || ip
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_unspecified())
        }
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        None => false,
    }
}

fn refuse(target: &str, prefix: &Path, why: &str) -> Refusal {
    Refusal::new(format!(
        "restore target {target:?} refused: {why}. Allowed: a new folder under {}",
        prefix.display()
    ))
}

/// The components of an absolute path, with `.` and a trailing `/` dropped.
fn lexical_components(path: &str) -> Result<Vec<&str>, String> {
    if path.is_empty() {
        return Err("it is empty".into());
    }
    if path.chars().any(|c| c.is_control() || c == '\\') {
        return Err("it contains control characters or backslashes".into());
    }
    let Some(rest) = path.strip_prefix('/') else {
        return Err("it is not an absolute path".into());
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    let mut parts = Vec::new();
    for part in rest.split('/') {
        match part {
            "" => return Err("it contains an empty path segment (//)".into()),
            "." => {}
            ".." => return Err("it contains a '..' segment".into()),
            p => parts.push(p),
        }
    }
    Ok(parts)
}

fn strictly_under(parts: &[&str], prefix: &[&str]) -> bool {
    parts.len() > prefix.len() && parts[..prefix.len()] == *prefix
}

/// `path` with the symlinks of its nearest existing ancestor resolved and the rest appended.
fn resolve(path: &Path) -> Result<PathBuf, String> {
    let mut existing = path;
    let mut tail = Vec::new();
    loop {
        match std::fs::canonicalize(existing) {
            Ok(real) => {
                return Ok(tail.iter().rev().fold(real, |acc: PathBuf, p| acc.join(p)));
            }
            Err(_) if std::fs::symlink_metadata(existing).is_ok() => {
                return Err(format!(
                    "{} is a symlink that cannot be resolved",
                    existing.display()
                ));
            }
            Err(_) => {
                let (Some(parent), Some(name)) = (existing.parent(), existing.file_name()) else {
                    return Err("no part of it exists".into());
                };
                tail.push(name.to_owned());
                existing = parent;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PREFIX: &str = "/tmp/backrest-restore/";

    fn lexical(t: &str) -> Result<String, Refusal> {
        guard(t, Path::new(PREFIX), false)
    }

    #[test]
    fn traversal_corpus_is_refused() {
        for bad in [
            "/tmp/backrest-restore/../../etc",
            "/tmp/backrest-restore/a/../../etc",
            "/tmp/backrest-restore/..",
            "//etc/passwd",
            "/tmp/backrest-restore//x",
            "tmp/backrest-restore/x",
            "./x",
            "",
            "   ",
            "/tmp/backrest-restore-evil",
            "/tmp/backrest-restore-evil/x",
            "/tmp/backrest-restore",
            "/tmp/backrest-restore/",
            "/tmp/backrest-restore/./",
            "/etc",
            "/tmp/backrest-restore/x\0y",
            "/tmp/backrest-restore/x\\..\\..",
        ] {
            assert!(lexical(bad).is_err(), "{bad:?} was allowed");
        }
    }

    #[test]
    fn targets_inside_are_normalised() {
        assert_eq!(
            lexical("/tmp/backrest-restore/t-1").unwrap(),
            "/tmp/backrest-restore/t-1"
        );
        assert_eq!(
            lexical(" /tmp/backrest-restore/./a/b/ ").unwrap(),
            "/tmp/backrest-restore/a/b"
        );
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback("http://127.0.0.1:9898"));
        assert!(is_loopback("http://localhost/"));
        for same_host in [
            "http://0.0.0.0:9898",
            "http://[::ffff:127.0.0.1]:9898",
            "http://localhost.:9898",
            "http://[::]:1",
            "http://nas.localhost/",
        ] {
            assert!(is_loopback(same_host), "{same_host}");
        }
        assert!(is_loopback("http://[::1]:1"));
        assert!(!is_loopback("https://backrest.example.net"));
    }

    #[test]
    fn symlinks_under_the_prefix_are_followed_on_loopback() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("restore");
        std::fs::create_dir(&prefix).unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::os::unix::fs::symlink(&outside, prefix.join("link")).unwrap();
        let via_link = format!("{}/link/new", prefix.display());
        assert!(guard(&via_link, &prefix, false).is_ok(), "lexically fine");
        assert!(guard(&via_link, &prefix, true).is_err(), "resolved outside");
        let plain = format!("{}/ticket-1/sub", prefix.display());
        assert_eq!(guard(&plain, &prefix, true).unwrap(), plain);
    }
}
