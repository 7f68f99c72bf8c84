//! One error type for every upstream call, classified the way users and the coverage block need.

use std::time::Duration;

use serde::Serialize;

/// The coverage block's `reason` vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    Timeout,
    Auth,
    Unreachable,
    UpstreamError,
    BadResponse,
    NotConnected,
    /// The call's deadline passed before the server's turn came: it was never asked, which says
    /// nothing about its health.
    NotAttempted,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::Timeout => "timeout",
            FailureReason::Auth => "auth",
            FailureReason::Unreachable => "unreachable",
            FailureReason::UpstreamError => "upstream_error",
            FailureReason::BadResponse => "bad_response",
            FailureReason::NotConnected => "not_connected",
            FailureReason::NotAttempted => "not_attempted",
        }
    }
}

/// A failed call to a backup server. Messages never contain secrets: they are built from status
/// codes, URLs without credentials and the server's own error text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("the server rejected the credentials: {detail}")]
    Auth { detail: String },
    /// The password could not even be read here (keyring locked or empty): nothing was sent.
    #[error("cannot read the saved password: {detail}")]
    SavedSecret { detail: String },
    #[error("cannot reach {url}: {detail}. Check the URL and that the server is running")]
    Unreachable { url: String, detail: String },
    #[error(
        "TLS handshake with {url} failed: {detail}. If the server uses a private or self-signed certificate, log in again with --ca-cert PATH (its CA's or its own certificate) or --tls-fingerprint sha256:HEX"
    )]
    Tls { url: String, detail: String },
    #[error(
        "{url} presented a certificate with fingerprint {presented}, not the pinned {pinned}: refusing to connect. If the server's certificate was replaced on purpose, read the new fingerprint on the server itself and log in again with --tls-fingerprint"
    )]
    PinMismatch {
        url: String,
        presented: String,
        pinned: String,
    },
    #[error(
        "{url} answers plain HTTP, not HTTPS: use http:// in the URL (or turn on TLS on the server)"
    )]
    NotTls { url: String },
    #[error("no answer from {url}{}", after_text(.after))]
    Timeout {
        url: String,
        /// The budget that ran out, when known.
        after: Option<Duration>,
    },
    #[error("{url} does not look like a {product}: {detail}")]
    WrongKind {
        url: String,
        product: &'static str,
        detail: String,
    },
    #[error("the server answered HTTP {status}: {detail}")]
    Status { status: u16, detail: String },
    #[error("the server's answer could not be read: {detail}")]
    BadResponse { detail: String },
    #[error("invalid URL {url:?}: {detail}")]
    InvalidUrl { url: String, detail: String },
    #[error(
        "{url} answered with a redirect (HTTP {status}) to {location}; redirects are never followed, so credentials and answers stay with the server they belong to. If the server moved, log in again with its new URL"
    )]
    Redirected {
        url: String,
        status: u16,
        location: String,
    },
    #[error(
        "the answer{} did not fit in the gateway's memory for answers being read ({budget_mib} MiB, BACKUP_MCP_BODY_BUDGET_MB): {why}",
        size_text(.size)
    )]
    OverBudget {
        /// The declared size, when the server gave one.
        size: Option<u64>,
        budget_mib: u64,
        why: super::budget::BudgetError,
    },
}

fn size_text(size: &Option<u64>) -> String {
    match size {
        Some(n) => format!(" ({})", human_bytes(*n)),
        None => String::new(),
    }
}

fn after_text(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!(" within {}", human_duration(*d)),
        None => " before the call's deadline".to_owned(),
    }
}

/// A duration as people write it in messages: `5s`, `2m 30s`, `250ms` (never `4.9873s`).
pub fn human_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        return format!("{}ms", d.as_millis());
    }
    let secs = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    match (secs / 60, secs % 60) {
        (0, s) => format!("{s}s"),
        (m, 0) => format!("{m}m"),
        (m, s) => format!("{m}m {s}s"),
    }
}

/// A size as people write it in messages: `2.5 GiB`, `30 MiB`, `512 KiB`, `900 bytes`.
pub fn human_bytes(n: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;
    if n >= GIB {
        format!("{:.1} GiB", n as f64 / GIB as f64)
    } else if n >= MIB {
        format!("{} MiB", (n + MIB / 2) / MIB)
    } else if n >= KIB {
        format!("{} KiB", (n + KIB / 2) / KIB)
    } else {
        format!("{n} bytes")
    }
}

impl UpstreamError {
    /// The coverage reason for this failure.
    pub fn reason(&self) -> FailureReason {
        match self {
            UpstreamError::Auth { .. } | UpstreamError::SavedSecret { .. } => FailureReason::Auth,
            UpstreamError::Unreachable { .. }
            | UpstreamError::Tls { .. }
            | UpstreamError::PinMismatch { .. }
            | UpstreamError::NotTls { .. }
            | UpstreamError::InvalidUrl { .. } => FailureReason::Unreachable,
            UpstreamError::Timeout { .. } => FailureReason::Timeout,
            UpstreamError::Status { .. } | UpstreamError::Redirected { .. } => {
                FailureReason::UpstreamError
            }
            UpstreamError::WrongKind { .. }
            | UpstreamError::BadResponse { .. }
            | UpstreamError::OverBudget { .. } => FailureReason::BadResponse,
        }
    }

    /// True for failures worth retrying on a read: connection errors, 429 and 5xx.
    pub fn is_transient(&self) -> bool {
        match self {
            UpstreamError::Unreachable { .. } => true,
            UpstreamError::Status { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_sizes_read_well() {
        assert_eq!(human_duration(Duration::from_secs_f64(0.033362235)), "33ms");
        assert_eq!(human_duration(Duration::from_secs_f64(4.6)), "5s");
        assert_eq!(human_duration(Duration::from_secs(60)), "1m");
        assert_eq!(human_duration(Duration::from_secs(150)), "2m 30s");
        assert_eq!(human_bytes(30 * 1024 * 1024 + 5), "30 MiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024 / 2), "2.5 GiB");
        assert_eq!(human_bytes(900), "900 bytes");
    }

    #[test]
    fn timeout_messages_are_rounded() {
        let e = UpstreamError::Timeout {
            url: "http://x".into(),
            after: Some(Duration::from_secs_f64(4.999_87)),
        };
        assert_eq!(e.to_string(), "no answer from http://x within 5s");
    }
}
