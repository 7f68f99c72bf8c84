//! Fan-out: one operation run against many servers at once, with bounded concurrency and one
//! deadline for the whole call, collected in saved-server order with a coverage block.
//!
//! Servers that hang cannot hide healthy ones: when servers queue for a slot, each gets at most
//! its per-server timeout; a server that timed out sits out the next calls (its circuit breaker,
//! in `fleet::health`) and is started last once it is tried again; servers still waiting when the
//! call's deadline passes are reported `not_attempted`, never as timeouts of their own.
//!
//! This module knows nothing about Backrest or NovaBACKUP: the per-server operation is a closure
//! returning rows, and every row is tagged here with `server_id` and `tenant_id`.

pub mod coverage;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Map, Value};

pub use coverage::{Coverage, CoverageFailure};

use crate::fleet::server::rfc3339;
use crate::fleet::{Server, ServerFailure, Status};
use crate::tenants::TenantIds;
use crate::tenants::ids::admits;
use crate::upstream::FailureReason;
use crate::upstream::error::human_duration;

/// Rows returned by the gateway when the caller gives no `limit`.
pub const DEFAULT_LIMIT: usize = 200;
/// The largest `limit` a caller may ask for.
pub const MAX_LIMIT: usize = 1000;
/// Serialised rows stop being added past this size (clients refuse results near 1 MB).
pub const BYTE_CAP: usize = 512 * 1024;

/// One result row from one server, before tagging.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row's own tenant; `None` means "no tenant" (shown as `null`).
    pub tenant_id: Option<String>,
    pub fields: Map<String, Value>,
}

impl Row {
    pub fn new(tenant_id: Option<String>, fields: Map<String, Value>) -> Self {
        Row { tenant_id, fields }
    }

    /// A row from a JSON object (anything else is wrapped as `{"value": ...}`).
    pub fn from_value(tenant_id: Option<String>, value: Value) -> Self {
        let fields = match value {
            Value::Object(map) => map,
            other => Map::from_iter([("value".to_owned(), other)]),
        };
        Row { tenant_id, fields }
    }
}

/// How one call fans out.
#[derive(Debug, Clone)]
pub struct Plan {
    pub deadline: Instant,
    /// The whole call's budget, for "no answer within Ns" messages.
    pub budget: Duration,
    /// How long one server may take while others wait for a slot.
    pub server_timeout: Duration,
    pub concurrency: usize,
    /// Keep only rows of these tenant ids.
    pub tenants: Option<TenantIds>,
}

impl Plan {
    pub fn new(
        budget: Duration,
        server_timeout: Duration,
        concurrency: usize,
        tenants: Option<TenantIds>,
    ) -> Self {
        Plan {
            deadline: Instant::now() + budget,
            budget,
            server_timeout: server_timeout.min(budget),
            concurrency: concurrency.max(1),
            tenants,
        }
    }
}

/// Tagged rows from every server that answered, in saved-server order, plus coverage.
#[derive(Debug)]
pub struct Gathered {
    pub rows: Vec<Value>,
    pub coverage: Coverage,
    started: Instant,
}

/// Runs `op` on every server: at most `plan.concurrency` servers in flight, all finished (or
/// counted as timed out or not attempted) by `plan.deadline`. `op` gets the server and the
/// deadline of its own share of the call.
pub async fn gather<F, Fut>(servers: Vec<Arc<Server>>, plan: &Plan, op: F) -> Gathered
where
    F: Fn(Arc<Server>, Instant) -> Fut,
    Fut: Future<Output = Result<Vec<Row>, ServerFailure>>,
{
    let started = Instant::now();
    // Only when servers queue for a slot can a slow one keep another from being asked; otherwise
    // every server may use the whole call.
    let queued = servers.len() > plan.concurrency;
    let op = &op;
    let mut results: Vec<(usize, Result<Vec<Row>, ServerFailure>)> =
        futures::stream::iter(start_order(&servers, started))
            .map(|i| {
                let server = servers[i].clone();
                async move { (i, run_one(server, plan, started, queued, op).await) }
            })
            .buffer_unordered(plan.concurrency)
            .collect()
            .await;
    results.sort_by_key(|(i, _)| *i);

    let mut coverage = match servers.len() {
        0 => Coverage::nothing_asked(),
        n => Coverage {
            servers_queried: n,
            ..Coverage::default()
        },
    };
    let mut rows = Vec::new();
    for (i, result) in results {
        let server = &servers[i];
        match result {
            Ok(server_rows) => {
                coverage.servers_succeeded += 1;
                rows.extend(
                    server_rows
                        .into_iter()
                        .filter(|r| admits(plan.tenants.as_ref(), r.tenant_id.as_deref()))
                        .map(|r| tag(server.id(), r)),
                );
            }
            Err(failure) => coverage.record(CoverageFailure {
                server_id: server.id().to_owned(),
                retry_at: (failure.reason == FailureReason::NotConnected)
                    .then(|| server.retry_at())
                    .flatten()
                    .map(rfc3339),
                reason: failure.reason,
                error: failure.message,
            }),
        }
    }
    Gathered {
        rows,
        coverage,
        started,
    }
}

