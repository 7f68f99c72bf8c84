//! HTTP plumbing shared by both upstream kinds: one pooled client per server, deadlines, and the
//! translation of transport failures and error bodies into [`UpstreamError`]s.

use std::error::Error as _;
use std::sync::Once;
use std::time::{Duration, Instant};

use reqwest::header::CONTENT_TYPE;

use super::UpstreamError;
use super::budget::Budget;
use super::tls::{self, PinMismatch, Trust};

/// Sent on every request so server operators can tell our traffic apart.
pub const USER_AGENT: &str = concat!("backup-mcp/", env!("CARGO_PKG_VERSION"));

/// How long establishing a TCP+TLS connection may take, inside any call deadline.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Installs rustls' ring provider once per process (reqwest is built without a default one).
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// The client for a server. Servers that trust only the platform roots share one client:
/// reqwest keys its connection pool by host, so each server still gets its own pooled
/// connections, and start-up with a thousand saved servers does not load the platform's trust
/// store a thousand times.
pub fn build_client(trust: Trust<'_>) -> Result<reqwest::Client, UpstreamError> {
    static SHARED: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    if !trust.is_default() {
        return new_client(trust);
    }
    if let Some(client) = SHARED.get() {
        return Ok(client.clone());
    }
    let client = new_client(trust)?;
    Ok(SHARED.get_or_init(|| client).clone())
}

/// A new pooled client: platform roots (honouring `SSL_CERT_FILE`), or our pinning verifier when
/// the server has its own CA or pin (see [`super::tls`]).
fn new_client(trust: Trust<'_>) -> Result<reqwest::Client, UpstreamError> {
    install_crypto_provider();
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
        .pool_idle_timeout(Duration::from_secs(90))
        // A redirect is answered, never followed: following one would send a login's password,
        // or a bearer token, to whatever host the redirect names.
        .redirect(reqwest::redirect::Policy::none());
    if !trust.is_default() {
        let provider = rustls::crypto::CryptoProvider::get_default()
            .cloned()
            .unwrap_or_else(|| std::sync::Arc::new(rustls::crypto::ring::default_provider()));
        let config = tls::client_config(provider, trust).map_err(|e| UpstreamError::Tls {
            url: "(saved TLS trust)".into(),
            detail: e.to_string(),
        })?;
        builder = builder.tls_backend_preconfigured(config);
    }
    builder.build().map_err(|e| UpstreamError::Tls {
        url: "(client set-up)".into(),
        detail: innermost(&e),
    })
}

/// A whole HTTP answer, read within the deadline.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: bytes::Bytes,
}

impl Reply {
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    pub fn is_json(&self) -> bool {
        self.content_type.contains("json")
    }

