//! Result shapes shared by the tool families.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::fanout::{Coverage, Gathered, RowOrder};

/// Rows from a fan-out plus the coverage block (`_meta`), the shape of every list tool.
#[derive(Debug, Serialize, JsonSchema)]
pub struct FanoutOutput {
    pub items: Vec<Value>,
    #[serde(rename = "_meta")]
    pub meta: Coverage,
}

impl FanoutOutput {
    /// Orders (when asked) and caps the gathered rows.
    pub fn from_gathered(gathered: Gathered, limit: usize, order: Option<RowOrder<'_>>) -> Self {
        let (items, meta) = gathered.finish(limit, order);
        FanoutOutput { items, meta }
    }
}
