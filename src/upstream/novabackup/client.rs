//! Reading data from one Management Server within a call's deadline: single entities (404 means
//! "none"), plain objects, and collections paged to the end.
//!
//! Paging never stops silently: a collection is read with `$top`/`$skip` pages, any
//! `@odata.nextLink` is followed, and a scan ends only when the server runs out of rows, the
//! caller's `$top` window is used up, the visitor has enough, or the documented row cap is hit
//! (reported as `capped`, which the tools show as `truncated`).

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value};

use super::error::NovaError;
use super::odata::Query;
use super::tenancy::{Tenancy, TenantCache};
use crate::fleet::{Request, Server};
use crate::upstream::http::Reply;

/// Rows asked for per request.
pub const PAGE_SIZE: u64 = 500;
/// The most rows one scan reads from one server (summaries report `truncated` past it).
pub const MAX_SCAN_ROWS: u64 = 200_000;

/// One server, one call: the deadline and the tenant cache travel with it.
#[derive(Clone)]
pub struct Nova<'a> {
    pub server: Arc<Server>,
    pub deadline: Instant,
    cache: &'a TenantCache,
}

/// How a scan ended.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanEnd {
    /// Rows read from the server.
    pub scanned: u64,
    /// Stopped at [`MAX_SCAN_ROWS`] with more rows possibly left.
    pub capped: bool,
}

impl<'a> Nova<'a> {
    pub fn new(server: Arc<Server>, deadline: Instant, cache: &'a TenantCache) -> Self {
        Nova {
            server,
            deadline,
            cache,
        }
    }

    /// The server's groups and agents as tenants (cached with a TTL).
    pub async fn tenancy(&self) -> Result<Arc<Tenancy>, NovaError> {
        self.cache.get(self).await
    }

    /// GETs `path` (relative to the base); `None` for a 404.
    pub async fn fetch(&self, path: &str) -> Result<Option<Value>, NovaError> {
        let reply = self.server.send(&Request::get(path), self.deadline).await?;
        match reply.status {
            200..=299 => parse(&reply).map(Some),
            404 => Ok(None),
            400 => Err(NovaError::Rejected {
                status: 400,
                detail: reply.error_detail(),
            }),
            _ => Err(reply.into_status_error().into()),
        }
    }

    /// GETs a raw reply (for callers that handle statuses themselves, like the run log).
    pub async fn fetch_reply(&self, path: &str) -> Result<Reply, NovaError> {
        Ok(self.server.send(&Request::get(path), self.deadline).await?)
    }

    /// One entity as an object; `None` for a 404.
    pub async fn entity(
        &self,
        resource: &str,
        query: &Query,
    ) -> Result<Option<Map<String, Value>>, NovaError> {
        match self.fetch(&query.path(resource)).await? {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(_) => Err(NovaError::bad_response(format!(
                "{resource} did not answer with a JSON object"
            ))),
        }
    }

    /// Reads the collection `resource` page by page, handing every row to `visit` until it
    /// returns `false`. The caller's `$skip`/`$top` in `query` bound the window read.
    pub async fn scan(
        &self,
        resource: &str,
        query: &Query,
        mut visit: impl FnMut(Map<String, Value>) -> bool,
    ) -> Result<ScanEnd, NovaError> {
        let first = query.skip.unwrap_or(0);
        let window = query.top;
        let mut end = ScanEnd::default();
        loop {
            let left_in_window = window.map_or(u64::MAX, |t| t.saturating_sub(end.scanned));
            if left_in_window == 0 {
                return Ok(end);
            }
            if end.scanned >= MAX_SCAN_ROWS {
                end.capped = true;
                return Ok(end);
            }
            let ask = PAGE_SIZE
                .min(left_in_window)
                .min(MAX_SCAN_ROWS - end.scanned);
            let page = Query {
                skip: Some(first + end.scanned),
                top: Some(ask),
                ..query.clone()
            };
            let mut next = Some(page.path(resource));
            let mut got = 0;
            while let Some(path) = next.take() {
                let body = self.fetch(&path).await?.ok_or_else(|| {
                    NovaError::not_found(format!("the collection {}", collection_name(resource)))
                })?;
                let (rows, link) = read_collection(body)?;
                let empty = rows.is_empty();
                for row in rows {
                    got += 1;
                    end.scanned += 1;
                    if !visit(row) {
                        return Ok(end);
                    }
                }
                if got < ask && !empty {
                    next = link.map(|l| self.relative(&l)).transpose()?;
                }
            }
            if got < ask {
                return Ok(end);
            }
        }
    }

