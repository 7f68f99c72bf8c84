//! A JSON object kept as it was written: members in file order, each value as its raw text.
//!
//! A client's config holds the user's other servers and settings (Claude Code keeps its whole
//! state in `~/.claude.json`). Parsing it into `serde_json::Value` would sort keys and reformat
//! numbers; keeping every value we do not change as its original bytes means the rest of the
//! file comes back exactly as it was. Only values we set are serialized by us.

use std::fmt;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use serde_json::value::RawValue;

/// One member's value: untouched text, an object we edit, or a value we wrote.
#[derive(Debug)]
pub enum Member {
    Raw(Box<RawValue>),
    Object(Members),
    Value(Value),
}

impl Member {
    /// The value, parsed (for comparisons and reading fields).
    pub fn to_value(&self) -> Value {
        match self {
            Member::Raw(raw) => serde_json::from_str(raw.get()).unwrap_or(Value::Null),
            Member::Object(members) => Value::Object(
                members
                    .0
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
            Member::Value(v) => v.clone(),
        }
    }

    /// A copy whose raw objects are parsed (keeping their order), so it prints in one layout.
    pub fn expanded(&self) -> Member {
        match self {
            Member::Raw(raw) => match serde_json::from_str::<Members>(raw.get()) {
                Ok(members) => Member::Object(members).expanded(),
                Err(_) => Member::Value(self.to_value()),
            },
            Member::Object(members) => Member::Object(Members(
                members
                    .0
                    .iter()
                    .map(|(k, v)| (k.clone(), v.expanded()))
                    .collect(),
            )),
            Member::Value(v) => Member::Value(v.clone()),
        }
    }

    /// This member as an editable object, when it is one.
    pub fn as_object(&mut self) -> Option<&mut Members> {
        if let Member::Raw(raw) = self {
            let parsed: Members = serde_json::from_str(raw.get()).ok()?;
            *self = Member::Object(parsed);
        }
        match self {
            Member::Object(members) => Some(members),
            _ => None,
        }
    }
}

impl Serialize for Member {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Member::Raw(raw) => raw.serialize(serializer),
            Member::Object(members) => members.serialize(serializer),
            Member::Value(value) => value.serialize(serializer),
        }
    }
}

/// An object's members in order (a repeated key is kept, as the file had it).
#[derive(Debug, Default)]
pub struct Members(pub Vec<(String, Member)>);

impl Members {
    /// The member's value (the last one, as JavaScript's `JSON.parse` reads a repeated key).
    pub fn get(&self, key: &str) -> Option<&Member> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Member> {
        self.0
            .iter_mut()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Sets `key` where it was (dropping repeats), or appends it.
    pub fn set(&mut self, key: &str, value: Member) {
        match self.0.iter().position(|(k, _)| k == key) {
            Some(i) => {
                self.0[i].1 = value;
                let mut seen = 0;
                self.0.retain(|(k, _)| {
                    seen += usize::from(k == key);
                    k != key || seen == 1
                });
            }
            None => self.0.push((key.to_owned(), value)),
        }
    }

    /// Removes every member named `key`; says whether there was one.
    pub fn remove(&mut self, key: &str) -> bool {
        let before = self.0.len();
        self.0.retain(|(k, _)| k != key);
        self.0.len() != before
    }
}

impl Serialize for Members {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Members {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Members;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Members, A::Error> {
                let mut members = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    members.push((k, Member::Raw(v)));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Ordered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untouched_values_keep_their_bytes_and_order() {
        let text = r#"{"z": {"b": 1.50, "a": [1e3]}, "a": "x\u00e9", "z2": null}"#;
        let mut m: Members = serde_json::from_str(text).unwrap();
        m.set("new", Member::Value(Value::from("v")));
        let out = serde_json::to_string(&m).unwrap();
        assert_eq!(
            out,
            r#"{"z":{"b": 1.50, "a": [1e3]},"a":"x\u00e9","z2":null,"new":"v"}"#
        );
    }

    #[test]
    fn set_replaces_in_place_and_drops_repeats() {
        let mut m: Members = serde_json::from_str(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        assert_eq!(m.get("a").unwrap().to_value(), Value::from(3));
        m.set("a", Member::Value(Value::from(9)));
        assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"a":9,"b":2}"#);
        assert!(m.remove("b") && !m.remove("b"));
    }

    #[test]
    fn a_non_object_is_refused() {
        assert!(serde_json::from_str::<Members>("[1]").is_err());
    }
}
