//! Credential checks used by `login`, `test`, `import-novabackup` and `doctor`, and kind
//! detection for a `login` without `--kind`.

use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};

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

/// How long each step of [`verify_with_read`] took.
#[derive(Debug, Clone, Copy)]
pub struct ReadCheck {
    pub login: Duration,
    pub read: Duration,
}

/// Which step of [`verify_with_read`] failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadCheckError {
    #[error("login failed: {0}")]
    Login(UpstreamError),
    #[error("the login works, but a data read failed: {0}")]
    Read(UpstreamError),
}

impl ReadCheckError {
    pub fn upstream(&self) -> &UpstreamError {
        match self {
            ReadCheckError::Login(e) | ReadCheckError::Read(e) => e,
        }
    }
}

/// Logs in, then reads one small page of data (a group for a Management Server, the config for
/// a Backrest), as the MCP server's first call would. A server that accepts the login but whose
/// API fails is caught here and not by [`verify`].
pub async fn verify_with_read(
    client: &reqwest::Client,
    target: &Target<'_>,
    timeout: Duration,
) -> Result<ReadCheck, ReadCheckError> {
    let started = Instant::now();
    let token = login(client, target, timeout)
        .await
        .map_err(ReadCheckError::Login)?;
    let login_time = started.elapsed();
    let read_started = Instant::now();
    data_read(client, target, token.as_ref(), timeout)
        .await
        .map_err(ReadCheckError::Read)?;
    Ok(ReadCheck {
        login: login_time,
        read: read_started.elapsed(),
    })
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

async fn data_read(
    client: &reqwest::Client,
    target: &Target<'_>,
    token: Option<&Token>,
    timeout: Duration,
) -> Result<(), UpstreamError> {
    let (url, request) = match target.kind {
        ServerKind::Novabackup => {
            let url = format!("{}/api/Groups?$top=1&$select=GroupId", target.base);
            let request = client
                .get(&url)
                .header(reqwest::header::ACCEPT, "application/json");
            (url, request)
        }
        ServerKind::Backrest => {
            let url = format!("{}/v1.Backrest/GetConfig", target.base);
            let request = backrest::connect_post(client, &url).json(&serde_json::json!({}));
            (url, request)
        }
    };
    let request = match token {
        Some(token) => request.bearer_auth(token.secret.expose_secret()),
        None => request,
    };
    let reply = http::send(request, &url, timeout).await?;
    if !reply.is_success() {
        return Err(reply.into_status_error());
    }
    if serde_json::from_slice::<serde_json::Value>(&reply.body).is_err() {
        return Err(UpstreamError::BadResponse {
            detail: "the data read did not answer JSON".into(),
        });
    }
    Ok(())
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
