//! A faithful fake of the NovaBACKUP Management Server REST API (docs/upstream/novabackup.md §9), for
//! integration tests, the embedded demo fleet and benchmarks.
//!
//! One [`NovaDouble`] binds one port on `127.0.0.1` and serves several independent
//! instances, each under its own path prefix with its own users, [`Dataset`], tokens,
//! [`Faults`] and [`Stats`]:
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use backup_mcp::doubles::novabackup::{Dataset, GenSpec, InstanceConfig, NovaDouble};
//! let big = InstanceConfig::generated("/ms2", &GenSpec { agents: 5_000, runs: 100_000, ..GenSpec::default() });
//! let double = NovaDouble::start(vec![InstanceConfig::sample("/ms1"), big]).await?;
//! let url = double.base_url(0); // http://127.0.0.1:PORT/ms1
//! double.faults(1).latency_ms(200);
//! # Ok(()) }
//! ```

mod dataset;
mod entities;
mod faults;
mod generate;
mod handlers;
mod http;
mod incidents;
mod model;
mod odata;
mod routes;
mod sample;
mod server;
mod stats;
mod token;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use chrono::Utc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use dataset::{Dataset, Lookup};
pub use faults::{FaultHandle, Faults};
pub use generate::GenSpec;
pub use model::{
    Agent, BackupSource, CloudStorageAccount, Device, Group, Job, JobHistory, LogMessage, RunLog,
    S3Target, StorageServer, Time, User, status,
};
pub use sample::{ACME_TENANT, BLUE_RIDGE_TENANT};
pub use stats::Stats;

use server::{App, Instance};

/// The users of [`InstanceConfig::sample`]: `(user name, password)`.
pub const SAMPLE_USERS: [(&str, &str); 2] = [
    ("alice", "correct horse battery staple"),
    ("tech2", "tech2 password"),
];

/// How to set up one fake server.
#[derive(Debug, Clone)]
pub struct InstanceConfig {
    /// Virtual directory, e.g. `/managementserver` (the default) or `/ms1`.
    pub prefix: String,
    /// Accepted credentials: `(user name, password)`.
    pub users: Vec<(String, String)>,
    /// What the server contains; share one `Arc` between instances to save memory.
    pub dataset: Arc<Dataset>,
    /// Faults active from the start.
    pub faults: Faults,
    /// Serve `{prefix}/_control/faults` (off: that path is a 404).
    pub test_mode: bool,
}

impl InstanceConfig {
    /// The sample data of §9.2 with [`SAMPLE_USERS`], no faults, test mode off.
    pub fn sample(prefix: &str) -> Self {
        Self::with_dataset(prefix, Dataset::sample(Utc::now()))
    }

    /// A generated dataset with [`SAMPLE_USERS`], no faults, test mode off.
    pub fn generated(prefix: &str, spec: &GenSpec) -> Self {
        Self::with_dataset(prefix, Dataset::generated(Utc::now(), spec))
    }

    /// Any dataset with [`SAMPLE_USERS`], no faults, test mode off.
    pub fn with_dataset(prefix: &str, dataset: Dataset) -> Self {
        InstanceConfig {
            prefix: prefix.to_owned(),
            users: SAMPLE_USERS
                .iter()
                .map(|(u, p)| ((*u).to_owned(), (*p).to_owned()))
                .collect(),
            dataset: Arc::new(dataset),
            faults: Faults::default(),
            test_mode: false,
        }
    }
}

impl Default for InstanceConfig {
    fn default() -> Self {
        Self::sample("/managementserver")
    }
}

/// A running fake: one listener, several instances. Stops when dropped.
pub struct NovaDouble {
    addr: SocketAddr,
    app: Arc<App>,
    task: Option<JoinHandle<()>>,
}

impl NovaDouble {
    /// Bind `127.0.0.1:0` and serve every instance under its prefix (must run inside tokio).
    /// Fails on a listener error or on duplicate prefixes.
    pub async fn start(configs: Vec<InstanceConfig>) -> io::Result<NovaDouble> {
        let mut instances: Vec<Arc<Instance>> = Vec::with_capacity(configs.len());
        for config in configs {
            let prefix = normalise_prefix(&config.prefix);
            if instances.iter().any(|i| i.prefix == prefix) {
                let message = format!("duplicate instance prefix '{prefix}'");
                return Err(io::Error::new(io::ErrorKind::InvalidInput, message));
            }
            instances.push(Arc::new(Instance {
                prefix,
                users: config.users,
                dataset: config.dataset,
                faults: FaultHandle::new(config.faults),
                counters: Default::default(),
                tokens: Default::default(),
                test_mode: config.test_mode,
            }));
        }
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let app = Arc::new(App {
            instances,
            origin: format!("http://{addr}"),
            shutdown: CancellationToken::new(),
        });
        let router = Router::new()
            .fallback(server::dispatch)
            .with_state(app.clone());
        let stop = app.shutdown.clone().cancelled_owned();
        let task = tokio::spawn(async move {
            let served = axum::serve(listener, router)
                .with_graceful_shutdown(stop)
                .await;
            if let Err(e) = served {
                tracing::warn!("NovaBACKUP double stopped: {e}");
            }
        });
        Ok(NovaDouble {
            addr,
            app,
            task: Some(task),
        })
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Number of instances.
    pub fn instance_count(&self) -> usize {
        self.app.instances.len()
    }

    /// Base URL of instance `i`, e.g. `http://127.0.0.1:PORT/ms1` (panics if out of range).
    pub fn base_url(&self, i: usize) -> String {
        format!("{}{}", self.app.origin, self.app.instances[i].prefix)
    }

    /// The fault switches of instance `i`.
    pub fn faults(&self, i: usize) -> FaultHandle {
        self.app.instances[i].faults.clone()
    }

    /// A snapshot of instance `i`'s counters.
    pub fn stats(&self, i: usize) -> Stats {
        self.app.instances[i].counters.snapshot()
    }

    /// Zero instance `i`'s counters.
    pub fn reset_stats(&self, i: usize) {
        self.app.instances[i].counters.reset();
    }

    /// What instance `i` serves, to compute expected answers.
    pub fn dataset(&self, i: usize) -> Arc<Dataset> {
        self.app.instances[i].dataset.clone()
    }

    /// Stop serving and wait for the server task (hung requests are released with 503).
    pub async fn shutdown(mut self) {
        self.app.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for NovaDouble {
    fn drop(&mut self) {
        self.app.shutdown.cancel();
    }
}

/// `ms1/` → `/ms1`; empty → served at the root.
fn normalise_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim().trim_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else {
        format!("/{trimmed}")
    }
}
