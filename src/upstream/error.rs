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
        }
    }
}

/// A failed call to a backup server. Messages never contain secrets: they are built from status
/// codes, URLs without credentials and the server's own error text.
#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("the server rejected the credentials: {detail}")]
    Auth { detail: String },
    #[error("cannot reach {url}: {detail}. Check the URL and that the server is running")]
    Unreachable { url: String, detail: String },
    #[error(
        "TLS handshake with {url} failed: {detail}. If the server uses a private or self-signed certificate, log in again with --ca-cert PATH"
    )]
    Tls { url: String, detail: String },
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
}

fn after_text(after: &Option<Duration>) -> String {
    match after {
        Some(d) => format!(" within {}s", d.as_secs_f64()),
        None => " before the call's deadline".to_owned(),
    }
}

impl UpstreamError {
    /// The coverage reason for this failure.
    pub fn reason(&self) -> FailureReason {
        match self {
            UpstreamError::Auth { .. } => FailureReason::Auth,
            UpstreamError::Unreachable { .. }
            | UpstreamError::Tls { .. }
            | UpstreamError::InvalidUrl { .. } => FailureReason::Unreachable,
            UpstreamError::Timeout { .. } => FailureReason::Timeout,
            UpstreamError::Status { .. } | UpstreamError::Redirected { .. } => {
                FailureReason::UpstreamError
            }
            UpstreamError::WrongKind { .. } | UpstreamError::BadResponse { .. } => {
                FailureReason::BadResponse
            }
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
