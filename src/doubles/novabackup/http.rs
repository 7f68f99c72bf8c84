//! HTTP plumbing shared by the routes: percent-decoding, the query string, and the
//! response shapes of the API (OData JSON, ProblemDetails, empty, dropped connection).

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};

/// Decode `%XX` escapes (and `+` as a space in query strings); `None` if not UTF-8.
pub fn percent_decode(src: &str, plus_is_space: bool) -> Option<String> {
    let bytes = src.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
                continue;
            }
            (b'+', _) if plus_is_space => out.push(b' '),
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// One decoded query parameter, remembering whether its `$` arrived as `%24`.
#[derive(Debug, Clone)]
struct Param {
    name: String,
    value: String,
    encoded_dollar: bool,
}

/// The decoded query string of a request.
#[derive(Debug, Clone, Default)]
pub struct RawQuery {
    params: Vec<Param>,
}

impl RawQuery {
    /// Decode a raw query string; `Err` names a parameter that is not valid UTF-8.
    pub fn parse(query: Option<&str>) -> Result<Self, String> {
        let mut params = Vec::new();
        for part in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
            let (raw_name, raw_value) = part.split_once('=').unwrap_or((part, ""));
            let decode =
                |s| percent_decode(s, true).ok_or_else(|| format!("bad encoding in '{part}'"));
            params.push(Param {
                name: decode(raw_name)?,
                value: decode(raw_value)?,
                encoded_dollar: raw_name
                    .get(..3)
                    .is_some_and(|p| p.eq_ignore_ascii_case("%24")),
            });
        }
        Ok(RawQuery { params })
    }

    /// The system query options (`$name`, value).
    pub fn options(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params
            .iter()
            .filter(|p| p.name.starts_with('$'))
            .map(|p| (p.name.as_str(), p.value.as_str()))
    }

    /// An ordinary parameter's value.
    pub fn param(&self, name: &str) -> Option<&str> {
        let found = self.params.iter().find(|p| p.name == name)?;
        Some(&found.value)
    }

    /// The first option whose `$` was percent-encoded.
    pub fn encoded_option(&self) -> Option<&str> {
        let found = self.params.iter().find(|p| p.encoded_dollar)?;
        Some(&found.name)
    }

    /// This query with `$skip`/`$top` replaced, encoded for a `@odata.nextLink`.
    pub fn with_page(&self, skip: usize, top: Option<usize>) -> String {
        let encode =
            |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let mut parts: Vec<String> = self
            .params
            .iter()
            .filter(|p| p.name != "$skip" && p.name != "$top")
            .map(|p| {
                format!(
                    "{}={}",
                    encode(&p.name).replacen("%24", "$", 1),
                    encode(&p.value)
                )
            })
            .collect();
        parts.push(format!("$skip={skip}"));
        parts.extend(top.map(|t| format!("$top={t}")));
        parts.join("&")
    }
}

/// A JSON answer with the OData media type; `truncated` cuts the body in half.
pub fn odata_json(value: &Value, truncated: bool) -> Response {
    let mut body = value.to_string();
    if truncated {
        let mut cut = body.len() / 2;
        while !body.is_char_boundary(cut) {
            cut -= 1;
        }
        body.truncate(cut);
    }
    with_type(
        StatusCode::OK,
        body,
        "application/json; odata.metadata=minimal; odata.streaming=true; charset=utf-8",
    )
}

/// A ProblemDetails (RFC 9457) answer.
pub fn problem(status: StatusCode, detail: &str) -> Response {
    let mut rng = rand::rng();
    let trace_id = format!(
        "00-{:032x}-{:016x}-00",
        rng.random::<u128>(),
        rng.random::<u64>()
    );
    let body = json!({
        "type": format!("https://tools.ietf.org/html/rfc9110#section-15.{}", section(status)),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "traceId": trace_id,
    });
    with_type(
        status,
        body.to_string(),
        "application/problem+json; charset=utf-8",
    )
}

fn section(status: StatusCode) -> String {
    let code = status.as_u16();
    let (major, base) = if code >= 500 { (6, 500) } else { (5, 400) };
    format!("{major}.{}", code - base + 1)
}

/// A plain-text answer.
pub fn text(status: StatusCode, body: String) -> Response {
    with_type(status, body, "text/plain; charset=utf-8")
}

fn with_type(status: StatusCode, body: String, content_type: &'static str) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// A status with no body.
pub fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// A response whose body fails at once: the server drops the connection without answering.
pub fn dropped_connection() -> Response {
    let failing = futures::stream::once(async {
        Err::<axum::body::Bytes, _>(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            "unreachable (fault injection)",
        ))
    });
    Response::new(Body::from_stream(failing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_percent_and_plus() {
        assert_eq!(
            percent_decode("%24filter", true).as_deref(),
            Some("$filter")
        );
        assert_eq!(percent_decode("a+b%2Bc", true).as_deref(), Some("a b+c"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("100%", true).as_deref(), Some("100%"));
        assert_eq!(percent_decode("%FF", true), None);
    }

    #[test]
    fn next_page_keeps_other_options_and_literal_dollar() {
        let q = RawQuery::parse(Some("%24filter=A%20eq%201&$top=10&$skip=2")).unwrap();
        assert_eq!(q.encoded_option(), Some("$filter"));
        assert_eq!(q.with_page(5, Some(7)), "$filter=A+eq+1&$skip=5&$top=7");
    }
}
