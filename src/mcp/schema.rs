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

/// The arguments whose JSON type the tool's input schema does not allow, as
/// `name (expected string or integer, got boolean)`: serde's own message for a wrongly typed
/// argument does not say which one it was.
pub fn mistyped(schema: &Map<String, Value>, args: &Map<String, Value>) -> Vec<String> {
    let Some(Value::Object(props)) = schema.get("properties") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (name, value) in args {
        let allowed: Vec<&str> = match props.get(name).and_then(|p| p.get("type")) {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        let got = json_type(value);
        let fits = allowed
            .iter()
            .any(|t| *t == got || (*t == "number" && got == "integer"));
        if !fits {
            found.push(format!(
                "{name} (expected {}, got {got})",
                allowed.join(" or ")
            ));
        }
    }
    found
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
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
    fn mistyped_arguments_are_named() {
        let schema = json!({"properties": {
            "run_id": {"type": ["string", "integer", "null"]},
            "limit": {"type": ["integer", "null"]},
            "ratio": {"type": "number"},
            "mode": {"$ref": "#/$defs/Mode"}
        }});
        let args = json!({"run_id": true, "limit": 5, "ratio": 3, "mode": 1, "extra": 1});
        let found = mistyped(schema.as_object().unwrap(), args.as_object().unwrap());
        assert_eq!(
            found,
            ["run_id (expected string or integer or null, got boolean)"]
        );
    }

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
