//! What every handler and background job of one double shares.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::auth::Authenticator;
use super::faults::FaultHandle;
use super::metrics::Metrics;
use super::state::Store;

/// Shared state of one running double.
#[derive(Debug)]
pub struct Shared {
    /// Config, ledger and bookkeeping.
    pub store: Mutex<Store>,
    /// Authentication.
    pub auth: Authenticator,
    /// Counters.
    pub metrics: Metrics,
    /// Fault switches.
    pub faults: FaultHandle,
    /// Cancelled when the double is dropped.
    pub shutdown: CancellationToken,
    /// How long a Backup runs.
    pub backup_duration: Duration,
    /// How long a scheduled repo task, forget or restore takes.
    pub task_duration: Duration,
}

impl Shared {
    /// Locks the store (a poisoned lock is recovered: the data is plain bookkeeping).
    pub fn lock(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Wall clock in unix milliseconds.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
