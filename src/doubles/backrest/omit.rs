//! Builders for protojson objects that omit default values (0, "", false, empty lists).

use serde_json::{Map, Value};

/// An object under construction.
#[derive(Default, Debug, Clone)]
pub struct Obj(Map<String, Value>);

impl Obj {
    /// Empty object.
    pub fn new() -> Self {
        Obj::default()
    }

    /// Adds an int64 (as a string) unless it is zero.
    pub fn i64(mut self, key: &str, v: i64) -> Self {
        if v != 0 {
            self.0.insert(key.into(), Value::String(v.to_string()));
        }
        self
    }

    /// Adds a double unless it is zero.
    pub fn f64(mut self, key: &str, v: f64) -> Self {
        if v != 0.0 {
            self.0.insert(key.into(), Value::from(v));
        }
        self
    }

    /// Adds a string unless it is empty.
    pub fn str(mut self, key: &str, v: &str) -> Self {
        if !v.is_empty() {
            self.0.insert(key.into(), Value::String(v.to_string()));
        }
        self
    }

    /// Adds any value unless it is null, an empty array or an empty string.
    pub fn val(mut self, key: &str, v: Value) -> Self {
        let empty = match &v {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::String(s) => s.is_empty(),
            _ => false,
        };
        if !empty {
            self.0.insert(key.into(), v);
        }
        self
    }

    /// Adds a message field, even when it is empty (`{}`), as protojson does for set messages.
    pub fn msg(mut self, key: &str, v: Obj) -> Self {
        self.0.insert(key.into(), v.build());
        self
    }

    /// The finished JSON object.
    pub fn build(self) -> Value {
        Value::Object(self.0)
    }
}

/// Int64 list as strings (repeated fields keep zeros).
pub fn i64_list(values: &[i64]) -> Value {
    Value::Array(
        values
            .iter()
            .map(|v| Value::String(v.to_string()))
            .collect(),
    )
}
