//! The HTTP front: one axum fallback handler that finds the instance by path prefix, applies
//! its faults, authenticates, and hands data routes to [`super::handlers`].

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::Response;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;

use super::dataset::{Dataset, Scope};
use super::faults::{FaultHandle, Faults};
use super::handlers::{self, ApiError, Ctx};
use super::http::{RawQuery, dropped_connection, empty, odata_json, percent_decode, problem, text};
use super::odata::ODataError;
use super::routes::{Route, RouteError};
use super::stats::Counters;
use super::token::{TokenError, TokenStore, bearer};

/// Largest request body accepted (Authenticate and the control endpoint).
const MAX_BODY: usize = 64 * 1024;

/// One fake Management Server.
pub(crate) struct Instance {
    pub prefix: String,
    pub users: Vec<(String, String)>,
    pub dataset: Arc<Dataset>,
    pub faults: FaultHandle,
    pub counters: Counters,
    pub tokens: TokenStore,
    pub test_mode: bool,
}

/// Everything the listener serves.
pub(crate) struct App {
    pub instances: Vec<Arc<Instance>>,
    /// `http://127.0.0.1:PORT`.
    pub origin: String,
    pub shutdown: CancellationToken,
}

impl App {
    /// The instance whose prefix starts this path, and the rest of the path.
    fn find<'p>(&self, path: &'p str) -> Option<(&Arc<Instance>, &'p str)> {
        self.instances
            .iter()
            .filter_map(|i| {
                let rest = path.strip_prefix(i.prefix.as_str())?;
                rest.starts_with('/').then_some((i, rest))
            })
            .max_by_key(|(i, _)| i.prefix.len())
    }

    /// Wait until the double shuts down (how hung requests end).
    async fn hang(&self) -> Response {
        self.shutdown.cancelled().await;
        empty(StatusCode::SERVICE_UNAVAILABLE)
    }
}

/// The single handler behind every path.
pub(crate) async fn dispatch(State(app): State<Arc<App>>, req: Request) -> Response {
    let Some(path) = percent_decode(req.uri().path(), false) else {
        return empty(StatusCode::BAD_REQUEST);
    };
    let Some((inst, rest)) = app.find(&path) else {
        return empty(StatusCode::NOT_FOUND);
    };
    if rest == "/_control/faults" {
        return control(inst, req).await;
    }
    if inst.faults.get().unreachable {
        return dropped_connection();
    }
    let route = match rest.strip_prefix("/api/").map(Route::parse) {
        Some(Ok(route)) => route,
        Some(Err(RouteError::BadKey(key))) => {
            return problem(
                StatusCode::BAD_REQUEST,
                &format!("The key '{key}' is not a valid integer."),
            );
        }
        _ => return empty(StatusCode::NOT_FOUND),
    };
    if req.method().as_str() != route.method() {
        let mut response = empty(StatusCode::METHOD_NOT_ALLOWED);
        let allow = HeaderValue::from_static(route.method());
        response.headers_mut().insert(header::ALLOW, allow);
        return response;
    }
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let scheme = authorization
        .as_deref()
        .and_then(|h| h.split_whitespace().next());
    inst.counters.record(route.label(), scheme);
    match route {
        Route::Authenticate => authenticate(&app, inst, req).await,
        _ => data(&app, inst, route, req.uri(), authorization.as_deref()).await,
    }
}

/// The Authenticate body.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Credentials {
    user_name: String,
    password: String,
    #[serde(default)]
    two_factor_code: Option<String>,
}

async fn authenticate(app: &App, inst: &Instance, req: Request) -> Response {
    let calls = inst.counters.authenticate();
    let faults = inst.faults.get();
    if faults.auth_hang || (faults.auth_hang_after_first && calls > 1) {
        return app.hang().await;
    }
    sleep_ms(faults.auth_latency_ms).await;
    let creds: Credentials = match read_json(req).await {
        Ok(c) => c,
        Err(detail) => return problem(StatusCode::BAD_REQUEST, &detail),
    };
    let known = inst
        .users
        .iter()
        .find(|(u, p)| u.eq_ignore_ascii_case(&creds.user_name) && *p == creds.password);
    let Some((user, _)) = known else {
        return problem(StatusCode::UNAUTHORIZED, "Invalid user name or password.");
    };
    if faults.require_2fa && creds.two_factor_code.is_none_or(|c| c.trim().is_empty()) {
        return problem(StatusCode::UNAUTHORIZED, "Two-factor code required");
    }
    let token = inst
        .tokens
        .issue(user, faults.token_ttl_seconds, !faults.token_without_exp);
    if faults.token_as_json_string {
        odata_json(&serde_json::Value::String(token), false)
    } else {
        text(StatusCode::OK, token)
    }
}

