//! One server's HTTP connection: pooled client, cached bearer token with single-flight login, and
//! requests that re-login once on a 401 and retry safe reads on transient failures.
//!
//! Every wait here (for the login lock, the request slot, the answer, a retry pause) is bounded by
//! the caller's deadline, so a hanging server can never hang a tool call.

use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::{Mutex, OnceCell, Semaphore};

use crate::store::{CredentialStore, ServerEntry, ServerKind};
use crate::upstream::UpstreamError;
use crate::upstream::backrest::auth as backrest_auth;
use crate::upstream::http::{self, Reply};
use crate::upstream::novabackup::auth as nova_auth;
use crate::upstream::token::Token;

/// Retries of a safe read after a transient failure, on top of the first try.
const MAX_READ_RETRIES: u32 = 2;

/// Where the password comes from: known already, or read lazily from the keyring.
pub enum SecretSource {
    Known(Option<SecretString>),
    Store(CredentialStore, Box<ServerEntry>),
}

/// The authorisation a request carries.
#[derive(Clone)]
enum Credential {
    /// Backrest with authentication disabled.
    Open,
    Bearer(Token),
}

/// An HTTP request relative to the server's base URL.
pub struct Request {
    pub method: reqwest::Method,
    /// Path and query after the base, starting with `/`.
    pub path: String,
    pub body: Option<serde_json::Value>,
    /// Safe to send again (reads); writes are never retried.
    pub idempotent: bool,
    /// A body sent as-is with its content type (e.g. a framed Connect stream) instead of `body`.
    pub raw_body: Option<(&'static str, bytes::Bytes)>,
    /// A call that may block for a long time (Backrest's Backup): it does not take the server's
    /// one-request slot, so the server stays usable while it runs.
    pub long_running: bool,
}

impl Request {
    pub fn get(path: impl Into<String>) -> Self {
        Request {
            method: reqwest::Method::GET,
            path: path.into(),
            body: None,
            idempotent: true,
            raw_body: None,
            long_running: false,
        }
    }

    /// A Connect unary call; `idempotent` says whether it may be retried.
    pub fn post(path: impl Into<String>, body: serde_json::Value, idempotent: bool) -> Self {
        Request {
            method: reqwest::Method::POST,
            path: path.into(),
            body: Some(body),
            idempotent,
            raw_body: None,
            long_running: false,
        }
    }

    /// A POST whose body is sent verbatim with `content_type`.
    pub fn post_raw(
        path: impl Into<String>,
        content_type: &'static str,
        body: bytes::Bytes,
        idempotent: bool,
    ) -> Self {
        Request {
            raw_body: Some((content_type, body)),
            ..Request::post(path, serde_json::Value::Null, idempotent)
        }
    }

    /// Marks the request as long-running (see [`Request::long_running`]).
    pub fn long_running(mut self) -> Self {
        self.long_running = true;
        self
    }
}

pub struct Connection {
    kind: ServerKind,
    base: String,
    username: String,
    secret: SecretSource,
    password: OnceCell<Option<SecretString>>,
    /// The server's HTTP client; a client that could not be built (an unreadable saved CA
    /// certificate) is kept as its error, so the server stays listed and fails each call with it.
    client: Result<reqwest::Client, UpstreamError>,
    /// Holding this lock is the right to log in: one login in flight per server.
    credential: Mutex<Option<Credential>>,
    /// One request at a time per server, however many tool calls run.
    slot: Semaphore,
}

impl Connection {
    pub fn new(entry: &ServerEntry, secret: SecretSource) -> Self {
        Connection {
            kind: entry.kind,
            base: entry.api_base().to_owned(),
            username: entry.username.clone(),
            secret,
            password: OnceCell::new(),
            client: http::build_client(entry.trust()),
            credential: Mutex::new(None),
            slot: Semaphore::new(1),
        }
    }

    fn client(&self) -> Result<&reqwest::Client, UpstreamError> {
        self.client.as_ref().map_err(Clone::clone)
    }

    /// Makes sure a usable credential is cached, logging in if needed.
    /// Returns whether a login happened (`false` when a cached credential was still good).
    pub async fn authorize(&self, deadline: Instant) -> Result<bool, UpstreamError> {
        self.credential(deadline)
            .await
            .map(|(_, logged_in)| logged_in)
    }

    /// Logs in afresh (ignoring any cached token) and returns how long it took.
    pub async fn relogin(&self, deadline: Instant) -> Result<Duration, UpstreamError> {
        let mut guard = lock_by(&self.credential, deadline, &self.base).await?;
        *guard = None;
        let started = Instant::now();
        *guard = Some(self.login(deadline).await?);
        Ok(started.elapsed())
    }

    /// Sends `request`, re-logging in once on a 401 and retrying safe reads on transient errors.
    /// Non-2xx answers other than 401 are returned for the caller to interpret.
    pub async fn send(&self, request: &Request, deadline: Instant) -> Result<Reply, UpstreamError> {
        let url = format!("{}{}", self.base, request.path);
        let mut relogged = false;
        let mut retries = 0;
        loop {
            let (credential, _) = self.credential(deadline).await?;
            let outcome = self.send_once(request, &url, &credential, deadline).await;
            match outcome {
                Ok(reply) if reply.status == 401 => {
                    if relogged {
                        return Err(UpstreamError::Auth {
                            detail: format!(
                                "still unauthorised after logging in again ({})",
                                reply.error_detail()
                            ),
                        });
                    }
                    relogged = true;
                    self.forget(&credential, deadline).await?;
                }
                Ok(reply)
                    if request.idempotent
                        && is_retryable_status(reply.status)
                        && retries < MAX_READ_RETRIES =>
                {
                    retries += 1;
                    pause_before_retry(retries, deadline).await;
                }
                Err(e) if request.idempotent && e.is_transient() && retries < MAX_READ_RETRIES => {
                    retries += 1;
                    pause_before_retry(retries, deadline).await;
                }
                other => return other,
            }
            if Instant::now() >= deadline {
                return Err(timeout(&url));
            }
        }
    }

