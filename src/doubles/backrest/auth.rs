//! Backrest's authentication: the HTTP filter in front of `/v1.Backrest/*` (plain-text 401s),
//! HTTP Basic with a simulated bcrypt cost, and Login issuing 7-day HS256-style JWTs.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::{Value, json};

use super::errors::{Code, RpcError};
use super::wire;

/// Whether the instance requires credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum AuthMode {
    /// `auth.disabled = true`: every request is accepted.
    #[default]
    Disabled,
    /// Users as `(name, password)`.
    Enabled {
        /// Configured users.
        users: Vec<(String, String)>,
    },
}

/// Token lifetime Backrest uses.
const TOKEN_TTL_SECS: i64 = 7 * 24 * 3600;

/// Authentication state of one double.
#[derive(Debug)]
pub struct Authenticator {
    mode: AuthMode,
    basic_cost: Duration,
    /// Real bcrypt hashes per user, when the double runs bcrypt like Backrest does.
    hashes: Option<Vec<(String, String)>>,
    issued: Mutex<HashSet<String>>,
}

/// The filter's plain-text 401, as Go's `http.Error` writes it.
pub fn unauthorized(reason: &str) -> Response {
    (
        StatusCode::UNAUTHORIZED,
        [
            ("content-type", "text/plain; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
        ],
        format!("Unauthorized ({reason})\n"),
    )
        .into_response()
}

impl Authenticator {
    /// Authentication for a mode; `basic_cost` is paid per password check.
    pub fn new(mode: AuthMode, basic_cost: Duration) -> Self {
        Authenticator {
            mode,
            basic_cost,
            hashes: None,
            issued: Mutex::new(HashSet::new()),
        }
    }

    /// Checks passwords with real bcrypt at `cost` (Backrest uses Go's default, 10) instead of
    /// a simulated delay, so the cost of HTTP Basic is real CPU work.
    pub fn with_bcrypt(mut self, cost: u32) -> Self {
        let hashes = self
            .users()
            .iter()
            .filter_map(|(u, p)| Some((u.clone(), bcrypt::hash(p, cost).ok()?)))
            .collect();
        self.hashes = Some(hashes);
        self
    }

    /// The config's `auth` section (hashes masked like Backrest does).
    pub fn config_section(&self) -> Value {
        match &self.mode {
            AuthMode::Disabled => json!({"disabled": true}),
            AuthMode::Enabled { users } => json!({"users": users
                .iter()
                .map(|(name, _)| json!({"name": name, "passwordBcrypt": "********"}))
                .collect::<Vec<_>>()}),
        }
    }

    fn users(&self) -> &[(String, String)] {
        match &self.mode {
            AuthMode::Disabled => &[],
            AuthMode::Enabled { users } => users,
        }
    }

    /// The bcrypt comparison, real or simulated: pays the cost when the user exists.
    async fn check_password(&self, user: &str, password: &str) -> bool {
        if let Some(hashes) = &self.hashes {
            let Some((_, hash)) = hashes.iter().find(|(u, _)| u == user) else {
                return false;
            };
            let (password, hash) = (password.to_owned(), hash.clone());
            return tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash))
                .await
                .is_ok_and(|r| r.unwrap_or(false));
        }
        let Some((_, expected)) = self.users().iter().find(|(u, _)| u == user) else {
            return false;
        };
        if !self.basic_cost.is_zero() {
            tokio::time::sleep(self.basic_cost).await;
        }
        expected == password
    }

    /// The HTTP filter; `Err` is the plain-text 401 to send instead of calling the RPC.
    pub async fn filter(&self, header: Option<&str>) -> Result<(), Response> {
        if self.mode == AuthMode::Disabled {
            return Ok(());
        }
        let header = header.unwrap_or_default();
        if let Some((user, password)) = header.strip_prefix("Basic ").and_then(decode_basic)
            && self.check_password(&user, &password).await
        {
            return Ok(());
        }
        let Some(token) = header.strip_prefix("Bearer ") else {
            return Err(unauthorized("No Authorization Header"));
        };
        if self.token_user(token).is_some() {
            Ok(())
        } else {
            Err(unauthorized("Bad Token"))
        }
    }

    /// The user a token authenticates: issued here, unexpired, user still configured.
    fn token_user(&self, token: &str) -> Option<String> {
        if !self
            .issued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(token)
        {
            return None;
        }
        let payload = token.split('.').nth(1)?;
        let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()?;
        let sub = claims.get("sub")?.as_str()?;
        let exp = claims.get("exp")?.as_i64()?;
        let known = self.users().iter().any(|(u, _)| u == sub);
        (known && exp > chrono::Utc::now().timestamp()).then(|| sub.to_string())
    }

    /// Issues a token for `sub` expiring at `exp` (unix seconds).
    pub fn mint(&self, sub: &str, exp: i64) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let payload = URL_SAFE_NO_PAD.encode(json!({"exp": exp, "sub": sub}).to_string());
        let sig = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let token = format!("{header}.{payload}.{sig}");
        self.issued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone());
        token
    }

    /// `Login`: a token for valid credentials; the same 401 for everything else.
    pub async fn login(&self, body: &Value) -> Result<Value, RpcError> {
        let user = wire::string(body, "username")?;
        let password = wire::string(body, "password")?;
        if !self.check_password(&user, &password).await {
            return Err(RpcError::new(Code::Unauthenticated, "invalid password"));
        }
        let exp = chrono::Utc::now().timestamp() + TOKEN_TTL_SECS;
        Ok(json!({"token": self.mint(&user, exp)}))
    }
}

/// `base64(user:password)` → parts.
fn decode_basic(encoded: &str) -> Option<(String, String)> {
    let raw = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (user, password) = raw.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}
