//! The embedded demo fleet: simulated Management Servers and Backrest servers on loopback, with a
//! small MSP's customers, failing and stale machines of both kinds, so `backup-mcp demo` shows
//! the whole product without a single real server or saved credential.

use std::collections::HashMap;
use std::time::Duration;

use chrono::Utc;
use secrecy::SecretString;

use crate::doubles::backrest::{BackrestConfig, BackrestDataset, BackrestDouble};
use crate::doubles::novabackup::{Dataset, GenSpec, InstanceConfig, NovaDouble, SAMPLE_USERS};
use crate::fleet::{Fleet, FleetError, Origin, SecretSource};
use crate::store::{SecretRef, ServerEntry, ServerKind};

/// The MSP's customers, shared by both kinds so a tenant spans NovaBACKUP and Backrest.
pub const CUSTOMERS: [&str; 6] = [
    "Acme Dental",
    "Blue Ridge Law",
    "Cedar Creek Vet",
    "Delta Freight",
    "Evergreen School",
    "Harbor Clinic",
];

/// The Backrest user every demo Backrest accepts.
pub const BACKREST_USER: (&str, &str) = ("gateway", "demo backrest password");

/// How big and how slow the demo fleet is.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Number of simulated servers, alternating Management Server and Backrest (at least 1).
    pub servers: usize,
    /// Added to every data answer of every simulated server.
    pub latency: Duration,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            servers: 4,
            latency: Duration::ZERO,
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
    /// Starts every simulated server (needs a tokio runtime).
    pub async fn start(options: &DemoOptions) -> std::io::Result<DemoFleet> {
        let total = options.servers.max(1);
        let nova_count = total.div_ceil(2);
        let backrest_count = total - nova_count;
        let now = Utc::now();

        let mut nova_configs = Vec::with_capacity(nova_count);
        // Each customer's tenant id, from the first Management Server hosting it.
        let mut tenant_ids: HashMap<&str, String> = HashMap::new();
        for i in 0..nova_count {
            let dataset = Dataset::generated(now, &nova_spec(i, nova_count));
            for name in CUSTOMERS {
                if let (false, Some(t)) = (tenant_ids.contains_key(name), tenant_of(&dataset, name))
                {
                    tenant_ids.insert(name, t);
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
        for i in 0..backrest_count {
            let customer = CUSTOMERS[i % CUSTOMERS.len()];
            let id = format!("{}-nas{:02}", short_name(customer), i / CUSTOMERS.len() + 1);
            let mut config = BackrestConfig::new(BackrestDataset::sample(now, &id, customer))
                .with_users(&[BACKREST_USER]);
            config.basic_auth_cost = Duration::from_millis(20);
            let double = BackrestDouble::start(config)?;
            double.faults().set_latency(options.latency);
            let tenant = tenant_ids
                .get(customer)
                .cloned()
                .unwrap_or_else(|| customer.to_ascii_lowercase().replace(' ', "-"));
            entries.push((
                entry(
                    &id,
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

/// The first server hosts the first three customers, the next the following three, and so on.
fn nova_spec(i: usize, count: usize) -> GenSpec {
    let per_server = if count == 1 { CUSTOMERS.len() } else { 3 };
    let tenant_names = (0..per_server)
        .map(|t| CUSTOMERS[(i * per_server + t) % CUSTOMERS.len()].to_owned())
        .collect();
    GenSpec {
        seed: 1000 + i as u64,
        tenants: per_server,
        agents: 6 * per_server,
        runs: 150 * per_server,
        days: 30,
        tenant_names,
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

fn short_name(customer: &str) -> String {
    customer
        .split_whitespace()
        .next()
        .unwrap_or("demo")
        .to_ascii_lowercase()
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