    async fn send_once(
        &self,
        request: &Request,
        url: &str,
        credential: &Credential,
        deadline: Instant,
    ) -> Result<Reply, UpstreamError> {
        let _slot = if request.long_running {
            None
        } else {
            Some(
                tokio::time::timeout_at(deadline.into(), self.slot.acquire())
                    .await
                    .map_err(|_| timeout(url))?
                    .map_err(|_| UpstreamError::Unreachable {
                        url: url.to_owned(),
                        detail: "connection closed".into(),
                    })?,
            )
        };
        let mut builder = self.client()?.request(request.method.clone(), url);
        if self.kind == ServerKind::Backrest {
            builder = backrest_auth::connect_headers(builder);
        }
        if let Credential::Bearer(token) = credential {
            builder = builder.bearer_auth(token.secret.expose_secret());
        }
        if let Some((content_type, bytes)) = &request.raw_body {
            builder = builder
                .header(reqwest::header::CONTENT_TYPE, *content_type)
                .body(bytes.clone());
        } else if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        http::send(builder, url, remaining(deadline)).await
    }

    /// The cached credential, or a fresh one from a login made under the lock.
    /// The cached credential, or a fresh one from a login made under the lock; the flag says
    /// whether that login happened.
    async fn credential(&self, deadline: Instant) -> Result<(Credential, bool), UpstreamError> {
        let mut guard = lock_by(&self.credential, deadline, &self.base).await?;
        match guard.as_ref() {
            Some(Credential::Bearer(t)) if t.needs_refresh(SystemTime::now()) => {}
            Some(c) => return Ok((c.clone(), false)),
            None => {}
        }
        let fresh = self.login(deadline).await?;
        *guard = Some(fresh.clone());
        Ok((fresh, true))
    }

    /// Drops `used` if it is still the cached credential (another caller may have renewed it).
    async fn forget(&self, used: &Credential, deadline: Instant) -> Result<(), UpstreamError> {
        let mut guard = lock_by(&self.credential, deadline, &self.base).await?;
        let same = match (guard.as_ref(), used) {
            (Some(Credential::Bearer(a)), Credential::Bearer(b)) => {
                a.secret.expose_secret() == b.secret.expose_secret()
            }
            _ => true,
        };
        if same {
            *guard = None;
        }
        Ok(())
    }

    async fn login(&self, deadline: Instant) -> Result<Credential, UpstreamError> {
        let budget = remaining(deadline);
        if self.kind == ServerKind::Backrest && self.username.is_empty() {
            return Ok(Credential::Open);
        }
        let password = self.password().await?;
        let empty = SecretString::from(String::new());
        let password = password.as_ref().unwrap_or(&empty);
        let client = self.client()?;
        let login = async {
            match self.kind {
                ServerKind::Novabackup => {
                    nova_auth::authenticate(client, &self.base, &self.username, password, budget)
                        .await
                }
                ServerKind::Backrest => {
                    backrest_auth::login(client, &self.base, &self.username, password, budget).await
                }
            }
        };
        let token = tokio::time::timeout_at(deadline.into(), login)
            .await
            .map_err(|_| timeout(&self.base))??;
        Ok(Credential::Bearer(token))
    }

    async fn password(&self) -> Result<Option<SecretString>, UpstreamError> {
        self.password
            .get_or_try_init(|| async {
                match &self.secret {
                    SecretSource::Known(p) => Ok(p.clone()),
                    SecretSource::Store(store, entry) => {
                        store
                            .secret(entry)
                            .await
                            .map_err(|e| UpstreamError::SavedSecret {
                                detail: e.to_string(),
                            })
                    }
                }
            })
            .await
            .cloned()
    }
}

fn is_retryable_status(status: u16) -> bool {
    status == 429 || status >= 500
}

/// Jittered exponential pause (100 ms, 200 ms, ...), never past the deadline.
async fn pause_before_retry(attempt: u32, deadline: Instant) {
    let base = Duration::from_millis(100 * 2u64.pow(attempt - 1));
    let jitter = Duration::from_millis(rand::rng().random_range(0..=base.as_millis() as u64 / 2));
    let until = (Instant::now() + base + jitter).min(deadline);
    tokio::time::sleep_until(until.into()).await;
}

async fn lock_by<'a, T>(
    mutex: &'a Mutex<T>,
    deadline: Instant,
    url: &str,
) -> Result<tokio::sync::MutexGuard<'a, T>, UpstreamError> {
    tokio::time::timeout_at(deadline.into(), mutex.lock())
        .await
        .map_err(|_| timeout(url))
}

fn remaining(deadline: Instant) -> Duration {
    deadline.saturating_duration_since(Instant::now())
}

fn timeout(url: &str) -> UpstreamError {
    UpstreamError::Timeout {
        url: url.to_owned(),
        after: None,
    }
}
