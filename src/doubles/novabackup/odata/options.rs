//! The system query options of one request (`$filter`, `$select`, `$expand`, `$orderby`,
//! `$top`, `$skip`, `$count`), parsed and bound to a schema.

use super::filter::{Expr, PropRef};
use super::{ODataError, Schema};

/// Which options a route accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    /// Collections: every option of the subset.
    Collection,
    /// Single entities: `$select` and `$expand` only.
    Entity,
}

/// One `$orderby` key.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderKey {
    pub prop: PropRef,
    pub desc: bool,
}

/// One `$expand` item with its nested options.
#[derive(Debug, Clone, PartialEq)]
pub struct Expand {
    pub nav: String,
    pub options: QueryOptions,
}

/// Parsed query options; the default is "no options".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryOptions {
    pub filter: Option<Expr>,
    /// `None` = every property.
    pub select: Option<Vec<String>>,
    pub expand: Vec<Expand>,
    pub order_by: Vec<OrderKey>,
    pub top: Option<usize>,
    pub skip: Option<usize>,
    pub count: bool,
}

impl QueryOptions {
    /// Parse `(name, value)` pairs whose names start with `$`, already percent-decoded.
    pub fn parse<'p>(
        pairs: impl IntoIterator<Item = (&'p str, &'p str)>,
        schema: &dyn Schema,
        allowed: Allowed,
    ) -> Result<Self, ODataError> {
        let mut opts = QueryOptions::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            if seen.contains(&name) {
                return Err(ODataError::DuplicateOption(name.to_owned()));
            }
            seen.push(name);
            let entity_ok = matches!(name, "$select" | "$expand");
            if allowed == Allowed::Entity && !entity_ok {
                return Err(ODataError::UnknownOption(name.to_owned()));
            }
            match name {
                "$filter" => opts.filter = Some(Expr::parse(value, schema)?),
                "$select" => opts.select = parse_select(value, schema)?,
                "$expand" => opts.expand = parse_expand(value, schema)?,
                "$orderby" => opts.order_by = parse_order_by(value, schema)?,
                "$top" => opts.top = Some(parse_count(name, value)?),
                "$skip" => opts.skip = Some(parse_count(name, value)?),
                "$count" => opts.count = parse_bool(name, value)?,
                _ => return Err(ODataError::UnknownOption(name.to_owned())),
            }
        }
        Ok(opts)
    }
}

/// Split on `sep` outside parentheses, trimming items and dropping empty ones.
fn split_top(src: &str, sep: char) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in src.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            c if c == sep && depth == 0 => {
                items.push(&src[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    items.push(&src[start..]);
    items
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn parse_select(value: &str, schema: &dyn Schema) -> Result<Option<Vec<String>>, ODataError> {
    let items = split_top(value, ',');
    if items.is_empty() {
        return Err(ODataError::syntax("$select", "empty list"));
    }
    if items.contains(&"*") {
        return Ok(None);
    }
    for item in &items {
        if schema.prop(item).is_none() {
            return Err(ODataError::UnknownProperty {
                name: (*item).to_owned(),
                type_name: schema.type_name(),
            });
        }
    }
    Ok(Some(items.into_iter().map(str::to_owned).collect()))
}

fn parse_expand(value: &str, schema: &dyn Schema) -> Result<Vec<Expand>, ODataError> {
    let mut out = Vec::new();
    for item in split_top(value, ',') {
        let (nav, nested) = match item.split_once('(') {
            None => (item, ""),
            Some((nav, rest)) => {
                let inner = rest
                    .strip_suffix(')')
                    .ok_or_else(|| ODataError::syntax("$expand", format!("unbalanced '{item}'")))?;
                (nav.trim(), inner)
            }
        };
        let (target, many) = schema.nav(nav).ok_or_else(|| ODataError::UnknownProperty {
            name: nav.to_owned(),
            type_name: schema.type_name(),
        })?;
        let mut pairs = Vec::new();
        for part in split_top(nested, ';') {
            let pair = part.split_once('=').ok_or_else(|| {
                ODataError::syntax("$expand", format!("expected name=value in '{part}'"))
            })?;
            pairs.push((pair.0.trim(), pair.1));
        }
        let allowed = if many {
            Allowed::Collection
        } else {
            Allowed::Entity
        };
        let options = QueryOptions::parse(pairs, target, allowed)?;
        out.push(Expand {
            nav: nav.to_owned(),
            options,
        });
    }
    Ok(out)
}

fn parse_order_by(value: &str, schema: &dyn Schema) -> Result<Vec<OrderKey>, ODataError> {
    let keys = split_top(value, ',');
    if keys.is_empty() {
        return Err(ODataError::syntax("$orderby", "empty list"));
    }
    keys.into_iter()
        .map(|key| {
            let mut words = key.split_whitespace();
            let path = words.next().unwrap_or_default();
            let desc = match (words.next(), words.next()) {
                (None | Some("asc"), None) => false,
                (Some("desc"), None) => true,
                _ => return Err(ODataError::syntax("$orderby", format!("bad key '{key}'"))),
            };
            let prop = PropRef::resolve(schema, path)?;
            Ok(OrderKey { prop, desc })
        })
        .collect()
}

fn parse_count(name: &str, value: &str) -> Result<usize, ODataError> {
    value.trim().parse().map_err(|_| ODataError::NotANumber {
        option: name.to_owned(),
        value: value.to_owned(),
    })
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ODataError> {
    match value.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(ODataError::syntax(
            "$count",
            format!("'{name}' must be true or false"),
        )),
    }
}
