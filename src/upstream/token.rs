//! A bearer token and when to replace it.

use std::time::{Duration, SystemTime};

use secrecy::SecretString;

/// Log in again when less than this much validity remains.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(30);

/// A bearer token obtained by logging in.
#[derive(Clone)]
pub struct Token {
    pub secret: SecretString,
    pub expires_at: SystemTime,
}

impl Token {
    /// A token from a login answer; `fallback` is its lifetime when `exp` cannot be read.
    pub fn from_jwt(raw: String, fallback: Duration) -> Self {
        let expires_at = super::jwt::expiry(&raw).unwrap_or_else(|| SystemTime::now() + fallback);
        crate::secrets::register(crate::secrets::SecretKind::Token, &raw);
        Token {
            secret: SecretString::from(raw),
            expires_at,
        }
    }

    /// True when the token is expired or about to be.
    pub fn needs_refresh(&self, now: SystemTime) -> bool {
        now + REFRESH_MARGIN >= self.expires_at
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
