//! Which addresses a session-only connection (`connect_server`, whose URL may come from a model)
//! may reach: never link-local addresses or the cloud metadata services, where a request made on
//! the operator's machine can fetch instance credentials.
//!
//! The host name is resolved and every address it names is checked. The limit: a name whose DNS
//! answer changes between this check and the connection (DNS rebinding) is not caught here.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// Why a session connection's address was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AddressRefusal {
    #[error("{host} is a cloud metadata service name; session connections never go there")]
    MetadataName { host: String },
    #[error(
        "{host} resolves to {addr}, a link-local or metadata address; session connections never go there"
    )]
    Forbidden { host: String, addr: IpAddr },
    #[error("the URL names no host")]
    NoHost,
    #[error("{host} could not be resolved: {detail}")]
    Unresolved { host: String, detail: String },
}

/// Names that reach a metadata service whatever they resolve to.
const METADATA_NAMES: &[&str] = &[
    "metadata",
    "metadata.google.internal",
    "metadata.goog",
    "instance-data",
    "instance-data.ec2.internal",
];

/// Refuses a URL whose host is, or resolves to, a forbidden address.
pub async fn check_session_target(url: &url::Url, timeout: Duration) -> Result<(), AddressRefusal> {
    let host = match url.host() {
        Some(url::Host::Ipv4(ip)) => return check_ip(&ip.to_string(), IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => return check_ip(&ip.to_string(), IpAddr::V6(ip)),
        Some(url::Host::Domain(name)) => name.trim_end_matches('.').to_ascii_lowercase(),
        None => return Err(AddressRefusal::NoHost),
    };
    if METADATA_NAMES.contains(&host.as_str()) {
        return Err(AddressRefusal::MetadataName { host });
    }
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup = tokio::net::lookup_host((host.clone(), port));
    let addrs = match tokio::time::timeout(timeout, lookup).await {
        Ok(Ok(addrs)) => addrs,
        Ok(Err(e)) => {
            return Err(AddressRefusal::Unresolved {
                host,
                detail: e.to_string(),
            });
        }
        Err(_) => {
            return Err(AddressRefusal::Unresolved {
                host,
                detail: format!("no answer within {}s", timeout.as_secs()),
            });
        }
    };
    for addr in addrs {
        check_ip(&host, addr.ip())?;
    }
    Ok(())
}

fn check_ip(host: &str, addr: IpAddr) -> Result<(), AddressRefusal> {
    if is_forbidden(addr) {
        return Err(AddressRefusal::Forbidden {
            host: host.to_owned(),
            addr,
        });
    }
    Ok(())
}

/// Link-local (IPv4 169.254/16, IPv6 fe80::/10), the known metadata addresses, and the same
/// behind an IPv4-mapped IPv6 address.
pub fn is_forbidden(addr: IpAddr) -> bool {
    match addr {
        IpAddr::V4(v4) => is_forbidden_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_forbidden_v4(v4),
            None => {
                let link_local = (v6.segments()[0] & 0xffc0) == 0xfe80;
                // AWS's IPv6 instance metadata service.
                let aws_metadata = v6 == Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254);
                link_local || aws_metadata
            }
        },
    }
}

fn is_forbidden_v4(v4: Ipv4Addr) -> bool {
    // Alibaba Cloud's metadata service lies outside the link-local range.
    v4.is_link_local() || v4 == Ipv4Addr::new(100, 100, 100, 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_local_and_metadata_addresses_are_forbidden() {
        for bad in [
            "169.254.169.254",
            "169.254.0.1",
            "100.100.100.200",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:169.254.169.254",
        ] {
            assert!(is_forbidden(bad.parse().unwrap()), "{bad}");
        }
        for ok in [
            "127.0.0.1",
            "10.0.0.5",
            "192.168.1.10",
            "::1",
            "2001:db8::1",
        ] {
            assert!(!is_forbidden(ok.parse().unwrap()), "{ok}");
        }
    }

    #[tokio::test]
    async fn names_are_checked_after_resolution() {
        let t = Duration::from_secs(5);
        let url = url::Url::parse("http://metadata.google.internal./x").unwrap();
        assert!(matches!(
            check_session_target(&url, t).await,
            Err(AddressRefusal::MetadataName { .. })
        ));
        let url = url::Url::parse("http://[fe80::1]:8080/").unwrap();
        assert!(check_session_target(&url, t).await.is_err());
        let url = url::Url::parse("http://localhost:9898/").unwrap();
        assert_eq!(check_session_target(&url, t).await, Ok(()));
    }
}
