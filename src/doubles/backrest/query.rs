//! GetOperations: the `OpSelector` filters, `lastN` and their error cases as Backrest 1.14
//! implements them.

use serde_json::{Map, Value};

use super::errors::RpcError;
use super::model::Operation;
use super::wire;

/// Reads the operation field a selector member filters on.
type FieldOf = fn(&Operation) -> &str;

/// Selector string members and the operation field each one filters.
const STRING_FILTERS: [(&str, FieldOf); 5] = [
    ("instanceId", |o| &o.instance_id),
    ("originalInstanceKeyid", |_| ""),
    ("repoGuid", |o| &o.repo_guid),
    ("planId", |o| &o.plan_id),
    ("snapshotId", |o| &o.snapshot_id),
];

/// Runs a `GetOperationsRequest` over the operations (given in id order).
pub fn run<'a>(
    ops: impl Iterator<Item = &'a Operation>,
    body: &Value,
) -> Result<Vec<Operation>, RpcError> {
    let selector = match wire::field(body, "selector") {
        None => return Err(RpcError::unknown("empty selector")),
        Some(Value::Object(m)) => m,
        Some(v) => {
            return Err(RpcError::invalid(format!(
                "invalid value for selector: {v}"
            )));
        }
    };
    let last_n = usize::try_from(wire::int64(body, "lastN")?).unwrap_or(0);
    let filter = Filter::parse(selector)?;
    let mut hits: Vec<&Operation> = ops.filter(|o| filter.matches(o)).collect();
    if last_n > 0 && hits.len() > last_n {
        // Newest = most recently modified; the answer is still in id order.
        hits.sort_by_key(|o| std::cmp::Reverse(o.modno));
        hits.truncate(last_n);
        hits.sort_by_key(|o| o.id);
    }
    Ok(hits.into_iter().cloned().collect())
}

/// A parsed selector.
struct Filter {
    ids: Vec<i64>,
    strings: Vec<(usize, String)>,
    flow_id: Option<i64>,
    modno_gte: Option<i64>,
}

impl Filter {
    fn parse(sel: &Map<String, Value>) -> Result<Filter, RpcError> {
        let body = Value::Object(sel.clone());
        let ids: Vec<i64> = match wire::field(&body, "ids") {
            None => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| {
                    wire::int64_value(v).ok_or_else(|| {
                        RpcError::invalid(format!("invalid value for int64 field ids: {v}"))
                    })
                })
                .collect::<Result<_, _>>()?,
            Some(v) => {
                return Err(RpcError::invalid(format!(
                    "invalid value for repeated field ids: {v}"
                )));
            }
        };
        let mut strings = Vec::new();
        for (i, (name, _)) in STRING_FILTERS.iter().enumerate() {
            if wire::field(&body, name).is_some() {
                strings.push((i, wire::string(&body, name)?));
            }
        }
        let optional_int = |name: &str| -> Result<Option<i64>, RpcError> {
            wire::field(&body, name)
                .map(|_| wire::int64(&body, name))
                .transpose()
        };
        let filter = Filter {
            ids,
            strings,
            flow_id: optional_int("flowId")?,
            modno_gte: optional_int("modnoGte")?,
        };
        let query =
            !filter.strings.is_empty() || filter.flow_id.is_some() || filter.modno_gte.is_some();
        if !filter.ids.is_empty() && query {
            return Err(RpcError::unknown("cannot specify both query and ids"));
        }
        Ok(filter)
    }

    fn matches(&self, op: &Operation) -> bool {
        if !self.ids.is_empty() {
            return self.ids.contains(&op.id);
        }
        // An empty string member filters on the empty string and so matches nothing.
        self.strings
            .iter()
            .all(|(i, want)| !want.is_empty() && (STRING_FILTERS[*i].1)(op) == want)
            && self.flow_id.is_none_or(|f| op.flow_id == f)
            && self.modno_gte.is_none_or(|m| op.modno >= m)
    }
}
