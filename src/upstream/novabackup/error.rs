//! What can go wrong when asking one Management Server for data, in terms a user can act on.

use crate::fleet::ServerFailure;
use crate::upstream::{FailureReason, UpstreamError};

#[derive(Debug, Clone, thiserror::Error)]
pub enum NovaError {
    /// The server refused the query itself (HTTP 400): a bad `$filter`, an unknown property.
    #[error(
        "the server rejected the query (HTTP {status}): {detail}. Check the OData options: $filter uses OData v4 syntax with PascalCase property names (e.g. Connected eq true and contains(FriendlyName,'prod')), and $select/$expand/$orderby name existing properties"
    )]
    Rejected { status: u16, detail: String },
    /// A named entity does not exist (or this user cannot see it).
    #[error("{what} was not found on this server (or the logged-in user cannot see it)")]
    NotFound { what: String },
    #[error(transparent)]
    Upstream(#[from] UpstreamError),
}

impl NovaError {
    pub fn not_found(what: impl Into<String>) -> Self {
        NovaError::NotFound { what: what.into() }
    }

    pub fn bad_response(detail: impl Into<String>) -> Self {
        NovaError::Upstream(UpstreamError::BadResponse {
            detail: detail.into(),
        })
    }

    pub fn reason(&self) -> FailureReason {
        match self {
            NovaError::Rejected { .. } | NovaError::NotFound { .. } => FailureReason::UpstreamError,
            NovaError::Upstream(e) => e.reason(),
        }
    }
}

impl From<NovaError> for ServerFailure {
    fn from(e: NovaError) -> Self {
        ServerFailure {
            reason: e.reason(),
            message: e.to_string(),
        }
    }
}
