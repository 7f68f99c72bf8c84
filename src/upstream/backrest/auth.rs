//! Backrest authentication: `Login` for a Bearer token, or no credentials when auth is disabled.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::upstream::UpstreamError;
use crate::upstream::http::{self, Reply};
use crate::upstream::token::Token;

/// Backrest tokens last 7 days; used only when `exp` cannot be read.
const FALLBACK_LIFETIME: Duration = Duration::from_secs(3600);

const PRODUCT: &str = "Backrest server";

/// Logs in and returns the bearer token.
pub async fn login(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &SecretString,
    timeout: Duration,
) -> Result<Token, UpstreamError> {
    let url = format!("{base}/v1.Authentication/Login");
    // Known before it leaves, so an upstream that echoes it cannot show it anywhere.
    crate::secrets::register(
        crate::secrets::SecretKind::Password,
        password.expose_secret(),
    );
    let body = serde_json::json!({"username": username, "password": password.expose_secret()});
    let reply = http::send(connect_post(client, &url).json(&body), &url, timeout).await?;
    if !reply.is_success() {
        return Err(match reply.status {
            401 | 403 if reply.is_json() => UpstreamError::Auth {
                detail: reply.error_detail(),
            },
            _ => not_backrest_or_status(reply, &url),
        });
    }
    let token = serde_json::from_slice::<serde_json::Value>(&reply.body)
        .ok()
        .and_then(|v| v.get("token")?.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty())
        .ok_or_else(|| wrong_kind(&url, "the login answer has no token".into()))?;
    Ok(Token::from_jwt(token, FALLBACK_LIFETIME))
}

/// Whether the server accepts requests without credentials (`GetConfig {}` answers 200).
pub async fn auth_disabled(
    client: &reqwest::Client,
    base: &str,
    timeout: Duration,
) -> Result<bool, UpstreamError> {
    let url = format!("{base}/v1.Backrest/GetConfig");
    let reply = http::send(
        connect_post(client, &url).json(&serde_json::json!({})),
        &url,
        timeout,
    )
    .await?;
    match reply.status {
        200 if reply.is_json() => Ok(true),
        401 if is_backrest_unauthorized(&reply) => Ok(false),
        _ => Err(not_backrest_or_status(reply, &url)),
    }
}

/// The plain-text 401 Backrest's auth filter sends before the RPC layer.
pub fn is_backrest_unauthorized(reply: &Reply) -> bool {
    reply.status == 401 && reply.text().starts_with("Unauthorized (")
}

/// A Connect unary POST with the headers Backrest expects.
pub fn connect_post(client: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
    connect_headers(client.post(url))
}

/// Adds the Connect protocol header to a request.
pub fn connect_headers(builder: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    builder.header("Connect-Protocol-Version", "1")
}

fn wrong_kind(url: &str, detail: String) -> UpstreamError {
    UpstreamError::WrongKind {
        url: url.to_owned(),
        product: PRODUCT,
        detail,
    }
}

/// 404/405/415 and HTML mean "this is not Backrest"; anything else is reported by status.
fn not_backrest_or_status(reply: Reply, url: &str) -> UpstreamError {
    match reply.status {
        404 | 405 | 415 => wrong_kind(
            url,
            format!(
                "it answered HTTP {} ({}). Check the URL: it should be the address of Backrest's web UI",
                reply.status,
                reply.error_detail()
            ),
        ),
        status if reply.is_html() => {
            wrong_kind(url, format!("it answered HTTP {status} with an HTML page"))
        }
        _ => reply.into_status_error(),
    }
}
