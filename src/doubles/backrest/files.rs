//! Snapshot contents for ListSnapshotFiles: a tree built from the snapshot's paths and the
//! dataset's source files, listed one level at a time like `restic ls`.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat};
use serde_json::Value;

use super::model::{Snapshot, SourceFile};
use super::omit::Obj;

/// `mode` restic reports for directories (0755 | ModeDir).
const DIR_MODE: i64 = 2_147_484_141;
/// `mode` restic reports for regular files (0644).
const FILE_MODE: i64 = 420;

/// Parent directory of an absolute path (`/` for top-level entries).
fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &path[..i],
    }
}

/// Every node of a snapshot: path → size (`None` for directories).
fn tree(
    snapshot: &Snapshot,
    sources: &BTreeMap<String, Vec<SourceFile>>,
) -> BTreeMap<String, Option<u64>> {
    let mut nodes = BTreeMap::new();
    let add_dirs = |nodes: &mut BTreeMap<String, Option<u64>>, mut p: String| {
        while p != "/" && !p.is_empty() {
            nodes.entry(p.clone()).or_insert(None);
            p = parent(&p).to_string();
        }
    };
    for root in &snapshot.paths {
        let root = root.trim_end_matches('/').to_string();
        add_dirs(&mut nodes, root.clone());
        for file in sources.get(&root).into_iter().flatten() {
            let full = format!("{root}/{}", file.path.trim_start_matches('/'));
            add_dirs(&mut nodes, parent(&full).to_string());
            nodes.insert(full, Some(file.size));
        }
    }
    nodes
}

/// The `ListSnapshotFilesResponse` for one directory: the directory itself first (except `/`),
/// then its children by name.
pub fn list(snapshot: &Snapshot, sources: &BTreeMap<String, Vec<SourceFile>>, path: &str) -> Value {
    let dir = match path.trim_end_matches('/') {
        "" => "/",
        d => d,
    };
    let nodes = tree(snapshot, sources);
    let time = DateTime::from_timestamp_millis(snapshot.unix_time_ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Nanos, true);
    let entry = |p: &str, size: Option<u64>| {
        let name = p.rsplit('/').next().unwrap_or_default();
        Obj::new()
            .str("name", name)
            .str("type", if size.is_some() { "file" } else { "dir" })
            .str("path", p)
            .i64(
                "size",
                size.map_or(0, |s| i64::try_from(s).unwrap_or(i64::MAX)),
            )
            .i64("mode", if size.is_some() { FILE_MODE } else { DIR_MODE })
            .str("mtime", &time)
            .str("atime", &time)
            .str("ctime", &time)
            .build()
    };
    let mut entries = Vec::new();
    if let Some(size) = nodes.get(dir) {
        entries.push(entry(dir, *size));
    }
    entries.extend(
        nodes
            .iter()
            .filter(|(p, _)| parent(p) == dir && p.as_str() != dir)
            .map(|(p, size)| entry(p, *size)),
    );
    Obj::new()
        .str("path", path)
        .val("entries", Value::Array(entries))
        .build()
}

/// `(entries, bytes)` a restore of `path` from the snapshot writes (directories count as entries).
pub fn totals(
    snapshot: &Snapshot,
    sources: &BTreeMap<String, Vec<SourceFile>>,
    path: &str,
) -> (i64, i64) {
    let dir = path.trim_end_matches('/');
    let prefix = format!("{dir}/");
    let nodes = tree(snapshot, sources);
    let under = nodes
        .iter()
        .filter(|(p, _)| dir.is_empty() || p.as_str() == dir || p.starts_with(&prefix));
    under.fold((0, 0), |(n, b), (_, size)| {
        (n + 1, b + size.map_or(0, |s| i64::try_from(s).unwrap_or(0)))
    })
}
