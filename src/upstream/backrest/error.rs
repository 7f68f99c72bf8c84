//! Errors of Backrest calls: transport and auth failures from the fleet's connection, Connect
//! errors (`{"code","message"}`) with their message scrubbed, unreadable answers, and lookups of
//! our own (a repo, plan, snapshot or operation that is not on the server).

use crate::fleet::ServerFailure;
use crate::upstream::{FailureReason, UpstreamError};

#[derive(Debug, Clone, thiserror::Error)]
pub enum BackrestError {
    #[error(transparent)]
    Transport(#[from] UpstreamError),
    /// A Connect error; `message` is already scrubbed and truncated.
    #[error("Backrest answered {method} with {code} (HTTP {status}): {message}")]
    Rpc {
        method: &'static str,
        status: u16,
        code: String,
        message: String,
    },
    #[error("Backrest's answer to {method} could not be read: {detail}")]
    Decode {
        method: &'static str,
        detail: String,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The server could not be used (not connected, login failed, in back-off).
    #[error("{0}")]
    Server(ServerFailure),
}

impl BackrestError {
    /// The coverage reason for this failure.
    pub fn reason(&self) -> FailureReason {
        match self {
            BackrestError::Transport(e) => e.reason(),
            BackrestError::Rpc { code, .. } if code == "unauthenticated" => FailureReason::Auth,
            BackrestError::Rpc { code, .. } if code == "deadline_exceeded" => {
                FailureReason::Timeout
            }
            BackrestError::Rpc { .. } | BackrestError::NotFound(_) | BackrestError::Conflict(_) => {
                FailureReason::UpstreamError
            }
            BackrestError::Decode { .. } => FailureReason::BadResponse,
            BackrestError::Server(f) => f.reason,
        }
    }

    /// The Connect code, when Backrest sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            BackrestError::Rpc { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the server said the named thing does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, BackrestError::NotFound(_)) || self.code() == Some("not_found")
    }
}

impl From<ServerFailure> for BackrestError {
    fn from(f: ServerFailure) -> Self {
        BackrestError::Server(f)
    }
}

impl From<BackrestError> for ServerFailure {
    fn from(e: BackrestError) -> Self {
        if let BackrestError::Server(f) = e {
            return f;
        }
        ServerFailure {
            reason: e.reason(),
            message: e.to_string(),
        }
    }
}
