//! NovaBACKUP Management Server client (OData REST, JWT from `Account/Authenticate`).

pub mod auth;
