//! OData query strings for the Management Server (docs/upstream/novabackup.md §2.1, §4).
//!
//! Option names go out with a literal `$`; values are percent-encoded byte by byte (everything
//! outside RFC 3986's unreserved set), so a space is `%20` and a `+` in a date-time offset is
//! `%2B` rather than something a server could read as a space. Entity keys are `Set(123)`.

use chrono::{DateTime, SecondsFormat, Utc};

/// The system query options (plus ordinary parameters) of one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query {
    pub filter: Option<String>,
    pub select: Option<String>,
    pub expand: Option<String>,
    pub orderby: Option<String>,
    pub top: Option<u64>,
    pub skip: Option<u64>,
    /// Ordinary (non-`$`) parameters such as `path` on BackupSources.
    pub params: Vec<(String, String)>,
}

impl Query {
    /// The query string without the leading `?` (empty when there is nothing to send).
    pub fn encode(&self) -> String {
        let mut parts = Vec::new();
        let options = [
            ("$filter", self.filter.clone()),
            ("$select", self.select.clone()),
            ("$expand", self.expand.clone()),
            ("$orderby", self.orderby.clone()),
            ("$top", self.top.map(|t| t.to_string())),
            ("$skip", self.skip.map(|s| s.to_string())),
        ];
        for (name, value) in options {
            if let Some(v) = value.filter(|v| !v.trim().is_empty()) {
                parts.push(format!("{name}={}", percent(&v)));
            }
        }
        for (name, value) in &self.params {
            parts.push(format!("{}={}", percent(name), percent(value)));
        }
        parts.join("&")
    }

    /// `/api/{resource}` with this query appended.
    pub fn path(&self, resource: &str) -> String {
        let qs = self.encode();
        if qs.is_empty() {
            format!("/api/{resource}")
        } else {
            format!("/api/{resource}?{qs}")
        }
    }

    /// Adds a condition with `and`, keeping the caller's filter intact in parentheses.
    pub fn and_filter(&mut self, condition: &str) {
        self.filter = Some(match self.filter.take().filter(|f| !f.trim().is_empty()) {
            Some(existing) => format!("({existing}) and ({condition})"),
            None => condition.to_owned(),
        });
    }

    /// When the caller narrowed `$select`, makes sure these properties are still returned
    /// (the gateway needs them for tenants and run ids). No `$select` means every property.
    pub fn keep_selected(&mut self, props: &[&str]) {
        if let Some(select) = self.select.as_mut().filter(|s| !s.trim().is_empty()) {
            let present = top_level_items(select);
            let missing: Vec<&str> = props
                .iter()
                .copied()
                .filter(|p| !present.iter().any(|s| s.eq_ignore_ascii_case(p)))
                .collect();
            if !missing.is_empty() {
                select.push(',');
                select.push_str(&missing.join(","));
            }
        }
    }

    /// Adds a navigation property to `$expand` unless it is already expanded.
    pub fn keep_expanded(&mut self, nav: &str) {
        match self.expand.as_mut().filter(|e| !e.trim().is_empty()) {
            Some(expand) => {
                let present = top_level_items(expand).iter().any(|item| {
                    let name = item.split('(').next().unwrap_or("").trim();
                    name.eq_ignore_ascii_case(nav)
                });
                if !present {
                    expand.push(',');
                    expand.push_str(nav);
                }
            }
            None => self.expand = Some(nav.to_owned()),
        }
    }
}

/// Comma-separated items at parenthesis depth 0, trimmed.
fn top_level_items(list: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in list.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    items.push(current.trim().to_owned());
    items.retain(|i| !i.is_empty());
    items
}

/// Percent-encodes everything outside `A-Z a-z 0-9 - . _ ~`.
pub fn percent(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An entity path segment: `Agents(101)`.
pub fn key(set: &str, id: i64) -> String {
    format!("{set}({id})")
}

/// A quoted string literal (`'` doubled).
pub fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A bare `DateTimeOffset` literal in UTC with milliseconds.
/// The order for scans that read every run of a window page by page: oldest first with the run
/// key as tiebreak, so `$skip` paging neither repeats nor skips rows when many runs share a start
/// time, and runs that start during the scan land on later pages instead of shifting earlier ones.
pub const STABLE_RUN_ORDER: &str = "StartDateTime asc,JobLogId asc";

pub fn datetime_literal(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_keep_a_literal_dollar_and_encode_values() {
        let q = Query {
            filter: Some("Connected eq true and contains(FriendlyName, 'prod')".into()),
            top: Some(100),
            skip: Some(0),
            ..Query::default()
        };
        assert_eq!(
            q.encode(),
            "$filter=Connected%20eq%20true%20and%20contains%28FriendlyName%2C%20%27prod%27%29&$top=100&$skip=0"
        );
        assert_eq!(q.path("Agents").split('?').next(), Some("/api/Agents"));
    }

    #[test]
    fn plus_is_sent_as_2b_and_ordinary_params_are_encoded() {
        let q = Query {
            filter: Some("StartDateTime gt 2026-11-20T00:00:00+01:00".into()),
            params: vec![("path".into(), "C:\\".into())],
            ..Query::default()
        };
        let qs = q.encode();
        assert!(qs.contains("00%2B01%3A00"), "{qs}");
        assert!(!qs.contains('+'));
        assert!(qs.ends_with("&path=C%3A%5C"), "{qs}");
        assert_eq!(Query::default().path("Groups"), "/api/Groups");
    }

    #[test]
    fn filters_combine_and_selects_keep_needed_properties() {
        let mut q = Query {
            filter: Some("Status ne 1 or Status eq 4".into()),
            select: Some("JobName, Status".into()),
            ..Query::default()
        };
        q.and_filter("JobId ne null");
        assert_eq!(
            q.filter.as_deref(),
            Some("(Status ne 1 or Status eq 4) and (JobId ne null)")
        );
        q.keep_selected(&["JobLogId", "status", "AgentId"]);
        assert_eq!(
            q.select.as_deref(),
            Some("JobName, Status,JobLogId,AgentId")
        );
        let mut none = Query::default();
        none.keep_selected(&["AgentId"]);
        assert_eq!(none.select, None);
        none.and_filter("JobId eq null");
        assert_eq!(none.filter.as_deref(), Some("JobId eq null"));
    }

    #[test]
    fn expand_adds_navigation_once() {
        let mut q = Query {
            expand: Some("Group($select=GroupId,TenantId)".into()),
            ..Query::default()
        };
        q.keep_expanded("Devices");
        q.keep_expanded("group");
        assert_eq!(
            q.expand.as_deref(),
            Some("Group($select=GroupId,TenantId),Devices")
        );
    }

    #[test]
    fn keys_and_literals() {
        assert_eq!(key("Agents", 101), "Agents(101)");
        assert_eq!(string_literal("O'Brien"), "'O''Brien'");
        let t = DateTime::parse_from_rfc3339("2026-11-15T01:24:22.384Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(datetime_literal(t), "2026-11-15T01:24:22.384Z");
    }
}
