//! A minimal Management Server stand-in for the fleet and fan-out tests: several servers under
//! path prefixes on one port, each with a behaviour, and a global count of requests in flight.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Behaviour {
    Healthy,
    /// Login works; every data call answers this status.
    DataFails(u16),
    /// Nothing ever answers.
    Hang,
    /// Login works; data calls never answer.
    DataHangs,
}

#[derive(Default)]
pub struct Counters {
    pub in_flight: AtomicUsize,
    pub max_in_flight: AtomicUsize,
    pub data_requests: AtomicUsize,
    pub logins: AtomicUsize,
}

impl Counters {
    pub fn reset_max(&self) {
        self.max_in_flight.store(0, Ordering::SeqCst);
    }
    pub fn max(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

#[derive(Clone)]
struct AppState {
    servers: Arc<Mutex<HashMap<String, Behaviour>>>,
    counters: Arc<Counters>,
    delay: Duration,
    password: String,
}

pub struct Stub {
    pub addr: std::net::SocketAddr,
    pub counters: Arc<Counters>,
    servers: Arc<Mutex<HashMap<String, Behaviour>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Stub {
    pub fn base_url(&self, prefix: &str) -> String {
        format!("http://{}/{prefix}", self.addr)
    }

    pub fn set(&self, prefix: &str, behaviour: Behaviour) {
        self.servers
            .lock()
            .unwrap()
            .insert(prefix.into(), behaviour);
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the stub on `port` (0 = any) with `servers` as (prefix, behaviour).
pub async fn start(
    port: u16,
    servers: &[(&str, Behaviour)],
    delay: Duration,
    password: &str,
) -> Stub {
    let map: HashMap<String, Behaviour> =
        servers.iter().map(|(p, b)| ((*p).to_owned(), *b)).collect();
    let servers = Arc::new(Mutex::new(map));
    let counters = Arc::new(Counters::default());
    let state = AppState {
        servers: servers.clone(),
        counters: counters.clone(),
        delay,
        password: password.to_owned(),
    };
    let app = Router::new()
        .route("/{prefix}/api/Account/Authenticate", post(authenticate))
        .route("/{prefix}/api/Groups", get(groups))
        .with_state(state);
    let listener = bind(port).await;
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.ok();
    });
    Stub {
        addr,
        counters,
        servers,
        task,
    }
}

/// Binds `port`, retrying for a while: a port just released (to simulate a server coming back)
/// can still be held briefly by a socket in the kernel.
async fn bind(port: u16) -> tokio::net::TcpListener {
    let mut tries = 0;
    loop {
        match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
            Ok(listener) => return listener,
            Err(_) if port != 0 && tries < 100 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("bind stub on port {port}: {e}"),
        }
    }
}

/// Decrements the in-flight count when the request ends, however it ends.
struct InFlight(Arc<Counters>);

impl InFlight {
    fn enter(counters: &Arc<Counters>) -> Self {
        let now = counters.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        counters.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(counters.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

fn behaviour(state: &AppState, prefix: &str) -> Option<Behaviour> {
    state.servers.lock().unwrap().get(prefix).copied()
}

async fn authenticate(
    State(state): State<AppState>,
    Path(prefix): Path<String>,
    body: String,
) -> Response {
    let _guard = InFlight::enter(&state.counters);
    state.counters.logins.fetch_add(1, Ordering::SeqCst);
    match behaviour(&state, &prefix) {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Behaviour::Hang) => std::future::pending().await,
        Some(_) => {
            tokio::time::sleep(state.delay).await;
            let ok = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("Password")?.as_str().map(|p| p == state.password))
                .unwrap_or(false);
            if ok {
                super::jwt("stub").into_response()
            } else {
                (
                    StatusCode::UNAUTHORIZED,
                    r#"{"detail":"Invalid user name or password."}"#,
                )
                    .into_response()
            }
        }
    }
}

async fn groups(
    State(state): State<AppState>,
    Path(prefix): Path<String>,
    headers: axum::http::HeaderMap,
) -> Response {
    let _guard = InFlight::enter(&state.counters);
    state.counters.data_requests.fetch_add(1, Ordering::SeqCst);
    if !headers
        .get("authorization")
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("Bearer "))
    {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    match behaviour(&state, &prefix) {
        None => StatusCode::NOT_FOUND.into_response(),
        Some(Behaviour::Hang | Behaviour::DataHangs) => std::future::pending().await,
        Some(Behaviour::DataFails(code)) => {
            tokio::time::sleep(state.delay).await;
            (
                StatusCode::from_u16(code).unwrap(),
                r#"{"title":"boom","detail":"database unavailable"}"#,
            )
                .into_response()
        }
        Some(Behaviour::Healthy) => {
            tokio::time::sleep(state.delay).await;
            (
                [("content-type", "application/json")],
                r#"{"value":[{"GroupId":1}]}"#,
            )
                .into_response()
        }
    }
}