    /// HTML answers come from web servers and proxies, never from the APIs we speak.
    pub fn is_html(&self) -> bool {
        self.content_type.contains("html") || self.text().trim_start().starts_with('<')
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The most useful error text: ProblemDetails `detail`/`title`, Connect `message`, the start of
    /// a text body, or the reason phrase.
    pub fn error_detail(&self) -> String {
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(&self.body) {
            for key in ["detail", "message", "title"] {
                if let Some(s) = v
                    .get(key)
                    .and_then(|s| s.as_str())
                    .filter(|s| !s.is_empty())
                {
                    return excerpt(s);
                }
            }
        }
        let text = self.text();
        let text = text.trim();
        if !text.is_empty() && !self.is_html() {
            return excerpt(text);
        }
        reqwest::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("no reason given")
            .to_owned()
    }

    /// The generic mapping of a non-2xx answer (callers handle the statuses they expect first).
    pub fn into_status_error(self) -> UpstreamError {
        let detail = self.error_detail();
        match self.status {
            401 | 403 => UpstreamError::Auth { detail },
            status => UpstreamError::Status { status, detail },
        }
    }
}

/// At most 200 characters of upstream text, on one line, without any secret it echoed.
pub fn excerpt(text: &str) -> String {
    let one_line: String = crate::secrets::scrub(text)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let mut cut: String = one_line.chars().take(200).collect();
    if one_line.chars().count() > 200 {
        cut.push('…');
    }
    cut
}

/// Sends `request` and reads the whole body, all within `timeout`.
pub async fn send(
    request: reqwest::RequestBuilder,
    url: &str,
    timeout: Duration,
) -> Result<Reply, UpstreamError> {
    let deadline = Instant::now() + timeout;
    let timed_out = || UpstreamError::Timeout {
        url: url.to_owned(),
        after: Some(timeout),
    };
    let response = tokio::time::timeout_at(deadline.into(), request.send())
        .await
        .map_err(|_| timed_out())?
        .map_err(|e| classify(e, url))?;
    let status = response.status().as_u16();
    if response.status().is_redirection() {
        return Err(redirected(&response, url));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = read_capped(response, url, deadline)
        .await
        .map_err(|e| match e {
            UpstreamError::Timeout { after: None, .. } => timed_out(),
            other => other,
        })?;
    Ok(Reply {
        status,
        content_type,
        body,
    })
}

/// A redirect answer as the failure of the server that sent it.
fn redirected(response: &reqwest::Response, url: &str) -> UpstreamError {
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(excerpt)
        .unwrap_or_else(|| "an unnamed location".to_owned());
    UpstreamError::Redirected {
        url: url.to_owned(),
        status: response.status().as_u16(),
        location,
    }
}

/// The largest answer read from a server; a bigger one is a bad response, not an out-of-memory.
pub const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The first share of the budget an answer of unknown length waits for: small answers wait
/// their turn rather than fail while big ones hold the budget.
const FIRST_SHARE: usize = 64 * 1024;

/// Reads the body by `deadline`, refusing to hold more than [`MAX_BODY_BYTES`], with the memory
/// paid for from the process's [`Budget`] first. The returned bytes keep their share until they
/// are dropped.
async fn read_capped(
    mut response: reqwest::Response,
    url: &str,
    deadline: Instant,
) -> Result<bytes::Bytes, UpstreamError> {
    let too_big = || UpstreamError::BadResponse {
        detail: format!(
            "the answer is larger than {} MiB; narrow the query (for example $top or $select)",
            MAX_BODY_BYTES / 1024 / 1024
        ),
    };
    let budget = Budget::global();
    let declared = response.content_length();
    let over = |why| UpstreamError::OverBudget {
        size: declared,
        budget_mib: budget.total_mib(),
        why,
    };
    if declared.is_some_and(|n| n > MAX_BODY_BYTES as u64) {
        return Err(too_big());
    }
    // Waiting happens only here, while holding nothing, so readers cannot deadlock each other.
    let first = declared.map_or(FIRST_SHARE, |n| n as usize);
    let mut share = budget.reserve(first, deadline).await.map_err(over)?;
    let mut body = bytes::BytesMut::with_capacity(declared.unwrap_or(0) as usize);
    let read = async {
        while let Some(chunk) = response.chunk().await.map_err(|e| classify(e, url))? {
            let len = body.len() + chunk.len();
            if len > MAX_BODY_BYTES {
                return Err(too_big());
            }
            if len > body.capacity() {
                // Grow by doubling, as the buffer would, but pay for the capacity first.
                let want = (body.capacity() * 2)
                    .max(len)
                    .clamp(FIRST_SHARE, MAX_BODY_BYTES);
                share.grow_to(want).map_err(over)?;
                body.reserve(want - body.len());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(())
    };
    tokio::time::timeout_at(deadline.into(), read)
        .await
        .map_err(|_| UpstreamError::Timeout {
            url: url.to_owned(),
            after: None,
        })??;
    Ok(share.into_bytes(body))
}

/// Turns a transport failure into the error a person can act on.
pub fn classify(error: reqwest::Error, url: &str) -> UpstreamError {
    let url = url.to_owned();
    let detail = innermost(&error);
    if error.is_timeout() {
        return UpstreamError::Timeout { url, after: None };
    }
    if error.is_builder() {
        return UpstreamError::InvalidUrl { url, detail };
    }
    match rustls_error(&error) {
        Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) => {
            if let Some(m) = other.0.downcast_ref::<PinMismatch>() {
                return UpstreamError::PinMismatch {
                    url,
                    presented: m.presented.to_string(),
                    pinned: m.pinned.to_string(),
                };
            }
        }
        // The first bytes back were not a TLS record: a plain-HTTP server answering ("HTTP/1.1
        // 400") a TLS hello.
        Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) => {
            return UpstreamError::NotTls { url };
        }
        _ => {}
    }
    if is_tls_failure(&error) {
        let detail = rustls_error(&error)
            .and_then(certificate_problem)
            .map_or(detail, str::to_owned);
        return UpstreamError::Tls { url, detail };
    }
    if error.is_decode() || error.is_body() {
        return UpstreamError::BadResponse { detail };
    }
    UpstreamError::Unreachable { url, detail }
}

fn is_tls_failure(error: &reqwest::Error) -> bool {
    if rustls_error(error).is_some() {
        return true;
    }
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(err) = source {
        let text = err.to_string().to_ascii_lowercase();
        if text.contains("certificate") || text.contains("tls") || text.contains("handshake") {
            return true;
        }
        source = err.source();
    }
    false
}

/// What is wrong with the server's certificate, in words rather than rustls' enum names.
fn certificate_problem(error: &rustls::Error) -> Option<&'static str> {
    use rustls::CertificateError as C;
    let rustls::Error::InvalidCertificate(problem) = error else {
        return None;
    };
    Some(match problem {
        C::UnknownIssuer => {
            "the server's certificate is signed by a CA this machine does not trust"
        }
        C::NotValidForName | C::NotValidForNameContext { .. } => {
            "the server's certificate is not valid for this host name"
        }
        C::Expired | C::ExpiredContext { .. } => "the server's certificate has expired",
        C::BadSignature => {
            "the server did not prove it holds the key of the certificate it presented (the connection may be intercepted)"
        }
        // webpki's error, seen through rustls' opaque wrapper.
        C::Other(other) if other.to_string().contains("CaUsedAsEndEntity") => {
            "the server presents a CA certificate as its own (a self-signed certificate as `openssl req -x509` makes one)"
        }
        _ => return None,
    })
}

/// The rustls error behind a transport failure, if any.
fn rustls_error(error: &reqwest::Error) -> Option<&rustls::Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = error.source();
    while let Some(err) = source {
        if let Some(found) = as_rustls_error(err) {
            return Some(found);
        }
        source = err.source();
    }
    None
}

