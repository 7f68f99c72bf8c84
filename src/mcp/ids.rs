//! Id arguments. Models copy ids out of one answer into the next call, and results show every id
//! the gateway writes as a string, while NovaBACKUP's own keys are integers and Backrest's are
//! int64s carried as strings. So every id parameter takes the id either way: [`Id`] accepts a
//! JSON string or integer, its schema says so (`"type": ["string", "integer"]`), and a tool that
//! needs a number asks [`Id::number`], whose error names the parameter.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::ToolError;

/// An id as the caller gave it, kept as text (`70444` and `"70444"` are the same id).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Id(String);

impl Id {
    pub fn into_string(self) -> String {
        self.0
    }

    /// The id as an integer key (NovaBACKUP ids); anything else is an error naming `param`.
    pub fn number(&self, param: &'static str) -> Result<i64, ToolError> {
        self.0.trim().parse().map_err(|_| {
            ToolError::invalid(
                param,
                format!(
                    "{:?} is not an integer id (give it as 70444 or \"70444\")",
                    self.0
                ),
            )
        })
    }
}

impl std::ops::Deref for Id {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Id {
    fn from(id: &str) -> Self {
        Id(id.to_owned())
    }
}

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(IdVisitor)
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id: a string or an integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
        Ok(Id(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
        Ok(Id(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
        Ok(Id(v.to_string()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
        Ok(Id(v.to_string()))
    }

    /// Some clients send every number as a float: a whole one is still an integer id.
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
        if v.fract() == 0.0 && v.abs() < 9.0e15 {
            Ok(Id((v as i64).to_string()))
        } else {
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }
    }
}

impl JsonSchema for Id {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        "Id".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({"type": ["string", "integer"]})
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize, JsonSchema)]
    struct Args {
        run_id: Id,
        server_id: Option<Id>,
    }

    #[test]
    fn strings_and_integers_are_the_same_id() {
        let a: Args = serde_json::from_value(json!({"run_id": 70444, "server_id": "ms1"})).unwrap();
        let b: Args = serde_json::from_value(json!({"run_id": "70444", "server_id": 7})).unwrap();
        assert_eq!(a.run_id, b.run_id);
        assert_eq!(a.run_id.number("run_id").unwrap(), 70444);
        assert_eq!(b.server_id.as_deref(), Some("7"));
        let c: Args = serde_json::from_value(json!({"run_id": 70444.0})).unwrap();
        assert_eq!(&*c.run_id, "70444");
        assert!(serde_json::from_value::<Args>(json!({"run_id": true})).is_err());
        assert!(serde_json::from_value::<Args>(json!({"run_id": 1.5})).is_err());
    }

    #[test]
    fn a_non_numeric_id_names_its_parameter() {
        let err = Id::from("abc").number("run_id").unwrap_err().to_string();
        assert!(err.contains("run_id") && err.contains("abc"), "{err}");
    }

    #[test]
    fn the_schema_admits_both_types_and_null_when_optional() {
        let schema = serde_json::to_value(schemars::schema_for!(Args)).unwrap();
        assert_eq!(
            schema["properties"]["run_id"]["type"],
            json!(["string", "integer"])
        );
        let optional = &schema["properties"]["server_id"]["type"];
        assert_eq!(optional, &json!(["string", "integer", "null"]));
    }
}
