//! Per-instance request counters, so tests can assert how a client used the server
//! (requests per route, logins, bounded concurrency, the auth scheme sent).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of one instance's counters.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Requests per route label (e.g. `Agents`, `Agents(id)/Devices`, `Account/Authenticate`).
    pub requests: BTreeMap<String, u64>,
    /// Calls of `POST /api/Account/Authenticate`.
    pub authenticate_calls: u64,
    /// Data requests being handled right now.
    pub in_flight: u64,
    /// The most data requests ever handled at once.
    pub max_in_flight: u64,
    /// The scheme of the last `Authorization` header seen (e.g. `Bearer`).
    pub last_auth_scheme: Option<String>,
}

impl Stats {
    /// Requests seen for one route label (0 when none).
    pub fn requests_to(&self, route: &str) -> u64 {
        self.requests.get(route).copied().unwrap_or(0)
    }

    /// Requests seen in total.
    pub fn total_requests(&self) -> u64 {
        self.requests.values().sum()
    }
}

/// The live counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: Mutex<BTreeMap<String, u64>>,
    authenticate: AtomicU64,
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    last_scheme: Mutex<Option<String>>,
}

impl Counters {
    /// Count one request to `route`, remembering the `Authorization` scheme if any.
    pub fn record(&self, route: &str, auth_scheme: Option<&str>) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *requests.entry(route.to_owned()).or_default() += 1;
        if let Some(scheme) = auth_scheme {
            *self.last_scheme.lock().unwrap_or_else(|e| e.into_inner()) = Some(scheme.to_owned());
        }
    }

    /// Count one Authenticate call; returns how many there have been, this one included.
    pub fn authenticate(&self) -> u64 {
        self.authenticate.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Mark a data request as in flight until the guard drops.
    pub fn enter(&self) -> InFlight<'_> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(self)
    }

    pub fn snapshot(&self) -> Stats {
        Stats {
            requests: self
                .requests
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
            authenticate_calls: self.authenticate.load(Ordering::SeqCst),
            in_flight: self.in_flight.load(Ordering::SeqCst),
            max_in_flight: self.max_in_flight.load(Ordering::SeqCst),
            last_auth_scheme: self
                .last_scheme
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone(),
        }
    }

    /// Zero every counter (requests in flight stay counted).
    pub fn reset(&self) {
        self.requests
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        self.authenticate.store(0, Ordering::SeqCst);
        let current = self.in_flight.load(Ordering::SeqCst);
        self.max_in_flight.store(current, Ordering::SeqCst);
        *self.last_scheme.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// Guard of one in-flight data request.
pub(crate) struct InFlight<'a>(&'a Counters);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}
