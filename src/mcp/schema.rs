//! Tool schemas as strict clients expect them: schemars writes "any JSON" as the boolean schema
//! `true`, which is valid JSON Schema but rejected by validators that want every subschema to be
//! an object (the MCP conformance suite among them). `{}` means the same and is an object.

use serde_json::{Map, Value};

/// Keywords whose value is one subschema.
const ONE: [&str; 6] = ["items", "additionalProperties", "not", "if", "then", "else"];
/// Keywords whose value is a list of subschemas.
const LIST: [&str; 4] = ["anyOf", "oneOf", "allOf", "prefixItems"];
/// Keywords whose value maps names to subschemas.
const MAP: [&str; 4] = ["properties", "patternProperties", "$defs", "definitions"];

/// Replaces every `true` subschema below `schema` with `{}` (a `false` keeps its meaning).
pub fn objectify(schema: &mut Map<String, Value>) {
    for (key, value) in schema.iter_mut() {
        let key = key.as_str();
        match value {
            _ if ONE.contains(&key) => fix(value),
            Value::Array(items) if LIST.contains(&key) => items.iter_mut().for_each(fix),
            Value::Object(children) if MAP.contains(&key) => children.values_mut().for_each(fix),
            _ => {}
        }
    }
}

fn fix(value: &mut Value) {
    match value {
        Value::Bool(true) => *value = Value::Object(Map::new()),
        Value::Object(inner) => objectify(inner),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn true_subschemas_become_empty_objects_and_other_booleans_stay() {
        let mut schema = json!({
            "type": "object",
            "properties": {
                "server": true,
                "items": {"type": "array", "items": true},
                "flag": {"type": "boolean", "default": true},
                "nested": {"anyOf": [true, {"type": "null"}]}
            },
            "additionalProperties": false,
            "$defs": {"Any": true}
        });
        objectify(schema.as_object_mut().unwrap());
        assert_eq!(
            schema,
            json!({
                "type": "object",
                "properties": {
                    "server": {},
                    "items": {"type": "array", "items": {}},
                    "flag": {"type": "boolean", "default": true},
                    "nested": {"anyOf": [{}, {"type": "null"}]}
                },
                "additionalProperties": false,
                "$defs": {"Any": {}}
            })
        );
    }
}
