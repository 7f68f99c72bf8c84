//! Tool failures: returned to the client as `isError: true` results with a message that says
//! what to do, never as protocol errors.

use rmcp::model::{ContentBlock, IntoContents};

use crate::fleet::FleetError;

#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    #[error(transparent)]
    Fleet(#[from] FleetError),
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
