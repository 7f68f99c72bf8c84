//! NovaBACKUP Management Server client (OData REST, JWT from `Account/Authenticate`).
//!
//! `auth` logs in (used by `fleet::Connection`, which owns the token); `odata` builds query
//! strings; `client` reads entities and pages through collections within a deadline;
//! `tenancy` attributes rows to tenants through a cached view of groups and agents; the other
//! modules answer one kind of question each, returning rows ready for the fan-out.

pub mod auth;
pub mod client;
pub mod error;
pub mod hierarchy;
pub mod history;
pub mod odata;
pub mod present;
pub mod resources;
pub mod runlog;
pub mod storage;
pub mod tenancy;

pub use client::{MAX_SCAN_ROWS, Nova, PAGE_SIZE};
pub use error::NovaError;
pub use tenancy::TenantCache;