    /// A `@odata.nextLink` as a path under this server's base; links elsewhere are refused so
    /// the bearer token never leaves the server.
    fn relative(&self, link: &str) -> Result<String, NovaError> {
        same_server_path(self.server.entry.api_base(), link).ok_or_else(|| {
            NovaError::bad_response(format!(
                "the server's @odata.nextLink points outside its base URL ({}); not following it",
                crate::upstream::http::excerpt(link)
            ))
        })
    }
}

/// The part of `link` after `base` when both name the same scheme, host and port and the link's
/// path continues the base path at a `/` boundary (compared without case: IIS paths are
/// case-insensitive); `None` otherwise.
fn same_server_path(base: &str, link: &str) -> Option<String> {
    let (base, link) = (url::Url::parse(base).ok()?, url::Url::parse(link).ok()?);
    let same_origin = base.scheme() == link.scheme()
        && base.host_str() == link.host_str()
        && base.port_or_known_default() == link.port_or_known_default();
    let base_path = base.path().trim_end_matches('/');
    let path = link.path();
    let rest = path.get(base_path.len()..)?;
    let continues = path.get(..base_path.len())?.eq_ignore_ascii_case(base_path)
        && (rest.is_empty() || rest.starts_with('/'));
    if !(same_origin && continues) {
        return None;
    }
    Some(match link.query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    })
}

fn collection_name(resource: &str) -> &str {
    resource.split('?').next().unwrap_or(resource)
}

/// A 2xx body as JSON; empty or unreadable bodies are bad responses.
fn parse(reply: &Reply) -> Result<Value, NovaError> {
    if reply.body.iter().all(u8::is_ascii_whitespace) {
        return Err(NovaError::bad_response(
            "the server answered 2xx with an empty body where JSON was expected",
        ));
    }
    serde_json::from_slice(&reply.body)
        .map_err(|e| NovaError::bad_response(format!("the server's JSON could not be read ({e})")))
}

/// The rows of one collection answer and its `@odata.nextLink`, if any.
pub type Page = (Vec<Map<String, Value>>, Option<String>);

/// Rows and next link of a collection answer: `{"value": [...]}` or a bare array.
pub fn read_collection(body: Value) -> Result<Page, NovaError> {
    let (items, link) = match body {
        Value::Array(items) => (items, None),
        Value::Object(mut map) => {
            let link = map
                .get("@odata.nextLink")
                .and_then(Value::as_str)
                .map(str::to_owned);
            match map.remove("value") {
                Some(Value::Array(items)) => (items, link),
                _ => {
                    return Err(NovaError::bad_response(
                        "a collection answer had no \"value\" array",
                    ));
                }
            }
        }
        _ => {
            return Err(NovaError::bad_response(
                "a collection answer was neither an object nor an array",
            ));
        }
    };
    let rows = items
        .into_iter()
        .map(|item| match item {
            Value::Object(map) => map,
            other => Map::from_iter([("value".to_owned(), other)]),
        })
        .collect();
    Ok((rows, link))
}

#[cfg(test)]
mod tests {

    #[test]
    fn next_links_must_stay_on_the_same_server_and_base_path() {
        let base = "https://cmc.example.com/ManagementServer";
        assert_eq!(
            same_server_path(
                base,
                "https://cmc.example.com/managementserver/api/Agents?$skip=500"
            )
            .as_deref(),
            Some("/api/Agents?$skip=500")
        );
        assert_eq!(
            same_server_path(base, "https://cmc.example.com:443/ManagementServer/api/X").as_deref(),
            Some("/api/X")
        );
        for evil in [
            "https://cmc.example.com.evil.net/ManagementServer/api/Agents",
            "https://cmc.example.com:8443/ManagementServer/api/Agents",
            "http://cmc.example.com/ManagementServer/api/Agents",
            "https://cmc.example.com/ManagementServerEvil/api/Agents",
            "https://evil.net/ManagementServer/api/Agents",
            "not a url",
        ] {
            assert_eq!(same_server_path(base, evil), None, "{evil}");
        }
    }
    use super::*;
    use serde_json::json;

    #[test]
    fn envelopes_and_bare_arrays_are_both_collections() {
        let (rows, link) = read_collection(json!({
            "@odata.context": "x", "value": [{"a": 1}], "@odata.nextLink": "http://h/api/A?$skip=1"
        }))
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(link.as_deref(), Some("http://h/api/A?$skip=1"));
        let (rows, link) = read_collection(json!([{"a": 1}, {"a": 2}])).unwrap();
        assert_eq!((rows.len(), link), (2, None));
        assert!(read_collection(json!({"error": "x"})).is_err());
        assert!(read_collection(json!("text")).is_err());
    }
}
