//! Request counters: per method, per authorization scheme, and current/maximum concurrency, so
//! tests can assert "logged in once, then Bearer only" and "never more than N in flight".

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

/// Authorization scheme a request carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// `Authorization: Bearer …`.
    Bearer,
    /// `Authorization: Basic …`.
    Basic,
    /// No `Authorization` header.
    None,
    /// Any other scheme.
    Other,
}

impl AuthScheme {
    /// Classifies an `Authorization` header value.
    pub fn of(header: Option<&str>) -> AuthScheme {
        match header {
            None => AuthScheme::None,
            Some(h) if h.starts_with("Bearer ") => AuthScheme::Bearer,
            Some(h) if h.starts_with("Basic ") => AuthScheme::Basic,
            Some(_) => AuthScheme::Other,
        }
    }
}

/// Counter values at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// All requests received.
    pub total: u64,
    /// Requests by method name (last path segment, e.g. `GetConfig`, `Login`).
    pub by_method: BTreeMap<String, u64>,
    /// Requests carrying a Bearer token.
    pub bearer: u64,
    /// Requests carrying Basic credentials.
    pub basic: u64,
    /// Requests without an `Authorization` header.
    pub no_auth: u64,
    /// Requests with another scheme.
    pub other_auth: u64,
    /// Requests being handled right now.
    pub in_flight: u64,
    /// Highest `in_flight` seen.
    pub max_in_flight: u64,
}

impl Counters {
    /// Requests seen for one method.
    pub fn method(&self, name: &str) -> u64 {
        self.by_method.get(name).copied().unwrap_or(0)
    }
}

/// Shared, cloneable counters.
#[derive(Clone, Debug, Default)]
pub struct Metrics(Arc<Mutex<Counters>>);

/// Decrements the in-flight count when the request ends (or its future is dropped).
#[derive(Debug)]
pub struct InFlight(Metrics);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.with(|c| c.in_flight = c.in_flight.saturating_sub(1));
    }
}

impl Metrics {
    fn with<R>(&self, f: impl FnOnce(&mut Counters) -> R) -> R {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut guard)
    }

    /// Counts a request and marks it in flight until the guard drops.
    pub fn begin(&self, method: &str, scheme: AuthScheme) -> InFlight {
        self.with(|c| {
            c.total += 1;
            *c.by_method.entry(method.to_string()).or_default() += 1;
            match scheme {
                AuthScheme::Bearer => c.bearer += 1,
                AuthScheme::Basic => c.basic += 1,
                AuthScheme::None => c.no_auth += 1,
                AuthScheme::Other => c.other_auth += 1,
            }
            c.in_flight += 1;
            c.max_in_flight = c.max_in_flight.max(c.in_flight);
        });
        InFlight(self.clone())
    }

    /// Current values.
    pub fn snapshot(&self) -> Counters {
        self.with(|c| c.clone())
    }

    /// Zeroes every counter except the live in-flight count.
    pub fn reset(&self) {
        self.with(|c| {
            *c = Counters {
                in_flight: c.in_flight,
                max_in_flight: c.in_flight,
                ..Counters::default()
            }
        });
    }
}
