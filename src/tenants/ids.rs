//! The tenant ids one tenant argument stands for: a customer name can be known under several ids
//! (one per Management Server that hosts it, plus Backrest servers saved with any of them).

use std::collections::BTreeSet;
use std::sync::Arc;

/// Cheap to clone: every server's share of a call holds one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantIds(Arc<BTreeSet<String>>);

impl TenantIds {
    pub fn new(ids: impl IntoIterator<Item = String>) -> Self {
        TenantIds(Arc::new(ids.into_iter().collect()))
    }

    /// Whether a row of tenant `tenant` (`None`: no tenant) belongs.
    pub fn admits(&self, tenant: Option<&str>) -> bool {
        tenant.is_some_and(|t| self.0.contains(t))
    }

    /// The id, when there is exactly one (to label a total that covers only this tenant).
    pub fn single(&self) -> Option<&str> {
        match self.0.len() {
            1 => self.0.first().map(String::as_str),
            _ => None,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// Whether a row of `tenant` passes an optional filter.
pub fn admits(filter: Option<&TenantIds>, tenant: Option<&str>) -> bool {
    filter.is_none_or(|f| f.admits(tenant))
}
