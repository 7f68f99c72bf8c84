//! A faithful test double of a Backrest 1.14 server's Connect/JSON API, built from real captures
//! (`tests/fixtures/backrest/`), for integration tests, the demo fleet and benchmarks.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use backup_mcp::doubles::backrest::{AuthMode, BackrestConfig, BackrestDataset, BackrestDouble};
//! let mut config = BackrestConfig::new(BackrestDataset::from_fixtures());
//! config.auth = AuthMode::Enabled { users: vec![("admin".into(), "s3cret".into())] };
//! let double = BackrestDouble::start(config)?;
//! // ... point a client at double.base_url() ...
//! let counters = double.counters();
//! assert_eq!(counters.basic, 0);
//! # Ok(()) }
//! ```

mod auth;
mod backup;
mod dashboard;
mod data;
mod errors;
mod faults;
mod files;
mod ids;
mod jobs;
mod ledger;
mod metrics;
mod model;
mod omit;
mod query;
mod routes;
mod rpc_read;
mod rpc_write;
mod sample;
mod server;
mod shared;
mod site;
mod state;
mod stream;
mod wire;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

pub use auth::AuthMode;
pub use data::BackrestDataset;
pub use faults::{FaultHandle, Faults};
pub use metrics::{AuthScheme, Counters};
pub use model::{OpKind, OpStatus, Operation, Snapshot, SourceFile};
pub use site::{Offsite, PlanSpec, Schedule, SiteSpec, Trouble};
pub use state::{BackrestState, RecordedCall};
pub use stream::{FLAG_DATA, FLAG_END, parse_frames, push_frame};

use metrics::Metrics;
use shared::Shared;
use state::Store;

/// How to start a double.
#[derive(Clone, Debug)]
pub struct BackrestConfig {
    /// `config.instance`, operations' `instanceId` and the `created-by:` tag of new snapshots.
    pub instance_id: String,
    /// Credentials required (or not).
    pub auth: AuthMode,
    /// Config, operations, snapshots and logs to serve.
    pub dataset: BackrestDataset,
    /// Simulated bcrypt cost per Basic-authenticated request (and once per Login).
    pub basic_auth_cost: Duration,
    /// When set, passwords are checked with real bcrypt at this cost instead (Backrest uses 10).
    pub bcrypt_cost: Option<u32>,
    /// How long a Backup call blocks.
    pub backup_duration: Duration,
    /// How long a scheduled repo task, forget or restore takes.
    pub task_duration: Duration,
    /// Faults active from the start.
    pub faults: Faults,
}

impl BackrestConfig {
    /// Defaults for a dataset: its own instance id, auth disabled, 20 ms bcrypt, 300 ms backups,
    /// 100 ms tasks, no faults.
    pub fn new(dataset: BackrestDataset) -> Self {
        let instance_id = dataset
            .config
            .get("instance")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        BackrestConfig {
            instance_id,
            auth: AuthMode::Disabled,
            dataset,
            basic_auth_cost: Duration::from_millis(20),
            bcrypt_cost: None,
            backup_duration: Duration::from_millis(300),
            task_duration: Duration::from_millis(100),
            faults: Faults::default(),
        }
    }

    /// Enables auth with the given `(user, password)` pairs.
    pub fn with_users(mut self, users: &[(&str, &str)]) -> Self {
        self.auth = AuthMode::Enabled {
            users: users
                .iter()
                .map(|(u, p)| (u.to_string(), p.to_string()))
                .collect(),
        };
        self
    }
}

/// A running Backrest double on `127.0.0.1`; shuts down when dropped.
#[derive(Debug)]
pub struct BackrestDouble {
    shared: Arc<Shared>,
    addr: SocketAddr,
}

impl BackrestDouble {
    /// Starts an instance on a free port (call inside a tokio runtime).
    pub fn start(config: BackrestConfig) -> std::io::Result<BackrestDouble> {
        let mut auth = auth::Authenticator::new(config.auth, config.basic_auth_cost);
        if let Some(cost) = config.bcrypt_cost {
            auth = auth.with_bcrypt(cost);
        }
        let mut store = Store::new(config.dataset);
        if let Value::Object(m) = &mut store.config {
            if !config.instance_id.is_empty() {
                m.insert("instance".into(), Value::String(config.instance_id));
            }
            m.insert("auth".into(), auth.config_section());
        }
        let faults = FaultHandle::new(config.faults);
        let shutdown = CancellationToken::new();
        let shared = Arc::new(Shared {
            store: Mutex::new(store),
            auth,
            metrics: Metrics::default(),
            faults: faults.clone(),
            shutdown: shutdown.clone(),
            backup_duration: config.backup_duration,
            task_duration: config.task_duration,
        });
        let addr = server::spawn(routes::router(shared.clone()), faults, shutdown)?;
        Ok(BackrestDouble { shared, addr })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The instance id served in the config.
    pub fn instance_id(&self) -> String {
        self.shared.lock().instance()
    }

    /// Runtime fault switches.
    pub fn faults(&self) -> FaultHandle {
        self.shared.faults.clone()
    }

    /// Request counters.
    pub fn counters(&self) -> Counters {
        self.shared.metrics.snapshot()
    }

    /// Zeroes the request counters.
    pub fn reset_counters(&self) {
        self.shared.metrics.reset();
    }

    /// A copy of config, operations, snapshots and recorded calls.
    pub fn state(&self) -> BackrestState {
        self.shared.lock().view()
    }

    /// Issues a token as Login would, with any expiry (unix seconds), e.g. to test expiry.
    pub fn mint_token(&self, user: &str, exp_unix: i64) -> String {
        self.shared.auth.mint(user, exp_unix)
    }

    /// Makes a plan's backups fail with `message` (`None` = succeed again).
    pub fn set_plan_failure(&self, plan_id: &str, message: Option<&str>) {
        let mut store = self.shared.lock();
        match message {
            Some(m) => store
                .failing_plans
                .insert(plan_id.to_string(), m.to_string()),
            None => store.failing_plans.remove(plan_id),
        };
    }
}

impl Drop for BackrestDouble {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
    }
}
