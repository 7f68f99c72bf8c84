//! Fault injection (docs/upstream/novabackup.md §9.3): what an instance should get wrong, changeable at run time.
//!
//! [`Faults`] is the plain settings record (also the JSON body of the control endpoint);
//! [`FaultHandle`] shares it between the test and the running server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

/// Every fault switch of one instance. The default is a well-behaved server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Token lifetime: `exp` = now + this many seconds.
    pub token_ttl_seconds: u64,
    /// Issue JWTs whose payload has no `exp` (the server still expires them after the TTL).
    pub token_without_exp: bool,
    /// Answer Authenticate with `application/json` `"eyJ..."` instead of plain text.
    pub token_as_json_string: bool,
    /// The next data call gets 401 once, and its token is revoked.
    pub revoke_next_token_use: bool,
    /// Every data call gets 401.
    pub always_401: bool,
    /// Every data call gets this status with a ProblemDetails body.
    pub fail_data_status: Option<u16>,
    /// `Retry-After` seconds sent with `fail_data_status`.
    pub retry_after_seconds: Option<u64>,
    /// Delay before answering data calls.
    pub latency_ms: u64,
    /// Never answer data calls (until the double shuts down).
    pub hang: bool,
    /// Delay before answering Authenticate.
    pub auth_latency_ms: u64,
    /// Never answer Authenticate.
    pub auth_hang: bool,
    /// Answer the first Authenticate, hang on every later one.
    pub auth_hang_after_first: bool,
    /// Authenticate without `TwoFactorCode` gets 401 "Two-factor code required".
    pub require_2fa: bool,
    /// Cap rows per response and emit `@odata.nextLink`.
    pub max_page_size: Option<usize>,
    /// Refuse (400) query option names sent as `%24name`.
    pub reject_encoded_dollar: bool,
    /// Per user name: the only tenants that user sees. Hides agents (and their devices,
    /// jobs, sources), groups (the tenant-less root too), runs, logs and cloud storage
    /// accounts not used by a visible agent; users and storage servers stay visible.
    pub visible_tenants: HashMap<String, Vec<String>>,
    /// Close every connection without an answer.
    pub unreachable: bool,
    /// Answer data calls 200 with the JSON body cut in half.
    pub truncated_body: bool,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            token_ttl_seconds: 3_600,
            token_without_exp: false,
            token_as_json_string: false,
            revoke_next_token_use: false,
            always_401: false,
            fail_data_status: None,
            retry_after_seconds: None,
            latency_ms: 0,
            hang: false,
            auth_latency_ms: 0,
            auth_hang: false,
            auth_hang_after_first: false,
            require_2fa: false,
            max_page_size: None,
            reject_encoded_dollar: false,
            visible_tenants: HashMap::new(),
            unreachable: false,
            truncated_body: false,
        }
    }
}

/// A shared, cloneable handle on one instance's [`Faults`]; changes apply to the next request.
#[derive(Debug, Clone, Default)]
pub struct FaultHandle(Arc<Mutex<Faults>>);

/// Setters named after the fields, each replacing that one value.
macro_rules! setters {
    ($($name:ident: $ty:ty),* $(,)?) => {
        $(
            #[doc = concat!("Set `", stringify!($name), "`.")]
            pub fn $name(&self, value: $ty) -> &Self {
                self.update(|f| f.$name = value)
            }
        )*
    };
}

impl FaultHandle {
    pub(crate) fn new(faults: Faults) -> Self {
        FaultHandle(Arc::new(Mutex::new(faults)))
    }

    fn lock(&self) -> MutexGuard<'_, Faults> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A copy of the current settings.
    pub fn get(&self) -> Faults {
        self.lock().clone()
    }

    /// Replace every setting (`Faults::default()` clears all faults).
    pub fn set(&self, faults: Faults) -> &Self {
        *self.lock() = faults;
        self
    }

    /// Change settings in place.
    pub fn update(&self, change: impl FnOnce(&mut Faults)) -> &Self {
        change(&mut self.lock());
        self
    }

    setters! {
        token_ttl_seconds: u64,
        token_without_exp: bool,
        token_as_json_string: bool,
        revoke_next_token_use: bool,
        always_401: bool,
        latency_ms: u64,
        hang: bool,
        auth_latency_ms: u64,
        auth_hang: bool,
        auth_hang_after_first: bool,
        require_2fa: bool,
        max_page_size: Option<usize>,
        reject_encoded_dollar: bool,
        unreachable: bool,
        truncated_body: bool,
    }

    /// Make every data call fail with `status` (`None` = stop), optionally with `Retry-After`.
    pub fn fail_data_status(&self, status: Option<u16>, retry_after_seconds: Option<u64>) -> &Self {
        self.update(|f| {
            f.fail_data_status = status;
            f.retry_after_seconds = retry_after_seconds;
        })
    }

    /// Limit what `user` sees to these tenants (`None` = everything again).
    pub fn visible_tenants(&self, user: &str, tenants: Option<Vec<String>>) -> &Self {
        self.update(|f| match tenants {
            Some(list) => {
                f.visible_tenants.insert(user.to_owned(), list);
            }
            None => {
                f.visible_tenants.remove(user);
            }
        })
    }

    /// Consume the one-shot `revoke_next_token_use` switch.
    pub(crate) fn take_revoke(&self) -> bool {
        std::mem::take(&mut self.lock().revoke_next_token_use)
    }
}
