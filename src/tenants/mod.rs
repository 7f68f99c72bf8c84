//! Tenants (the MSP's customers) across both kinds of server. People and models name customers
//! ("Acme Dental") while rows carry ids (a NovaBACKUP group's `TenantId` GUID, a Backrest
//! server's saved tenant), so a tenant argument is resolved here, by id or by name, to the set
//! of ids it stands for ([`TenantIds`]), and every id gets its customer name back ([`Directory`]).
//!
//! `ids` is a leaf the fan-out and the connectors filter with; `directory` is built from the
//! fleet's Backrest entries and the NovaBACKUP servers' cached group names.

pub mod directory;
pub mod ids;

pub use directory::{Customer, Directory, TenantError};
pub use ids::TenantIds;
