//! Optional per-tool metrics to InfluxDB (v2 write API, line protocol), when `INFLUXDB_URL`,
//! `INFLUXDB_ORG` and `INFLUXDB_BUCKET` are set. Sending never delays or fails a tool call: each
//! point goes out in a background task with a short timeout, and a failure is only logged.

use std::time::Duration;

use crate::config::InfluxSettings;

/// How long one metrics write may take before it is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// One tool call, as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolCall<'a> {
    pub tool: &'a str,
    /// `ok`, `tool_error` or `protocol_error`.
    pub outcome: &'a str,
    pub duration: Duration,
    /// From the coverage block of fan-out tools.
    pub servers_queried: Option<u64>,
    pub servers_failed: Option<u64>,
}

impl<'a> ToolCall<'a> {
    /// The record of a finished call, with coverage counts read from `_meta` when present.
    pub fn of(
        tool: &'a str,
        response: &Result<rmcp::model::CallToolResponse, rmcp::ErrorData>,
        duration: Duration,
    ) -> Self {
        let (outcome, meta) = match response {
            Ok(rmcp::model::CallToolResponse::Complete(result)) => (
                if result.is_error == Some(true) {
                    "tool_error"
                } else {
                    "ok"
                },
                result.structured_content.as_ref().map(|v| &v["_meta"]),
            ),
            Ok(_) => ("ok", None),
            Err(_) => ("protocol_error", None),
        };
        ToolCall {
            tool,
            outcome,
            duration,
            servers_queried: meta.and_then(|m| m["servers_queried"].as_u64()),
            servers_failed: meta.and_then(|m| m["servers_failed"].as_u64()),
        }
    }
}

/// Where metrics go.
#[derive(Clone)]
pub struct Metrics {
    client: reqwest::Client,
    write_url: String,
    token: Option<String>,
}

impl Metrics {
    /// `None` (with a warning) when the settings are incomplete.
    pub fn from_settings(settings: &InfluxSettings) -> Option<Metrics> {
        let (Some(org), Some(bucket)) = (&settings.org, &settings.bucket) else {
            tracing::warn!(
                "INFLUXDB_URL is set but INFLUXDB_ORG or INFLUXDB_BUCKET is not: no metrics are sent"
            );
            return None;
        };
        let mut url = match url::Url::parse(&settings.url) {
            Ok(u) => u,
            Err(e) => {
                tracing::warn!("INFLUXDB_URL is not a URL ({e}): no metrics are sent");
                return None;
            }
        };
        url.set_path(&format!(
            "{}/api/v2/write",
            url.path().trim_end_matches('/')
        ));
        url.query_pairs_mut()
            .append_pair("org", org)
            .append_pair("bucket", bucket)
            .append_pair("precision", "ms");
        let client = crate::upstream::http::build_client(Default::default()).ok()?;
        Some(Metrics {
            client,
            write_url: url.to_string(),
            token: settings.token.as_ref().map(|t| t.0.clone()),
        })
    }

    /// Sends one point in the background.
    pub fn record(&self, call: &ToolCall<'_>) {
        let body = line(call, chrono::Utc::now().timestamp_millis());
        let mut request = self.client.post(&self.write_url).body(body);
        if let Some(token) = &self.token {
            request = request.header("authorization", format!("Token {token}"));
        }
        tokio::spawn(async move {
            match tokio::time::timeout(WRITE_TIMEOUT, request.send()).await {
                Ok(Ok(r)) if r.status().is_success() => {}
                Ok(Ok(r)) => tracing::debug!(status = r.status().as_u16(), "metrics write refused"),
                Ok(Err(e)) => tracing::debug!("metrics write failed: {e}"),
                Err(_) => tracing::debug!("metrics write timed out"),
            }
        });
    }
}

/// The line-protocol point for one call.
pub fn line(call: &ToolCall<'_>, at_ms: i64) -> String {
    let mut fields = format!("duration_ms={}", call.duration.as_secs_f64() * 1000.0);
    if let Some(q) = call.servers_queried {
        fields.push_str(&format!(",servers_queried={q}i"));
    }
    if let Some(f) = call.servers_failed {
        fields.push_str(&format!(",servers_failed={f}i"));
    }
    format!(
        "backup_mcp_tool,tool={},outcome={} {fields} {at_ms}",
        escape_tag(call.tool),
        escape_tag(call.outcome)
    )
}

/// Tag values escape commas, spaces and equals signs.
fn escape_tag(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(' ', "\\ ")
        .replace('=', "\\=")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_protocol_point() {
        let call = ToolCall {
            tool: "list_failing_jobs",
            outcome: "ok",
            duration: Duration::from_millis(412),
            servers_queried: Some(3),
            servers_failed: Some(1),
        };
        assert_eq!(
            line(&call, 1_795_000_000_000),
            "backup_mcp_tool,tool=list_failing_jobs,outcome=ok duration_ms=412,servers_queried=3i,servers_failed=1i 1795000000000"
        );
        assert_eq!(escape_tag("a b,c=d"), "a\\ b\\,c\\=d");
    }
}
