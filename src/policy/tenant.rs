//! The tenant allowlist (`BACKUP_MCP_ALLOWED_TENANTS`): when set, a write whose target server
//! belongs to another tenant is refused.

use std::collections::BTreeSet;

use super::Refusal;

/// Allows `tenant` when no allowlist is set or when it is listed (exact match).
pub fn check(allowed: Option<&BTreeSet<String>>, tenant: &str) -> Result<(), Refusal> {
    match allowed {
        None => Ok(()),
        Some(set) if set.contains(tenant) => Ok(()),
        Some(set) => Err(Refusal::new(format!(
            "tenant {tenant:?} is not in BACKUP_MCP_ALLOWED_TENANTS ({}); writes to its servers are refused",
            set.iter().cloned().collect::<Vec<_>>().join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_allows_all_and_set_is_exact() {
        assert!(check(None, "acme").is_ok());
        let set: BTreeSet<String> = ["acme".to_owned()].into();
        assert!(check(Some(&set), "acme").is_ok());
        assert!(check(Some(&set), "acme2").is_err());
        assert!(check(Some(&set), "ACME").is_err());
    }
}
