//! The restore target guard. A restore writes files on the Backrest host, so the target must be
//! an absolute path strictly under the allowed prefix (`BACKUP_MCP_RESTORE_ALLOWED_PREFIX`),
//! compared by path components so `/tmp/backrest-restore-evil` is outside `/tmp/backrest-restore`.
//!
//! Checks are lexical (no `..`, no `//`, no control characters) because the path lives on another
//! machine. When that machine may be this one ([`is_this_host`]: a loopback URL, or a name that
//! resolves to one of our addresses), symlinks of the nearest existing ancestor are resolved too,
//! so a link under the prefix cannot point outside it; the restore tool runs the guard again right
//! before sending. The normalised path is what gets sent. Backrest resolves the path itself when it
//! runs the restore, so a link created after that last check is beyond our reach.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// How long the name of a Backrest host may take to resolve before it is taken to be this one.
const RESOLVE_WITHIN: Duration = Duration::from_secs(3);

/// True when the server's URL may point at this machine (so its paths are our paths): a literal
/// local address, a `localhost` name, or a host name that resolves to an address of this machine.
/// A name that does not resolve in time counts as local, so the stricter check runs.
pub async fn is_this_host(base_url: &str) -> bool {
    let Ok(url) = url::Url::parse(base_url) else {
        return true;
    };
    let port = url.port_or_known_default().unwrap_or(0);
    match url.host().map(|h| h.to_owned()) {
        Some(url::Host::Ipv4(ip)) => is_local_address(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => is_local_address(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) => {
            let name = d.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return true;
            }
            match tokio::time::timeout(RESOLVE_WITHIN, tokio::net::lookup_host((d.as_str(), port)))
                .await
            {
                Ok(Ok(addrs)) => {
                    let addrs: Vec<_> = addrs.collect();
                    addrs.is_empty() || addrs.iter().any(|a| is_local_address(a.ip()))
                }
                Ok(Err(_)) | Err(_) => true,
            }
        }
        None => true,
    }
}

/// Loopback, unspecified (both reach this machine), or assigned to one of its interfaces (a
/// socket can be bound to it).
fn is_local_address(ip: IpAddr) -> bool {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    ip.is_loopback() || ip.is_unspecified() || UdpSocket::bind(SocketAddr::new(ip, 0)).is_ok()
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

    #[tokio::test]
    async fn this_host_by_address_or_by_name() {
        for same_host in [
            "http://127.0.0.1:9898",
            "http://127.0.0.2:9898",
            "http://localhost/",
            "http://LOCALHOST./",
            "http://0.0.0.0:9898",
            "http://[::ffff:127.0.0.1]:9898",
            "http://[::]:1",
            "http://[::1]:1",
            "http://nas.localhost/",
            "http://no-such-host.invalid/",
        ] {
            assert!(is_this_host(same_host).await, "{same_host}");
        }
        // The machine's own name resolves to one of its addresses.
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert!(is_this_host(&format!("http://{}:9898", name.trim())).await);
        assert!(!is_this_host("http://192.0.2.7:9898").await, "TEST-NET-1");
        assert!(!is_this_host("http://[2001:db8::1]:9898").await);
    }

    #[cfg(unix)]
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
