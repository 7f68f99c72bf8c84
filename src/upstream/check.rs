//! Credential checks used by `login` and `import-novabackup` before anything is saved, and kind
//! detection for a `login` without `--kind`. (`test`, `doctor` and `server_health` check saved
//! servers through `fleet::probe`.)

use std::time::{Duration, Instant};

use secrecy::SecretString;

use super::UpstreamError;
use super::backrest::auth as backrest;
use super::http;
use super::novabackup::auth as novabackup;
use super::token::Token;
use crate::store::ServerKind;

/// What a check needs to know about a server.
pub struct Target<'a> {
    pub kind: ServerKind,
    pub base: &'a str,
    pub username: &'a str,
    pub password: Option<&'a SecretString>,
}

/// Logs in (or, for a Backrest without auth, checks that none is needed). Returns the latency.
pub async fn verify(
    client: &reqwest::Client,
    target: &Target<'_>,
    timeout: Duration,
) -> Result<Duration, UpstreamError> {
    let started = Instant::now();
    login(client, target, timeout).await?;
    Ok(started.elapsed())
}

/// The bearer token, or `None` for a Backrest whose authentication is disabled.
async fn login(
    client: &reqwest::Client,
    target: &Target<'_>,
    timeout: Duration,
) -> Result<Option<Token>, UpstreamError> {
    let empty = SecretString::from(String::new());
    let password = target.password.unwrap_or(&empty);
    match target.kind {
        ServerKind::Novabackup => {
            novabackup::authenticate(client, target.base, target.username, password, timeout)
                .await
                .map(Some)
        }
        ServerKind::Backrest => login_backrest(client, target, password, timeout).await,
    }
}

async fn login_backrest(
    client: &reqwest::Client,
    target: &Target<'_>,
    password: &SecretString,
    timeout: Duration,
) -> Result<Option<Token>, UpstreamError> {
    if target.username.is_empty() {
        return if backrest::auth_disabled(client, target.base, timeout).await? {
            Ok(None)
        } else {
            Err(UpstreamError::Auth {
                detail: "this Backrest has authentication enabled: give a username and password"
                    .into(),
            })
        };
    }
    match backrest::login(client, target.base, target.username, password, timeout).await {
        Ok(token) => Ok(Some(token)),
        // Backrest answers Login with 401 also when auth is disabled: say so.
        Err(UpstreamError::Auth { detail }) => {
            if backrest::auth_disabled(client, target.base, timeout)
                .await
                .unwrap_or(false)
            {
                Err(UpstreamError::Auth {
                    detail:
                        "authentication is disabled on this Backrest: log in with an empty username"
                            .into(),
                })
            } else {
                Err(UpstreamError::Auth { detail })
            }
        }
        Err(other) => Err(other),
    }
}

/// Why the kind of a server could not be told.
#[derive(Debug, thiserror::Error)]
pub enum DetectError {
    #[error("{0}")]
    Upstream(#[from] UpstreamError),
    #[error(
        "{0} answers neither like a Backrest server nor like a NovaBACKUP Management Server; check the URL or pass --kind"
    )]
    Neither(String),
    #[error("{0} answers like both a Backrest server and a Management Server; pass --kind")]
    Both(String),
}

/// Probes both APIs without credentials and says which one answers.
pub async fn detect_kind(
    client: &reqwest::Client,
    base: &str,
    timeout: Duration,
) -> Result<ServerKind, DetectError> {
    let (backrest, nova) = tokio::join!(
        probe_backrest(client, base, timeout),
        probe_novabackup(client, base, timeout)
    );
    match (backrest, nova) {
        (Ok(true), Ok(false)) => Ok(ServerKind::Backrest),
        (Ok(false), Ok(true)) => Ok(ServerKind::Novabackup),
        (Ok(true), Ok(true)) => Err(DetectError::Both(base.to_owned())),
        (Ok(false), Ok(false)) => Err(DetectError::Neither(base.to_owned())),
        // A transport failure (unreachable, TLS, timeout) says more than "neither".
        (Err(e), _) | (_, Err(e)) => Err(e.into()),
    }
}

async fn probe_backrest(
    client: &reqwest::Client,
    base: &str,
    timeout: Duration,
) -> Result<bool, UpstreamError> {
    match backrest::auth_disabled(client, base, timeout).await {
        Ok(_) => Ok(true),
        Err(UpstreamError::WrongKind { .. } | UpstreamError::Status { .. }) => Ok(false),
        Err(UpstreamError::Auth { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// A Management Server answers an unauthenticated data call with 401 (never HTML).
async fn probe_novabackup(
    client: &reqwest::Client,
    base: &str,
    timeout: Duration,
) -> Result<bool, UpstreamError> {
    let url = format!("{base}/api/Agents?$top=0");
    let reply = http::send(client.get(&url), &url, timeout).await?;
    Ok(reply.status == 401 && !reply.is_html() && !backrest::is_backrest_unauthorized(&reply))
}
