//! Whose server a write may touch. The tenant allowlist (`BACKUP_MCP_ALLOWED_TENANTS`) is only as
//! good as the tenant label it is checked against, so the label must come from the operator: a
//! saved server's tenant was set with `backup-mcp login`, but a session-only server's tenant was
//! named by whoever called `connect_server` (the model), and is never trusted for a write.

use std::collections::BTreeSet;

use super::Refusal;

/// Who labelled the target server with its tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labelled {
    /// Saved by the operator (`backup-mcp login`).
    ByOperator,
    /// Connected for this session through `connect_server`: the caller chose URL and tenant.
    ByCaller,
}

/// The tenant rules of writes, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct TenantPolicy<'a> {
    pub allowed: Option<&'a BTreeSet<String>>,
    /// `BACKUP_MCP_ALLOW_SESSION_WRITES`: writes to session-only servers when no allowlist is set.
    pub allow_session_writes: bool,
}

impl TenantPolicy<'_> {
    /// Allows a write to a server of `tenant` labelled by `who`.
    pub fn check(&self, tenant: &str, who: Labelled) -> Result<(), Refusal> {
        if who == Labelled::ByCaller {
            if self.allowed.is_some() {
                return Err(Refusal::new(format!(
                    "this server was connected in this session with connect_server, so its tenant {tenant:?} was named by the caller; with BACKUP_MCP_ALLOWED_TENANTS set, writes go only to servers saved with `backup-mcp login`"
                )));
            }
            if !self.allow_session_writes {
                return Err(Refusal::new(
                    "writes to servers connected in this session (connect_server) are off; save the server with `backup-mcp login`, or set BACKUP_MCP_ALLOW_SESSION_WRITES=true",
                ));
            }
        }
        match self.allowed {
            None => Ok(()),
            Some(set) if set.contains(tenant) => Ok(()),
            Some(set) => Err(Refusal::new(format!(
                "tenant {tenant:?} is not in BACKUP_MCP_ALLOWED_TENANTS ({}); writes to its servers are refused",
                set.iter().cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unset_allows_all_and_set_is_exact() {
        let open = TenantPolicy {
            allowed: None,
            allow_session_writes: false,
        };
        assert!(open.check("acme", Labelled::ByOperator).is_ok());
        let set: BTreeSet<String> = ["acme".to_owned()].into();
        let listed = TenantPolicy {
            allowed: Some(&set),
            allow_session_writes: false,
        };
        assert!(listed.check("acme", Labelled::ByOperator).is_ok());
        assert!(listed.check("acme2", Labelled::ByOperator).is_err());
        assert!(listed.check("ACME", Labelled::ByOperator).is_err());
    }

    #[test]
    fn a_caller_labelled_tenant_never_passes_an_allowlist() {
        let set: BTreeSet<String> = ["acme".to_owned()].into();
        for allow_session_writes in [false, true] {
            let listed = TenantPolicy {
                allowed: Some(&set),
                allow_session_writes,
            };
            let err = listed.check("acme", Labelled::ByCaller).unwrap_err();
            assert!(err.0.contains("named by the caller"), "{err}");
        }
        let open = TenantPolicy {
            allowed: None,
            allow_session_writes: false,
        };
        assert!(open.check("acme", Labelled::ByCaller).is_err());
        let opted_in = TenantPolicy {
            allowed: None,
            allow_session_writes: true,
        };
        assert!(opted_in.check("acme", Labelled::ByCaller).is_ok());
    }
}
