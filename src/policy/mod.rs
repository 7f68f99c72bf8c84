//! Write safety: the checks every write tool passes, in one place, so no tool can skip one.
//!
//! The gates that decide which tools exist (read-only, destructive) are applied when the tool
//! router is built (`mcp::Gateway::build_router`, from [`crate::config::Settings`]). Everything a
//! registered write tool does goes through a [`WriteSession`], begun before its arguments are
//! validated: tenant rules (allowlist, and who labelled the server), confirm token, restore path
//! guard, human confirmation, then the intent audit line and the [`Authorized`] proof that the
//! connector's write calls require, then the outcome line. Every call leaves a line.

pub mod confirm;
pub mod restore_path;
pub mod session;
pub mod tenant;

pub use confirm::{HumanAnswer, HumanConfirmation};
pub use session::{Authorized, Executed, Target, WriteError, WriteSession};
pub use tenant::{Labelled, TenantPolicy};

/// A write refused by a policy check, with the reason the user and the audit line see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl Refusal {
    pub fn new(reason: impl Into<String>) -> Self {
        Refusal(reason.into())
    }
}
