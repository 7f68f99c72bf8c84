//! Runtime fault injection: errors, latency, hangs, broken bodies and a dead server, switchable
//! while the double runs through a cloneable [`FaultHandle`].

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Fault switches. All off by default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Answer every RPC with this HTTP status and the matching Connect error code
    /// (`500` → `unknown`); streams answer 200 with the error in the end frame.
    pub fail_status: Option<u16>,
    /// Delay before each request is handled.
    pub latency: Duration,
    /// Never answer.
    pub hang: bool,
    /// Answer normally but cut the body in half (invalid JSON, status 200).
    pub malformed_json: bool,
    /// Answer `500 text/plain` `Internal Server Error` (Backrest cannot read its config).
    pub plain_text_500: bool,
    /// Drop every connection without an answer, as if the host were gone.
    pub unreachable: bool,
    /// Restrict the faults to these method names (`None` = every request).
    pub only_methods: Option<Vec<String>>,
}

impl Faults {
    /// True when the faults apply to a method.
    pub fn applies_to(&self, method: &str) -> bool {
        self.only_methods
            .as_ref()
            .is_none_or(|m| m.iter().any(|x| x == method))
    }
}

/// Cloneable switchboard shared with the running double.
#[derive(Clone, Debug, Default)]
pub struct FaultHandle(Arc<Mutex<Faults>>);

impl FaultHandle {
    /// A handle starting with the given faults.
    pub fn new(initial: Faults) -> Self {
        FaultHandle(Arc::new(Mutex::new(initial)))
    }

    /// Current switches.
    pub fn current(&self) -> Faults {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Changes the switches in place.
    pub fn update(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// Replaces all switches.
    pub fn set(&self, faults: Faults) {
        self.update(|f| *f = faults);
    }

    /// Turns every fault off.
    pub fn clear(&self) {
        self.set(Faults::default());
    }

    /// See [`Faults::fail_status`].
    pub fn set_fail_status(&self, status: Option<u16>) {
        self.update(|f| f.fail_status = status);
    }

    /// See [`Faults::latency`].
    pub fn set_latency(&self, latency: Duration) {
        self.update(|f| f.latency = latency);
    }

    /// See [`Faults::hang`].
    pub fn set_hang(&self, on: bool) {
        self.update(|f| f.hang = on);
    }

    /// See [`Faults::malformed_json`].
    pub fn set_malformed_json(&self, on: bool) {
        self.update(|f| f.malformed_json = on);
    }

    /// See [`Faults::plain_text_500`].
    pub fn set_plain_text_500(&self, on: bool) {
        self.update(|f| f.plain_text_500 = on);
    }

    /// See [`Faults::unreachable`].
    pub fn set_unreachable(&self, on: bool) {
        self.update(|f| f.unreachable = on);
    }

    /// See [`Faults::only_methods`].
    pub fn set_only_methods(&self, methods: Option<Vec<String>>) {
        self.update(|f| f.only_methods = methods);
    }

    /// True when the server should behave as unreachable.
    pub fn is_unreachable(&self) -> bool {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .unreachable
    }
}
