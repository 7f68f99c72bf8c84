//! `POST {base}/api/Account/Authenticate`: the whole 2xx body is the raw JWT.

use std::time::Duration;

use reqwest::header::ACCEPT;
use secrecy::{ExposeSecret, SecretString};

use crate::upstream::UpstreamError;
use crate::upstream::http::{self, Reply};
use crate::upstream::jwt::looks_like_jwt;
use crate::upstream::token::Token;

/// Assumed lifetime of a token whose `exp` cannot be read.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(300);

const PRODUCT: &str = "NovaBACKUP Management Server";

/// Logs in and returns the bearer token.
pub async fn authenticate(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &SecretString,
    timeout: Duration,
) -> Result<Token, UpstreamError> {
    let url = format!("{base}/api/Account/Authenticate");
    // Known before it leaves, so an upstream that echoes it cannot show it anywhere.
    crate::secrets::register(
        crate::secrets::SecretKind::Password,
        password.expose_secret(),
    );
    let body = serde_json::json!({"UserName": username, "Password": password.expose_secret()});
    let request = client
        .post(&url)
        .header(ACCEPT, "text/plain, application/json")
        .json(&body);
    let reply = http::send(request, &url, timeout).await?;
    read_token(reply, &url)
}

fn read_token(reply: Reply, url: &str) -> Result<Token, UpstreamError> {
    let wrong_kind = |detail: String| UpstreamError::WrongKind {
        url: url.to_owned(),
        product: PRODUCT,
        detail,
    };
    if !reply.is_success() {
        return Err(match reply.status {
            400 | 401 | 403 if !reply.is_html() => UpstreamError::Auth {
                detail: reply.error_detail(),
            },
            404 | 405 => wrong_kind(format!(
                "it answered HTTP {} for the login endpoint. Check the URL, including the virtual directory (for example https://host/managementserver)",
                reply.status
            )),
            _ if reply.is_html() => wrong_kind(format!(
                "it answered HTTP {} with an HTML page",
                reply.status
            )),
            _ => reply.into_status_error(),
        });
    }
    if reply.is_html() {
        return Err(wrong_kind(
            "the login endpoint answered with an HTML page".into(),
        ));
    }
    let text = reply.text();
    let text = text.trim();
    // Tolerate a JSON-quoted token (a server that ignored `Accept: text/plain`).
    let raw = serde_json::from_str::<String>(text).unwrap_or_else(|_| text.to_owned());
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(UpstreamError::Auth {
            detail: "the server answered with an empty token".into(),
        });
    }
    if !looks_like_jwt(raw) {
        return Err(wrong_kind(
            "the login endpoint answered 2xx, but not with a token".into(),
        ));
    }
    Ok(Token::from_jwt(raw.to_owned(), FALLBACK_LIFETIME))
}
