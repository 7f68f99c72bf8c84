//! JWTs issued by one instance, and the registry that makes them valid there only.
//!
//! A token is a real three-part JWT (header, payload with integer `exp`, random signature),
//! base64url without padding. The server does not verify signatures: it remembers what it
//! issued, so a token from another instance is simply unknown.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use rand::Rng;
use serde_json::json;

/// Why a bearer token was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TokenError {
    #[error("no bearer token")]
    Missing,
    #[error("token not issued by this server")]
    Unknown,
    #[error("token expired")]
    Expired,
    #[error("token revoked")]
    Revoked,
}

#[derive(Debug)]
struct Issued {
    user: String,
    expires: i64,
    revoked: bool,
}

/// The tokens one instance has issued.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    issued: Mutex<HashMap<String, Issued>>,
}

impl TokenStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Issued>> {
        self.issued.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Issue a token for `user` valid for `ttl` seconds; `with_exp` puts `exp` in the payload.
    pub fn issue(&self, user: &str, ttl: u64, with_exp: bool) -> String {
        let now = Utc::now().timestamp();
        let expires = now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX));
        let mut rng = rand::rng();
        let mut payload = json!({
            "sub": user, "unique_name": user, "nbf": now, "iat": now,
            "jti": format!("{:032x}", rng.random::<u128>()),
        });
        if with_exp {
            payload["exp"] = json!(expires);
        }
        let signature: [u8; 32] = rng.random();
        let token = [
            URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(payload.to_string()),
            URL_SAFE_NO_PAD.encode(signature),
        ]
        .join(".");
        let mut issued = self.lock();
        issued.retain(|_, t| t.expires > now - 3_600);
        issued.insert(
            token.clone(),
            Issued {
                user: user.to_owned(),
                expires,
                revoked: false,
            },
        );
        token
    }

    /// The user a valid token was issued to.
    pub fn check(&self, token: &str) -> Result<String, TokenError> {
        let issued = self.lock();
        let t = issued.get(token).ok_or(TokenError::Unknown)?;
        if t.revoked {
            Err(TokenError::Revoked)
        } else if Utc::now().timestamp() >= t.expires {
            Err(TokenError::Expired)
        } else {
            Ok(t.user.clone())
        }
    }

    /// Make a token invalid from now on.
    pub fn revoke(&self, token: &str) {
        if let Some(t) = self.lock().get_mut(token) {
            t.revoked = true;
        }
    }
}

/// The bearer token of an `Authorization` header value (scheme matched case-insensitively).
pub(crate) fn bearer(header: Option<&str>) -> Result<&str, TokenError> {
    let (scheme, token) = header
        .and_then(|h| h.trim().split_once(' '))
        .ok_or(TokenError::Missing)?;
    let token = token.trim();
    if scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() {
        Ok(token)
    } else {
        Err(TokenError::Missing)
    }
}