/// rustls errors reach us wrapped in (possibly nested) `io::Error`s, whose `source()` skips them.
fn as_rustls_error<'e>(err: &'e (dyn std::error::Error + 'static)) -> Option<&'e rustls::Error> {
    if let Some(found) = err.downcast_ref::<rustls::Error>() {
        return Some(found);
    }
    err.downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| as_rustls_error(inner))
}

/// The deepest cause's message: "Connection refused (os error 111)" beats "error sending request".
fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut deepest = error;
    while let Some(next) = deepest.source() {
        deepest = next;
    }
    excerpt(&deepest.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, content_type: &str, body: &str) -> Reply {
        Reply {
            status,
            content_type: content_type.into(),
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn error_detail_prefers_problem_details_then_connect_then_text() {
        let pd = reply(
            401,
            "application/problem+json",
            r#"{"title":"Unauthorized","detail":"Invalid user name or password."}"#,
        );
        assert_eq!(pd.error_detail(), "Invalid user name or password.");
        let connect = reply(
            404,
            "application/json",
            r#"{"code":"not_found","message":"repo not found"}"#,
        );
        assert_eq!(connect.error_detail(), "repo not found");
        let text = reply(401, "text/plain", "Unauthorized (Bad Token)\n");
        assert_eq!(text.error_detail(), "Unauthorized (Bad Token)");
        let html = reply(502, "text/html", "<html>bad gateway</html>");
        assert_eq!(html.error_detail(), "Bad Gateway");
        let long = reply(500, "text/plain", &"x".repeat(500));
        assert_eq!(long.error_detail().chars().count(), 201);
    }

    #[test]
    fn status_errors_map_to_reasons() {
        use crate::upstream::FailureReason;
        assert_eq!(
            reply(401, "", "").into_status_error().reason(),
            FailureReason::Auth
        );
        let e = reply(503, "", "").into_status_error();
        assert_eq!(e.reason(), FailureReason::UpstreamError);
        assert!(e.is_transient());
        assert!(!reply(400, "", "").into_status_error().is_transient());
    }
}