/// The order servers are started in: those answered at once (up, disconnected, or sitting out
/// a back-off) first, then those still connecting or down for another reason, and those whose
/// back-off after a timeout is over last, so a hanging server that is tried again cannot delay
/// the others. Within a rank, saved order.
fn start_order(servers: &[Arc<Server>], call_start: Instant) -> Vec<usize> {
    let rank = |server: &Server| {
        let health = server.health();
        match health.status {
            Status::Up | Status::Disconnected => 0,
            _ if health.in_backoff(call_start) => 0,
            _ if health.timed_out() => 2,
            _ => 1,
        }
    };
    let ranks: Vec<u8> = servers.iter().map(|s| rank(s)).collect();
    let mut order: Vec<usize> = (0..servers.len()).collect();
    order.sort_by_key(|&i| ranks[i]);
    order
}

/// One server's share of a call: not started once the call's deadline has passed, otherwise
/// given until its own deadline (a timeout there opens the server's circuit breaker).
async fn run_one<F, Fut>(
    server: Arc<Server>,
    plan: &Plan,
    call_start: Instant,
    queued: bool,
    op: &F,
) -> Result<Vec<Row>, ServerFailure>
where
    F: Fn(Arc<Server>, Instant) -> Fut,
    Fut: Future<Output = Result<Vec<Row>, ServerFailure>>,
{
    let now = Instant::now();
    if now >= plan.deadline {
        return Err(ServerFailure {
            reason: FailureReason::NotAttempted,
            message: format!(
                "not asked: the call's {} deadline passed while other servers held all {} slots \
                 (BACKUP_MCP_FANOUT_CONCURRENCY)",
                human_duration(plan.budget),
                plan.concurrency
            ),
        });
    }
    let own = if queued {
        (now + plan.server_timeout).min(plan.deadline)
    } else {
        plan.deadline
    };
    let work = async {
        server.ensure_ready(own, call_start).await?;
        op(server.clone(), own).await
    };
    let given = own - now;
    let timed_out = || {
        let which = if own < plan.deadline {
            "its share of the call, BACKUP_MCP_SERVER_TIMEOUT_SECONDS"
        } else {
            "the call's deadline"
        };
        ServerFailure {
            reason: FailureReason::Timeout,
            message: format!("no answer within {} ({which})", human_duration(given)),
        }
    };
    match tokio::time::timeout_at(own.into(), work).await {
        // The server's own request gave up at the same deadline (and recorded the timeout):
        // say so in the same words.
        Ok(Err(f)) if f.reason == FailureReason::Timeout && Instant::now() >= own => {
            Err(timed_out())
        }
        Ok(result) => result,
        Err(_) => {
            server.mark_timed_out(given);
            Err(timed_out())
        }
    }
}

/// Like [`gather`], for operations that produce one value per server instead of rows (summaries,
/// lookups): the values of the servers that answered, in saved-server order, with their ids, plus
/// the coverage of the whole call (its `rows` stay empty).
pub async fn gather_each<T, F, Fut>(
    servers: Vec<Arc<Server>>,
    plan: &Plan,
    op: F,
) -> (Vec<(String, T)>, Gathered)
where
    F: Fn(Arc<Server>, Instant) -> Fut,
    Fut: Future<Output = Result<T, ServerFailure>>,
{
    let position: std::collections::HashMap<String, usize> = servers
        .iter()
        .enumerate()
        .map(|(i, s)| (s.id().to_owned(), i))
        .collect();
    let values: Mutex<Vec<(usize, String, T)>> = Mutex::new(Vec::new());
    let gathered = gather(servers, plan, |server, deadline| {
        let id = server.id().to_owned();
        let work = op(server, deadline);
        let (values, position) = (&values, &position);
        async move {
            let value = work.await?;
            let at = position.get(&id).copied().unwrap_or(usize::MAX);
            values
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((at, id, value));
            Ok(Vec::new())
        }
    })
    .await;
    let mut values = values.into_inner().unwrap_or_else(|p| p.into_inner());
    values.sort_by_key(|(at, ..)| *at);
    let values = values.into_iter().map(|(_, id, v)| (id, v)).collect();
    (values, gathered)
}

