//! Every customer the fleet knows, by id and by name: a Backrest server belongs to the tenant it
//! was saved with; a NovaBACKUP server's tenants come from its groups, named after each tenant's
//! topmost group. A Backrest tenant that no Management Server names is named by its id (the
//! operator chose it with `login --tenant`, or it is the server id).

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::Serialize;

use super::TenantIds;
use crate::store::ServerKind;
use crate::upstream::novabackup::tenancy::Tenancy;

/// The most customers an "unknown tenant" message lists.
const LISTED: usize = 30;

/// One customer as `list_tenants` shows it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Customer {
    pub tenant_id: String,
    /// The customer's name (a Backrest-only tenant is named by its id).
    pub tenant_name: String,
    /// The servers that hold this customer's machines, in saved order.
    pub servers: Vec<String>,
    pub kinds: BTreeSet<ServerKind>,
}

/// Why a tenant argument names no customer.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error(
        "unknown tenant {wanted:?}: no customer has that id or name (compared ignoring case). Known customers: {known}. list_tenants shows them all"
    )]
    Unknown { wanted: String, known: String },
}

/// The customers of the fleet, keyed by tenant id.
#[derive(Debug, Default)]
pub struct Directory {
    customers: BTreeMap<String, Customer>,
    /// Names given by Management Servers, which win over a Backrest tenant's own id.
    named: BTreeSet<String>,
    /// NovaBACKUP servers whose tenants could not be read: a name may be theirs.
    unread: Vec<String>,
}

impl Directory {
    /// A Backrest server and its one tenant.
    pub fn add_backrest(&mut self, server_id: &str, tenant_id: &str) {
        self.customer(tenant_id, server_id, ServerKind::Backrest);
    }

    /// A NovaBACKUP server's tenants, named after their groups.
    pub fn add_novabackup(&mut self, server_id: &str, tenancy: &Tenancy) {
        for (tenant, name) in tenancy.tenants() {
            self.customer(tenant, server_id, ServerKind::Novabackup);
            if let Some(name) = name
                && self.named.insert(tenant.to_owned())
                && let Some(c) = self.customers.get_mut(tenant)
            {
                c.tenant_name = name.to_owned();
            }
        }
    }

    /// A NovaBACKUP server whose tenants are not known (it did not answer, or was not asked).
    pub fn add_unread(&mut self, server_id: &str) {
        self.unread.push(server_id.to_owned());
    }

    fn customer(&mut self, tenant: &str, server_id: &str, kind: ServerKind) {
        let c = self
            .customers
            .entry(tenant.to_owned())
            .or_insert_with(|| Customer {
                tenant_id: tenant.to_owned(),
                tenant_name: tenant.to_owned(),
                servers: Vec::new(),
                kinds: BTreeSet::new(),
            });
        if !c.servers.iter().any(|s| s == server_id) {
            c.servers.push(server_id.to_owned());
        }
        c.kinds.insert(kind);
    }

    /// Puts every customer's servers in `order` (the fleet's saved order).
    pub fn order_servers(&mut self, order: &[String]) {
        let at = |id: &String| order.iter().position(|o| o == id).unwrap_or(usize::MAX);
        for c in self.customers.values_mut() {
            c.servers.sort_by_key(at);
        }
    }

    /// The customer name of a tenant id, when known.
    pub fn name_of(&self, tenant_id: &str) -> Option<&str> {
        self.customers
            .get(tenant_id)
            .map(|c| c.tenant_name.as_str())
    }

    /// Whether a Management Server gave this tenant its name.
    pub fn is_named(&self, tenant_id: &str) -> bool {
        self.named.contains(tenant_id)
    }

    /// Every customer, by name (then id).
    pub fn customers(&self) -> Vec<Customer> {
        let mut all: Vec<Customer> = self.customers.values().cloned().collect();
        all.sort_by(|a, b| {
            (a.tenant_name.to_lowercase(), &a.tenant_id)
                .cmp(&(b.tenant_name.to_lowercase(), &b.tenant_id))
        });
        all
    }

