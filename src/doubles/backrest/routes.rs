//! HTTP surface: the infrastructure layer (counters, faults), Backrest's auth filter, and the
//! Connect protocol checks (POST only, content type, JSON body, timeouts) in front of the RPCs.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use serde_json::Value;

use super::errors::{Code, RpcError};
use super::metrics::AuthScheme;
use super::rpc_read as read;
use super::rpc_write as write;
use super::shared::Shared;
use super::state::RecordedCall;
use super::stream;
use super::wire;

/// How a method is called.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Unary(&'static str),
    ServerStream,
}

/// Implemented methods per service, with their request message type.
fn lookup(service: &str, method: &str) -> Option<Shape> {
    let shape = match (service, method) {
        ("v1.Authentication", "Login") => Shape::Unary("v1.LoginRequest"),
        ("v1.Backrest", "GetConfig" | "GetSummaryDashboard") => Shape::Unary("emptypb.Empty"),
        ("v1.Backrest", "ListSnapshots") => Shape::Unary("v1.ListSnapshotsRequest"),
        ("v1.Backrest", "ListSnapshotFiles") => Shape::Unary("v1.ListSnapshotFilesRequest"),
        ("v1.Backrest", "GetOperations") => Shape::Unary("v1.GetOperationsRequest"),
        ("v1.Backrest", "Backup") => Shape::Unary("v1.BackupRequest"),
        ("v1.Backrest", "DoRepoTask") => Shape::Unary("v1.DoRepoTaskRequest"),
        ("v1.Backrest", "Cancel") => Shape::Unary("v1.CancelRequest"),
        ("v1.Backrest", "Forget") => Shape::Unary("v1.ForgetRequest"),
        ("v1.Backrest", "Restore") => Shape::Unary("v1.RestoreSnapshotRequest"),
        ("v1.Backrest", "GetLogs") => Shape::ServerStream,
        _ => return None,
    };
    Some(shape)
}

/// The router of one double.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/{service}/{method}", any(rpc))
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(
            shared.clone(),
            infrastructure,
        ))
        .with_state(shared)
}

/// Go's `http.NotFound`.
fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [
            ("content-type", "text/plain; charset=utf-8"),
            ("x-content-type-options", "nosniff"),
        ],
        "404 page not found\n",
    )
        .into_response()
}

fn json_response(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Body>,
) -> Response {
    (status, [("content-type", content_type)], body.into()).into_response()
}

/// Counts the request, then applies the fault switches around the real handler.
async fn infrastructure(State(shared): State<Arc<Shared>>, req: Request, next: Next) -> Response {
    let method = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let _in_flight = shared.metrics.begin(&method, AuthScheme::of(auth));
    let faults = shared.faults.current();
    if !faults.applies_to(&method) {
        return next.run(req).await;
    }
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if faults.hang {
        shared.shutdown.cancelled().await;
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    if faults.plain_text_500 {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            [("content-type", "text/plain")],
            "Internal Server Error\n",
        )
            .into_response();
    }
    if let Some(status) = faults.fail_status {
        let err = RpcError::new(
            Code::from_http(status),
            format!("injected fault (HTTP {status})"),
        );
        if method == "GetLogs" {
            return json_response(
                StatusCode::OK,
                stream::CONTENT_TYPE,
                stream::response(Err(&err)),
            );
        }
        let mut resp = err.into_response();
        *resp.status_mut() =
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return resp;
    }
    let resp = next.run(req).await;
    if faults.malformed_json {
        truncate(resp).await
    } else {
        resp
    }
}

/// Keeps status and headers, cuts the body in half.
async fn truncate(resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(cut))
}

/// True when the request's content type is `want` (parameters such as charset allowed).
fn content_type_is(headers: &HeaderMap, want: &str) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(want))
}

/// Every `/{service}/{method}` request.
async fn rpc(
    State(shared): State<Arc<Shared>>,
    Path((service, method)): Path<(String, String)>,
    http_method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    if service == "v1.Backrest"
        && let Err(denied) = shared.auth.filter(auth).await
    {
        return denied;
    }
    let Some(shape) = lookup(&service, &method) else {
        return not_found();
    };
    if http_method != Method::POST {
        return (StatusCode::METHOD_NOT_ALLOWED, [(header::ALLOW, "POST")]).into_response();
    }
    let want = match shape {
        Shape::Unary(_) => "application/json",
        Shape::ServerStream => stream::CONTENT_TYPE,
    };
    if !content_type_is(&headers, want) {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, [("accept-post", want)]).into_response();
    }
    let Shape::Unary(type_name) = shape else {
        let text = stream::request_message(&body).and_then(|req| {
            record(&shared, &method, &req, auth);
            read::log_text(&shared, &req)
        });
        return json_response(
            StatusCode::OK,
            stream::CONTENT_TYPE,
            stream::response(text.as_deref()),
        );
    };
    let result = match wire::parse_body(&body, type_name) {
        Ok(req) => {
            if service == "v1.Backrest" {
                record(&shared, &method, &req, auth);
            }
            with_deadline(&headers, dispatch(&shared, &method, &req)).await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(v) => json_response(StatusCode::OK, "application/json", v.to_string()),
        Err(e) => e.into_response(),
    }
}

fn record(shared: &Shared, method: &str, body: &Value, auth: Option<&str>) {
    shared.lock().calls.push(RecordedCall {
        method: method.to_string(),
        body: body.clone(),
        auth: AuthScheme::of(auth),
    });
}

/// Applies `Connect-Timeout-Ms` as a server-side deadline.
async fn with_deadline(
    headers: &HeaderMap,
    fut: impl Future<Output = Result<Value, RpcError>>,
) -> Result<Value, RpcError> {
    let timeout = headers
        .get("connect-timeout-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    match timeout {
        None => fut.await,
        Some(ms) => tokio::time::timeout(Duration::from_millis(ms), fut)
            .await
            .unwrap_or_else(|_| {
                Err(RpcError::new(
                    Code::DeadlineExceeded,
                    "context deadline exceeded",
                ))
            }),
    }
}

async fn dispatch(shared: &Arc<Shared>, method: &str, body: &Value) -> Result<Value, RpcError> {
    match method {
        "Login" => shared.auth.login(body).await,
        "GetConfig" => Ok(read::get_config(shared)),
        "ListSnapshots" => read::list_snapshots(shared, body),
        "ListSnapshotFiles" => read::list_snapshot_files(shared, body),
        "GetSummaryDashboard" => Ok(read::summary_dashboard(shared)),
        "GetOperations" => read::get_operations(shared, body),
        "Backup" => write::backup(shared, body).await,
        "DoRepoTask" => write::do_repo_task(shared, body),
        "Cancel" => write::cancel(shared, body),
        "Forget" => write::forget(shared, body),
        "Restore" => write::restore(shared, body),
        other => Err(RpcError::new(
            Code::Unimplemented,
            format!("{other} is not implemented"),
        )),
    }
}