/// Puts `server_id` and `tenant_id` on a row.
pub fn tag(server_id: &str, row: Row) -> Value {
    let mut fields = row.fields;
    fields.insert("server_id".into(), Value::String(server_id.to_owned()));
    fields.insert(
        "tenant_id".into(),
        row.tenant_id.map(Value::String).unwrap_or(Value::Null),
    );
    Value::Object(fields)
}

/// Orders two rows newest first by the RFC 3339 time in `field`; rows without one go last.
pub fn newest_by_time(a: &Value, b: &Value, field: &str) -> std::cmp::Ordering {
    let at = |v: &Value| {
        v.get(field)
            .and_then(Value::as_str)
            .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    };
    at(b).cmp(&at(a))
}

/// How rows are ordered before the limit is applied (e.g. newest first).
pub type RowOrder<'a> = &'a dyn Fn(&Value, &Value) -> std::cmp::Ordering;

impl Gathered {
    /// Sorts (when asked), then keeps at most `limit` rows and at most [`BYTE_CAP`] bytes of them.
    pub fn finish(mut self, limit: usize, order: Option<RowOrder<'_>>) -> (Vec<Value>, Coverage) {
        if let Some(order) = order {
            self.rows.sort_by(|a, b| order(a, b));
        }
        let (rows, truncated) = cap_rows(self.rows, limit);
        self.coverage.truncated |= truncated;
        self.coverage.elapsed_ms = self.started.elapsed().as_millis() as u64;
        (rows, self.coverage)
    }
}

/// Keeps at most `limit` rows whose compact JSON adds up to at most [`BYTE_CAP`] bytes.
pub fn cap_rows(rows: Vec<Value>, limit: usize) -> (Vec<Value>, bool) {
    let total = rows.len();
    let mut kept = Vec::with_capacity(total.min(limit));
    let mut bytes = 0;
    for row in rows.into_iter().take(limit) {
        bytes += row.to_string().len() + 1;
        if bytes > BYTE_CAP {
            break;
        }
        kept.push(row);
    }
    let truncated = kept.len() < total;
    (kept, truncated)
}

/// The caller's `limit`, defaulted and clamped to [`MAX_LIMIT`].
pub fn effective_limit(limit: Option<u32>) -> usize {
    limit
        .map(|l| (l as usize).clamp(1, MAX_LIMIT))
        .unwrap_or(DEFAULT_LIMIT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rows_are_capped_by_count_and_by_bytes() {
        let rows: Vec<Value> = (0..10).map(|i| json!({"i": i})).collect();
        let (kept, truncated) = cap_rows(rows.clone(), 3);
        assert_eq!(kept.len(), 3);
        assert!(truncated);
        let (kept, truncated) = cap_rows(rows, 10);
        assert_eq!(kept.len(), 10);
        assert!(!truncated);
        let big: Vec<Value> = (0..10).map(|_| json!({"s": "x".repeat(100_000)})).collect();
        let (kept, truncated) = cap_rows(big, 1000);
        assert!(kept.len() < 10 && truncated);
    }

    #[test]
    fn limits_are_defaulted_and_clamped() {
        assert_eq!(effective_limit(None), DEFAULT_LIMIT);
        assert_eq!(effective_limit(Some(0)), 1);
        assert_eq!(effective_limit(Some(5000)), MAX_LIMIT);
    }

    #[test]
    fn tags_win_over_upstream_fields() {
        let row = Row::from_value(Some("t1".into()), json!({"server_id": "spoof", "x": 1}));
        let v = tag("real", row);
        assert_eq!(v["server_id"], "real");
        assert_eq!(v["tenant_id"], "t1");
        assert_eq!(v["x"], 1);
    }
}
