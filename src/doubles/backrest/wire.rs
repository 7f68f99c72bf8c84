//! Lenient protojson request decoding: camelCase or snake_case names, int64 as string or number,
//! enums as name or number, unknown fields ignored, type mismatches as `invalid_argument`.

use serde_json::Value;

use super::errors::RpcError;

/// Parses a unary request body; errors are worded like connect-go's protojson unmarshal errors.
pub fn parse_body(bytes: &[u8], type_name: &str) -> Result<Value, RpcError> {
    let prefix = format!("unmarshal message: unmarshal into *{type_name}: proto:\u{a0}");
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v @ Value::Object(_)) => Ok(v),
        Ok(_) => Err(RpcError::invalid(format!(
            "{prefix}syntax error (line 1:1): unexpected token"
        ))),
        Err(e) => {
            let word = token_at(bytes, e.line(), e.column());
            let what = if word.is_empty() {
                "unexpected token".to_string()
            } else {
                format!("invalid value {word}")
            };
            Err(RpcError::invalid(format!(
                "{prefix}syntax error (line {}:{}): {what}",
                e.line(),
                e.column()
            )))
        }
    }
}

/// The run of word characters at a 1-based line/column, for error messages.
fn token_at(bytes: &[u8], line: usize, column: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else {
        return String::new();
    };
    l.chars()
        .skip(column.saturating_sub(1))
        .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
        .collect()
}

/// `repoId` → `repo_id`, the proto name Backrest also accepts.
fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The field under its JSON or proto name; `null` counts as absent.
pub fn field<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.get(name)
        .or_else(|| body.get(snake(name)))
        .filter(|v| !v.is_null())
}

fn type_error(name: &str, kind: &str, v: &Value) -> RpcError {
    RpcError::invalid(format!(
        "unmarshal message: proto:\u{a0}invalid value for {kind} field {name}: {v}"
    ))
}

/// A string field; absent → "".
pub fn string(body: &Value, name: &str) -> Result<String, RpcError> {
    match field(body, name) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Err(type_error(name, "string", v)),
    }
}

/// A bool field; absent → false.
pub fn boolean(body: &Value, name: &str) -> Result<bool, RpcError> {
    match field(body, name) {
        None => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(type_error(name, "bool", v)),
    }
}

/// Reads one int64 JSON value (string or integral number).
pub fn int64_value(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

/// An int64 field; absent → 0.
pub fn int64(body: &Value, name: &str) -> Result<i64, RpcError> {
    match field(body, name) {
        None => Ok(0),
        Some(v) => int64_value(v).ok_or_else(|| type_error(name, "int64", v)),
    }
}

/// An enum field given its value names in number order; unknown names become 0 (DiscardUnknown).
pub fn enumeration(body: &Value, name: &str, names: &[&str]) -> Result<usize, RpcError> {
    match field(body, name) {
        None => Ok(0),
        Some(Value::String(s)) => Ok(names.iter().position(|n| n == s).unwrap_or(0)),
        Some(Value::Number(n)) => Ok(n
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .filter(|i| *i < names.len())
            .unwrap_or(0)),
        Some(v) => Err(type_error(name, "enum", v)),
    }
}
