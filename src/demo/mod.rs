//! The embedded demo fleet: simulated Management Servers and Backrest servers on loopback, with a
//! small MSP's customers, failing and stale machines of both kinds, so `backup-mcp demo` shows
//! the whole product without a single real server or saved credential.

mod customers;

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;

use crate::doubles::backrest::{BackrestConfig, BackrestDataset, BackrestDouble};
use crate::doubles::novabackup::{Dataset, GenSpec, InstanceConfig, NovaDouble, SAMPLE_USERS};
use crate::fleet::{Fleet, FleetError, Origin, SecretSource};
use crate::store::{SecretRef, ServerEntry, ServerKind};

use customers::Customer;

/// The Backrest user every demo Backrest accepts.
pub const BACKREST_USER: (&str, &str) = ("gateway", "demo backrest password");
/// Customers of each Management Server (all of them on a lone one).
const CUSTOMERS_PER_NOVA: usize = 3;
/// Days of history every simulated server has.
const DAYS: i64 = 30;

/// How big and how slow the demo fleet is.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of simulated servers, at least 1, alternating Management Server and Backrest
    /// (starting with a Management Server).
    pub servers: usize,
    /// Added to every data answer of every simulated server.
    pub latency: Duration,
    /// Seed of every simulated customer's data: the same seed gives the same fleet.
    pub seed: u64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            servers: 4,
            latency: Duration::ZERO,
            seed: 1,
        }
    }
}

/// Running simulated servers plus the entries that point at them.
pub struct DemoFleet {
    // Kept alive for as long as the fleet is served.
    _nova: Option<NovaDouble>,
    _backrest: Vec<BackrestDouble>,
    entries: Vec<(ServerEntry, SecretString)>,
}

impl DemoFleet {
    /// Starts every simulated server (needs a tokio runtime). Management Server `i` holds
    /// customers `3i..3i+3` (a lone one holds six); Backrest `j` is customer `j`'s NAS, so its
    /// tenant is the one that customer has on a Management Server.
    pub async fn start(options: &DemoOptions) -> std::io::Result<DemoFleet> {
        if options.servers == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "the demo fleet needs at least one server",
            ));
        }
        let total = options.servers;
        let nova_count = total.div_ceil(2);
        let backrest_count = total - nova_count;
        let per_nova = if nova_count == 1 {
            2 * CUSTOMERS_PER_NOVA
        } else {
            CUSTOMERS_PER_NOVA
        };
        let now = Utc::now();

        let mut nova_configs = Vec::with_capacity(nova_count);
        // Each customer's tenant id, from the Management Server hosting it.
        let mut tenant_ids: HashMap<String, String> = HashMap::new();
        for i in 0..nova_count {
            let customers: Vec<Customer> = (i * per_nova..(i + 1) * per_nova)
                .map(Customer::nth)
                .collect();
            let dataset = Dataset::generated(now, &nova_spec(i, &customers, options.seed));
            for c in &customers {
                if let Some(t) = tenant_of(&dataset, &c.name) {
                    tenant_ids.insert(c.name.clone(), t);
                }
            }
            let mut config = InstanceConfig::with_dataset(&format!("/cmc{i:04}"), dataset);
            config.faults.latency_ms = options.latency.as_millis() as u64;
            nova_configs.push(config);
        }
        let nova = NovaDouble::start(nova_configs).await?;
        let (user, password) = SAMPLE_USERS[0];
        let mut entries = Vec::with_capacity(total);
        for i in 0..nova_count {
            let id = if nova_count == 1 {
                "cmc".to_owned()
            } else {
                format!("cmc-{i:04}")
            };
            entries.push((
                entry(&id, ServerKind::Novabackup, nova.base_url(i), user, None),
                SecretString::from(password),
            ));
        }

        let mut backrest = Vec::with_capacity(backrest_count);
        for j in 0..backrest_count {
            let customer = Customer::nth(j);
            let site = customer.backrest_site(options.seed, DAYS);
            let mut config =
                BackrestConfig::new(BackrestDataset::site(now, &site)).with_users(&[BACKREST_USER]);
            config.basic_auth_cost = Duration::from_millis(20);
            let double = BackrestDouble::start(config)?;
            double.faults().set_latency(options.latency);
            let tenant = tenant_ids
                .get(&customer.name)
                .cloned()
                .unwrap_or_else(|| customer.code.clone());
            entries.push((
                entry(
                    &site.instance,
                    ServerKind::Backrest,
                    double.base_url(),
                    BACKREST_USER.0,
                    Some(tenant),
                ),
                SecretString::from(BACKREST_USER.1),
            ));
            backrest.push(double);
        }
        Ok(DemoFleet {
            _nova: Some(nova),
            _backrest: backrest,
            entries,
        })
    }

    /// A fleet of every simulated server (nothing is read from or written to disk).
    pub fn fleet(&self) -> Result<Fleet, FleetError> {
        let fleet = Fleet::default();
        for (entry, password) in &self.entries {
            fleet.insert(
                entry.clone(),
                Origin::Saved,
                SecretSource::Known(Some(password.clone())),
            )?;
        }
        Ok(fleet)
    }
}

/// Management Server `i`: its customers as tenants and their machines as its agents.
fn nova_spec(i: usize, customers: &[Customer], seed: u64) -> GenSpec {
    let hosts: Vec<Vec<String>> = customers.iter().map(|c| c.hosts.clone()).collect();
    let agents = hosts.iter().map(Vec::len).sum::<usize>();
    GenSpec {
        seed: seed.wrapping_mul(1_000).wrapping_add(i as u64),
        tenants: customers.len(),
        agents,
        runs: 150 * customers.len(),
        days: DAYS,
        tenant_names: customers.iter().map(|c| c.name.clone()).collect(),
        tenant_hosts: hosts,
    }
}

/// The tenant GUID the generated dataset gave a customer's group.
fn tenant_of(dataset: &Dataset, customer: &str) -> Option<String> {
    dataset
        .groups
        .iter()
        .find(|g| g.group_name == customer)
        .and_then(|g| g.tenant_id.clone())
}

fn entry(
    id: &str,
    kind: ServerKind,
    base_url: String,
    username: &str,
    tenant_id: Option<String>,
) -> ServerEntry {
    ServerEntry {
        server_id: id.to_owned(),
        kind,
        label: format!("demo {}", kind.product()),
        base_url,
        username: username.to_owned(),
        tenant_id,
        ca_cert_pem: None,
        tls_fingerprint: None,
        secret: SecretRef::None,
    }
}