async fn data(app: &App, inst: &Instance, route: Route, uri: &Uri, auth: Option<&str>) -> Response {
    let _in_flight = inst.counters.enter();
    let faults = inst.faults.get();
    sleep_ms(faults.latency_ms).await;
    if faults.hang {
        return app.hang().await;
    }
    if let Some(status) = faults.fail_data_status {
        return failure(status, faults.retry_after_seconds);
    }
    let user = match authorize(inst, &faults, auth) {
        Ok(user) => user,
        Err(_) => {
            let mut response = empty(StatusCode::UNAUTHORIZED);
            let challenge = HeaderValue::from_static("Bearer");
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
            return response;
        }
    };
    let query = match RawQuery::parse(uri.query()) {
        Ok(q) => q,
        Err(detail) => return problem(StatusCode::BAD_REQUEST, &detail),
    };
    if let Some(name) = query
        .encoded_option()
        .filter(|_| faults.reject_encoded_dollar)
    {
        let error = ODataError::EncodedDollar(name.to_owned());
        return problem(StatusCode::BAD_REQUEST, &error.to_string());
    }
    let scope = faults
        .visible_tenants
        .get(&user)
        .map_or_else(Scope::default, |t| Scope::tenants(t.clone()));
    let api_base = format!("{}{}/api", app.origin, inst.prefix);
    let ctx = Ctx {
        ds: &inst.dataset,
        scope,
        query: &query,
        api_base,
        self_url: format!("{}{}", app.origin, uri.path()),
        cap: faults.max_page_size.map(|p| p.max(1)),
    };
    match handlers::answer(route, &ctx) {
        Ok(value) => odata_json(&value, faults.truncated_body),
        Err(ApiError::NotFound(detail)) => problem(StatusCode::NOT_FOUND, &detail),
        Err(ApiError::BadRequest(detail)) => problem(StatusCode::BAD_REQUEST, &detail),
    }
}

/// The user behind a valid bearer token, after the auth faults.
fn authorize(inst: &Instance, faults: &Faults, header: Option<&str>) -> Result<String, TokenError> {
    let token = bearer(header)?;
    let user = inst.tokens.check(token)?;
    if faults.always_401 {
        return Err(TokenError::Revoked);
    }
    if inst.faults.take_revoke() {
        inst.tokens.revoke(token);
        return Err(TokenError::Revoked);
    }
    Ok(user)
}

/// The `fail_data_status` answer.
fn failure(status: u16, retry_after: Option<u64>) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = problem(status, "Injected failure (fault injection).");
    if let Some(value) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// `GET`/`POST {prefix}/_control/faults`: read or replace the instance's faults (test mode only).
async fn control(inst: &Instance, req: Request) -> Response {
    if !inst.test_mode {
        return empty(StatusCode::NOT_FOUND);
    }
    match *req.method() {
        Method::GET => {}
        Method::POST => match read_json::<Faults>(req).await {
            Ok(faults) => {
                inst.faults.set(faults);
            }
            Err(detail) => return problem(StatusCode::BAD_REQUEST, &detail),
        },
        _ => return empty(StatusCode::METHOD_NOT_ALLOWED),
    }
    match serde_json::to_value(inst.faults.get()) {
        Ok(value) => odata_json(&value, false),
        Err(e) => problem(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// Read a JSON request body; `Err` is the 400 detail.
async fn read_json<T: serde::de::DeserializeOwned>(req: Request) -> Result<T, String> {
    let body: Bytes = axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|e| format!("Could not read the request body: {e}"))?;
    serde_json::from_slice(&body).map_err(|e| format!("The request body is invalid: {e}"))
}

async fn sleep_ms(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
}
