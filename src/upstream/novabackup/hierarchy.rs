//! The group tree of one server, nested (`children`). A group whose parent is not visible (a
//! scoped user often cannot see it) is a root; so is any group caught in a parent cycle.

use std::collections::{HashMap, HashSet};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::client::Nova;
use super::error::NovaError;
use super::odata::Query;
use super::present;
use super::tenancy::{int, text};

/// One server's group tree.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GroupTree {
    pub server_id: String,
    pub group_count: usize,
    /// Top-level groups, each with nested `children`.
    pub roots: Vec<Value>,
    /// True when the server had more groups than one scan reads.
    pub truncated: bool,
}

/// Reads every visible group of the server and nests them.
pub async fn tree(nova: &Nova<'_>) -> Result<GroupTree, NovaError> {
    let query = Query {
        select: Some("GroupId,GroupName,Description,ParentGroupId,TenantId,Default".into()),
        orderby: Some("GroupName".into()),
        ..Query::default()
    };
    let mut groups = Vec::new();
    let end = nova
        .scan("Groups", &query, |row| {
            groups.push(present::group(row).fields);
            true
        })
        .await?;
    Ok(GroupTree {
        server_id: nova.server.id().to_owned(),
        group_count: groups.len(),
        roots: build(groups),
        truncated: end.capped,
    })
}

/// Deeper trees are cut here (real trees are a handful of levels deep).
const MAX_DEPTH: usize = 64;

/// Nests `groups` (in the order given, e.g. by name) under their parents.
pub fn build(groups: Vec<Map<String, Value>>) -> Vec<Value> {
    let ids: Vec<Option<i64>> = groups.iter().map(|g| int(g, "GroupId")).collect();
    let known: HashSet<i64> = ids.iter().flatten().copied().collect();
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        match int(g, "ParentGroupId") {
            Some(p) if known.contains(&p) && Some(p) != ids[i] => {
                children.entry(p).or_default().push(i)
            }
            _ => roots.push(i),
        }
    }
    let mut placed = vec![false; groups.len()];
    let mut tree: Vec<Value> = roots
        .iter()
        .map(|&r| node(r, &groups, &ids, &children, &mut placed, 0))
        .collect();
    // Groups in a parent cycle are reachable from no root: show them as roots.
    for i in 0..groups.len() {
        if !placed[i] {
            tree.push(node(i, &groups, &ids, &children, &mut placed, 0));
        }
    }
    tree
}

fn node(
    i: usize,
    groups: &[Map<String, Value>],
    ids: &[Option<i64>],
    children: &HashMap<i64, Vec<usize>>,
    placed: &mut [bool],
    depth: usize,
) -> Value {
    placed[i] = true;
    let mut map = groups[i].clone();
    map.insert("tenant_id".into(), text(&groups[i], "TenantId").into());
    let kids: Vec<Value> = match ids[i].and_then(|id| children.get(&id)) {
        Some(list) if depth < MAX_DEPTH => list
            .iter()
            .filter(|&&c| !placed[c])
            .copied()
            .collect::<Vec<_>>()
            .into_iter()
            .map(|c| node(c, groups, ids, children, placed, depth + 1))
            .collect(),
        _ => Vec::new(),
    };
    map.insert("children".into(), Value::Array(kids));
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn g(id: i64, parent: Option<i64>) -> Map<String, Value> {
        json!({"GroupId": id, "ParentGroupId": parent, "TenantId": null})
            .as_object()
            .unwrap()
            .clone()
    }

    #[test]
    fn nests_children_and_treats_invisible_parents_as_roots() {
        let tree = build(vec![
            g(10, Some(1)),
            g(11, Some(10)),
            g(20, Some(1)),
            g(1, None),
        ]);
        assert_eq!(tree.len(), 1);
        assert_eq!(tree[0]["GroupId"], 1);
        let kids = tree[0]["children"].as_array().unwrap();
        assert_eq!(kids.len(), 2);
        assert_eq!(kids[0]["children"][0]["GroupId"], 11);
        let scoped = build(vec![g(10, Some(1)), g(11, Some(10))]);
        assert_eq!(scoped.len(), 1);
        assert_eq!(scoped[0]["GroupId"], 10);
    }

    #[test]
    fn cycles_do_not_loop_or_vanish() {
        let tree = build(vec![g(1, Some(2)), g(2, Some(1)), g(3, Some(3))]);
        let text = serde_json::to_string(&tree).unwrap();
        for id in ["\"GroupId\":1", "\"GroupId\":2", "\"GroupId\":3"] {
            assert!(text.contains(id), "{text}");
        }
    }
}
