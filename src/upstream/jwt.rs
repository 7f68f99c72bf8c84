//! Reading a JWT's `exp` claim without verifying it: both kinds of server issue JWTs, and the
//! gateway only needs to know when to log in again.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;

/// When the token expires, from its payload's `exp` (seconds since the epoch).
pub fn expiry(token: &str) -> Option<SystemTime> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_u64()?;
    // An absurd `exp` (beyond what SystemTime can hold) counts as unreadable.
    UNIX_EPOCH.checked_add(Duration::from_secs(exp))
}

/// True when `token` has the three dot-separated parts of a compact JWT.
pub fn looks_like_jwt(token: &str) -> bool {
    let parts: Vec<&str> = token.split('.').collect();
    parts.len() == 3
        && parts[..2].iter().all(|p| !p.is_empty())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'='))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_exp_from_the_contract_sample() {
        let t = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJhbGljZSIsInVuaXF1ZV9uYW1lIjoiYWxpY2UiLCJuYmYiOjE3OTUzMTA2NjIsImlhdCI6MTc5NTMxMDY2MiwiZXhwIjoxNzk1MzE0MjYyfQ.c2lnbmF0dXJl";
        assert!(looks_like_jwt(t));
        assert_eq!(
            expiry(t),
            Some(UNIX_EPOCH + Duration::from_secs(1_795_314_262))
        );
    }

    #[test]
    fn garbage_has_no_expiry() {
        assert_eq!(expiry("nope"), None);
        assert_eq!(expiry("a.!!!.c"), None);
        let huge = format!(
            "h.{}.s",
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(format!(r#"{{"exp":{}}}"#, u64::MAX))
        );
        assert_eq!(expiry(&huge), None);
        assert!(!looks_like_jwt("<html>"));
        assert!(!looks_like_jwt("a.b"));
    }
}
