//! backup-mcp: an MCP gateway over every Backrest and NovaBACKUP Management Server an MSP runs.
//!
//! See ARCHITECTURE.md for the module map. The binary in `cli/` only parses arguments and calls
//! into this library.

pub mod audit;
pub mod config;
pub mod demo;
pub mod doubles;
pub mod fanout;
pub mod federated;
pub mod fleet;
pub mod install;
pub mod logging;
pub mod mcp;
pub mod metrics;
pub mod policy;
pub mod prompts;
pub mod secrets;
pub mod store;
pub mod tenants;
pub mod upstream;
pub mod window;
