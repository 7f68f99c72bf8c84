//! Applying parsed options to rows: filter, order, `$skip`/`$top`, an optional page cap,
//! then `$select`/`$expand` on the rows that are returned.

use serde_json::Value;

use super::options::{OrderKey, QueryOptions};
use super::{Dataset, NavValue, Row, Val};

/// The result of a collection query.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The shaped rows of this page.
    pub value: Vec<Value>,
    /// Rows matching the filter, before `$skip`/`$top` (for `$count=true`).
    pub count: usize,
    /// When a page cap cut the answer: the `$skip` and `$top` of the next page.
    pub next: Option<(usize, Option<usize>)>,
}

/// Run a collection query; `cap` limits rows per page (the `max_page_size` fault).
pub fn run<'a>(
    rows: impl IntoIterator<Item = &'a dyn Row>,
    opts: &QueryOptions,
    ds: &'a Dataset,
    cap: Option<usize>,
) -> Page {
    let matched: Vec<&dyn Row> = match &opts.filter {
        Some(f) => rows.into_iter().filter(|r| f.matches(*r, ds)).collect(),
        None => rows.into_iter().collect(),
    };
    let count = matched.len();
    let skip = opts.skip.unwrap_or(0);
    let end = opts
        .top
        .map_or(count, |t| skip.saturating_add(t).min(count));
    let ordered = order(matched, &opts.order_by, ds, end);
    let mut window: Vec<&dyn Row> = ordered
        .into_iter()
        .skip(skip)
        .take(end.saturating_sub(skip))
        .collect();
    let mut next = None;
    if let Some(cap) = cap.filter(|&c| window.len() > c) {
        window.truncate(cap);
        next = Some((skip + cap, opts.top.map(|t| t - cap)));
    }
    Page {
        value: window.into_iter().map(|r| shape(r, opts, ds)).collect(),
        count,
        next,
    }
}

/// Sort by the `$orderby` keys (nulls first, ties in original order); only the first
/// `keep` rows need to be in order, so a small `$top` costs a partial sort.
fn order<'a>(
    rows: Vec<&'a dyn Row>,
    keys: &[OrderKey],
    ds: &'a Dataset,
    keep: usize,
) -> Vec<&'a dyn Row> {
    if keys.is_empty() {
        return rows;
    }
    type Keyed<'a> = (Vec<Val<'a>>, usize, &'a dyn Row);
    let mut keyed: Vec<Keyed<'a>> = rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| (keys.iter().map(|k| k.prop.value(r, ds)).collect(), i, r))
        .collect();
    let cmp = |a: &Keyed<'_>, b: &Keyed<'_>| {
        keys.iter()
            .zip(a.0.iter().zip(&b.0))
            .map(|(k, (x, y))| {
                let o = x.sort_cmp(*y);
                if k.desc { o.reverse() } else { o }
            })
            .find(|o| o.is_ne())
            .unwrap_or_else(|| a.1.cmp(&b.1))
    };
    if keep < keyed.len() {
        if keep == 0 {
            return Vec::new();
        }
        keyed.select_nth_unstable_by(keep, cmp);
        keyed.truncate(keep);
    }
    keyed.sort_unstable_by(cmp);
    keyed.into_iter().map(|(_, _, r)| r).collect()
}

/// One row as JSON with `$select` and `$expand` applied (annotations are always kept).
pub fn shape(row: &dyn Row, opts: &QueryOptions, ds: &Dataset) -> Value {
    let mut map = row.to_json();
    if let Some(select) = &opts.select {
        map.retain(|k, _| k.starts_with("@odata.") || select.iter().any(|s| s == k));
    }
    for expand in &opts.expand {
        let value = match row.nav(ds, &expand.nav) {
            NavValue::One(Some(target)) => shape(target, &expand.options, ds),
            NavValue::One(None) => Value::Null,
            NavValue::Many(rows) => Value::Array(run(rows, &expand.options, ds, None).value),
        };
        map.insert(expand.nav.clone(), value);
    }
    Value::Object(map)
}
