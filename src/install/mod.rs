//! Wiring an MCP client's config file to this binary (`backup-mcp install` / `uninstall`).
//!
//! So far only the per-OS table of where each client keeps its config ([`paths`]); the merge
//! and the CLI subcommands are not written yet.

pub mod paths;