    /// The NovaBACKUP servers whose tenants are not known.
    pub fn unread(&self) -> &[String] {
        &self.unread
    }

    /// The ids a tenant argument stands for: every customer whose id or name equals `wanted`,
    /// ignoring case and surrounding spaces. An unknown one is an error listing the customers,
    /// unless a Management Server's tenants could not be read: then it may be one of theirs and
    /// is used as an id as given (that server's failure shows in `_meta`).
    pub fn resolve(&self, wanted: &str) -> Result<TenantIds, TenantError> {
        let key = wanted.trim().to_lowercase();
        let ids: Vec<String> = self
            .customers
            .values()
            .filter(|c| c.tenant_id.to_lowercase() == key || c.tenant_name.to_lowercase() == key)
            .map(|c| c.tenant_id.clone())
            .collect();
        if !ids.is_empty() {
            return Ok(TenantIds::new(ids));
        }
        if !self.unread.is_empty() {
            return Ok(TenantIds::new([wanted.trim().to_owned()]));
        }
        let customers = self.customers();
        let mut known: Vec<String> = customers
            .iter()
            .take(LISTED)
            .map(|c| match c.tenant_name == c.tenant_id {
                true => c.tenant_id.clone(),
                false => format!("{} ({})", c.tenant_name, c.tenant_id),
            })
            .collect();
        if customers.len() > LISTED {
            known.push(format!("and {} more", customers.len() - LISTED));
        }
        let known = match known.is_empty() {
            true => "none (no saved server holds a tenant yet)".to_owned(),
            false => known.join(", "),
        };
        Err(TenantError::Unknown {
            wanted: wanted.to_owned(),
            known,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value, json};

    fn nova(groups: Value) -> Tenancy {
        let rows: Vec<Map<String, Value>> = groups
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g.as_object().unwrap().clone())
            .collect();
        Tenancy::from_rows(&rows, &[])
    }

    fn directory() -> Directory {
        let mut d = Directory::default();
        d.add_backrest("nas-acme", "guid-acme");
        d.add_backrest("nas-solo", "solo-shop");
        d.add_novabackup(
            "ms1",
            &nova(json!([
                {"GroupId": 10, "GroupName": "Acme Dental", "TenantId": "guid-acme"},
                {"GroupId": 20, "GroupName": "Blue Ridge Law", "TenantId": "guid-blue"}
            ])),
        );
        d.add_novabackup(
            "ms2",
            &nova(json!([{"GroupId": 5, "GroupName": "ACME DENTAL", "TenantId": "guid-acme-2"}])),
        );
        d
    }

    #[test]
    fn a_name_stands_for_every_id_of_that_customer_across_kinds() {
        let d = directory();
        let ids = d.resolve("  acme dental ").unwrap();
        assert_eq!(ids.iter().collect::<Vec<_>>(), ["guid-acme", "guid-acme-2"]);
        assert_eq!(d.resolve("GUID-BLUE").unwrap().single(), Some("guid-blue"));
        assert_eq!(d.resolve("solo-shop").unwrap().single(), Some("solo-shop"));
        let acme = d
            .customers()
            .into_iter()
            .find(|c| c.tenant_id == "guid-acme")
            .unwrap();
        assert_eq!(acme.tenant_name, "Acme Dental");
        assert_eq!(acme.servers, ["nas-acme", "ms1"]);
        assert_eq!(acme.kinds.len(), 2);
        assert_eq!(d.name_of("solo-shop"), Some("solo-shop"));
    }

    #[test]
    fn an_unknown_tenant_lists_the_customers_unless_a_server_was_not_read() {
        let mut d = directory();
        let err = d.resolve("Zeta Corp").unwrap_err().to_string();
        assert!(err.contains("\"Zeta Corp\""), "{err}");
        assert!(err.contains("Blue Ridge Law (guid-blue)"), "{err}");
        assert!(err.contains("solo-shop"), "{err}");
        d.add_unread("ms3");
        assert_eq!(d.resolve("Zeta Corp").unwrap().single(), Some("Zeta Corp"));
    }
}
