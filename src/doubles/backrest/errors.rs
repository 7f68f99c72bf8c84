//! Connect error model: the `{"code","message"}` JSON errors Backrest's RPC layer returns.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Connect error codes, as snake_case names on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// 499.
    Canceled,
    /// 500, the catch-all Backrest uses for restic failures.
    Unknown,
    /// 400.
    InvalidArgument,
    /// 504.
    DeadlineExceeded,
    /// 404.
    NotFound,
    /// 403.
    PermissionDenied,
    /// 429.
    ResourceExhausted,
    /// 400.
    FailedPrecondition,
    /// 409.
    Aborted,
    /// 501.
    Unimplemented,
    /// 503.
    Unavailable,
    /// 401.
    Unauthenticated,
}

impl Code {
    /// Wire name.
    pub fn name(self) -> &'static str {
        match self {
            Code::Canceled => "canceled",
            Code::Unknown => "unknown",
            Code::InvalidArgument => "invalid_argument",
            Code::DeadlineExceeded => "deadline_exceeded",
            Code::NotFound => "not_found",
            Code::PermissionDenied => "permission_denied",
            Code::ResourceExhausted => "resource_exhausted",
            Code::FailedPrecondition => "failed_precondition",
            Code::Aborted => "aborted",
            Code::Unimplemented => "unimplemented",
            Code::Unavailable => "unavailable",
            Code::Unauthenticated => "unauthenticated",
        }
    }

    /// HTTP status Connect maps the code to.
    pub fn http_status(self) -> StatusCode {
        let n = match self {
            Code::Canceled => 499,
            Code::Unknown => 500,
            Code::InvalidArgument | Code::FailedPrecondition => 400,
            Code::DeadlineExceeded => 504,
            Code::NotFound => 404,
            Code::Aborted => 409,
            Code::PermissionDenied => 403,
            Code::ResourceExhausted => 429,
            Code::Unimplemented => 501,
            Code::Unavailable => 503,
            Code::Unauthenticated => 401,
        };
        StatusCode::from_u16(n).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The code a Connect server would use for an HTTP status (fault injection).
    pub fn from_http(status: u16) -> Code {
        match status {
            400 => Code::InvalidArgument,
            401 => Code::Unauthenticated,
            403 => Code::PermissionDenied,
            404 => Code::NotFound,
            409 => Code::Aborted,
            429 => Code::ResourceExhausted,
            499 => Code::Canceled,
            501 => Code::Unimplemented,
            503 => Code::Unavailable,
            504 => Code::DeadlineExceeded,
            _ => Code::Unknown,
        }
    }
}

/// A failed RPC: rendered as a Connect JSON error (unary) or an end-frame error (stream).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", code.name())]
pub struct RpcError {
    /// Connect code.
    pub code: Code,
    /// Free text, as Backrest words it.
    pub message: String,
}

impl RpcError {
    /// Builds an error.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    /// `not_found`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(Code::NotFound, message)
    }

    /// `invalid_argument`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(Code::InvalidArgument, message)
    }

    /// `unknown` (HTTP 500).
    pub fn unknown(message: impl Into<String>) -> Self {
        Self::new(Code::Unknown, message)
    }

    /// The `{"code","message"}` object.
    pub fn to_json(&self) -> serde_json::Value {
        json!({"code": self.code.name(), "message": self.message})
    }

    /// `not_found` for a repo id, worded like Backrest's config lookup.
    pub fn repo_not_found(repo_id: &str) -> Self {
        Self::not_found(format!("get repo {repo_id:?}: repo not found"))
    }

    /// `not_found` for a plan id, worded like Backrest's config lookup.
    pub fn plan_not_found(plan_id: &str) -> Self {
        Self::not_found(format!("get plan {plan_id:?}: plan not found"))
    }
}

impl IntoResponse for RpcError {
    fn into_response(self) -> Response {
        let body = self.to_json().to_string();
        (
            self.code.http_status(),
            [("content-type", "application/json")],
            body,
        )
            .into_response()
    }
}
