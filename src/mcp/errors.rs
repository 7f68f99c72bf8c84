//! Tool failures: returned to the client as `isError: true` results with a message that says
//! what to do, never as protocol errors.

use rmcp::model::{ContentBlock, IntoContents};

use crate::fleet::FleetError;

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(transparent)]
    Fleet(#[from] FleetError),
    #[error(transparent)]
    Tenant(#[from] crate::tenants::TenantError),
    #[error("invalid argument {name}: {why}")]
    InvalidArgument { name: &'static str, why: String },
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Refused(String),
}

impl ToolError {
    pub fn invalid(name: &'static str, why: impl Into<String>) -> Self {
        ToolError::InvalidArgument {
            name,
            why: why.into(),
        }
    }
}

impl IntoContents for ToolError {
    fn into_contents(self) -> Vec<ContentBlock> {
        vec![ContentBlock::text(self.to_string())]
    }
}

/// The longest stretch of one argument an error quotes back.
pub const MAX_ECHO_CHARS: usize = 200;

/// The longest error message sent to the client.
pub const MAX_ERROR_CHARS: usize = 2_000;

/// An error message with every unbroken run of more than [`MAX_ECHO_CHARS`] characters cut (an
/// echoed argument), and the whole capped at [`MAX_ERROR_CHARS`]: a megabyte `server_id` is not
/// sent back whole.
pub fn bounded_message(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(MAX_ERROR_CHARS + 64));
    let mut run = 0usize;
    let mut cut_in_run = 0usize;
    let mut written = 0usize;
    for c in message.chars() {
        if c.is_whitespace() {
            if cut_in_run > 0 {
                out.push_str(&format!("… ({cut_in_run} more characters)"));
                cut_in_run = 0;
            }
            run = 0;
        } else {
            run += 1;
            if run > MAX_ECHO_CHARS {
                cut_in_run += 1;
                continue;
            }
        }
        if written >= MAX_ERROR_CHARS {
            out.push('…');
            return out;
        }
        out.push(c);
        written += 1;
    }
    if cut_in_run > 0 {
        out.push_str(&format!("… ({cut_in_run} more characters)"));
    }
    out
}

/// Applies [`bounded_message`] to the text of an `isError` result.
pub fn bound_error_texts(response: &mut rmcp::model::CallToolResponse) {
    let rmcp::model::CallToolResponse::Complete(result) = response else {
        return;
    };
    if result.is_error != Some(true) {
        return;
    }
    for block in &mut result.content {
        if let ContentBlock::Text(text) = block {
            text.text = bounded_message(&text.text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_echoes_are_cut_and_short_messages_kept() {
        let id = "A".repeat(1_000_000);
        let msg = format!("unknown server_id \"{id}\"; call list_servers to see the ids");
        let bounded = bounded_message(&msg);
        assert!(bounded.len() < 400, "{}", bounded.len());
        assert!(bounded.contains("more characters"));
        assert!(bounded.ends_with("call list_servers to see the ids"));
        assert_eq!(bounded_message("plain short error"), "plain short error");
        let spaced = "word ".repeat(10_000);
        assert!(bounded_message(&spaced).chars().count() <= MAX_ERROR_CHARS + 1);
    }
}
