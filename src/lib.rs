//! backup-mcp: an MCP gateway over every Backrest and NovaBACKUP Management Server an MSP runs.
pub mod doubles;
