//! The `_meta` coverage block: which servers were asked, which answered, and why the others did not.

use schemars::JsonSchema;
use serde::Serialize;

use crate::upstream::FailureReason;

/// One server that did not answer.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CoverageFailure {
    pub server_id: String,
    /// timeout, auth, unreachable, upstream_error, bad_response, not_connected or not_attempted.
    #[schemars(with = "String")]
    pub reason: FailureReason,
    pub error: String,
    /// For a server in back-off (`not_connected`): when it will be asked again (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_at: Option<String>,
}

/// Appears as `_meta` in every fan-out result.
#[derive(Debug, Clone, Default, Serialize, JsonSchema)]
pub struct Coverage {
    pub servers_queried: usize,
    pub servers_succeeded: usize,
    pub servers_failed: usize,
    /// True when the answer may be incomplete: a queried server failed, or no server was asked.
    pub partial: bool,
    pub failures: Vec<CoverageFailure>,
    /// True when rows were cut by the row limit or the size cap.
    pub truncated: bool,
    pub elapsed_ms: u64,
    /// What the caller must know before trusting the answer (e.g. that no server was asked).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Said when a call selected no server: an empty answer then means nothing.
pub const NO_SERVERS: &str = "no server was asked: none is saved, or none matches the filters \
(server_id, tenant_id, kind). This answer covers nothing. Save servers with `backup-mcp login` in \
a terminal (they are picked up without a restart); list_servers shows the known ones.";

impl Coverage {
    /// The coverage of a call that selected no server at all.
    pub fn nothing_asked() -> Self {
        Coverage {
            partial: true,
            warnings: vec![NO_SERVERS.to_owned()],
            ..Coverage::default()
        }
    }

    pub fn record_failure(&mut self, server_id: &str, reason: FailureReason, error: String) {
        self.record(CoverageFailure {
            server_id: server_id.to_owned(),
            reason,
            error,
            retry_at: None,
        });
    }

    pub fn record(&mut self, failure: CoverageFailure) {
        self.servers_failed += 1;
        self.partial = true;
        self.failures.push(failure);
    }
}
