//! Helpers for the Backrest tool tests: doubles with auth enabled, credentials entries, an
//! isolated home with an audit log, and the secrets a double's config holds.

use std::path::PathBuf;
use std::time::Duration;

use backup_mcp::doubles::backrest::{BackrestConfig, BackrestDataset, BackrestDouble};
use serde_json::{Value, json};

pub const USER: &str = "gateway";
pub const PASSWORD: &str = "br-Secret-9d1e7";

/// A sample Backrest with auth enabled for USER/PASSWORD.
pub fn double(instance: &str, tenant: &str) -> BackrestDouble {
    double_with(instance, tenant, |c| c)
}

/// Like [`double`], with the config adjusted (e.g. a long `backup_duration`).
pub fn double_with(
    instance: &str,
    tenant: &str,
    adjust: impl FnOnce(BackrestConfig) -> BackrestConfig,
) -> BackrestDouble {
    let dataset = BackrestDataset::sample(chrono::Utc::now(), instance, tenant);
    let mut config = BackrestConfig::new(dataset).with_users(&[(USER, PASSWORD)]);
    config.basic_auth_cost = Duration::from_millis(1);
    BackrestDouble::start(adjust(config)).expect("start Backrest double")
}

/// A saved Backrest server with the file store.
pub fn entry(server_id: &str, base_url: &str, tenant: Option<&str>) -> Value {
    json!({
        "server_id": server_id, "kind": "backrest", "label": server_id, "base_url": base_url,
        "username": USER, "tenant_id": tenant, "secret": {"store": "file", "password": PASSWORD}
    })
}

/// A saved Backrest server with authentication disabled (no user, no secret).
pub fn open_entry(server_id: &str, base_url: &str) -> Value {
    json!({
        "server_id": server_id, "kind": "backrest", "label": server_id, "base_url": base_url,
        "username": "", "secret": {"store": "none"}
    })
}

/// An isolated home: credentials file, stderr log, audit log.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Self {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }
    pub fn creds(&self) -> PathBuf {
        self.dir.path().join("cfg").join("credentials.json")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.path().join("stderr.log")
    }
    pub fn audit(&self) -> PathBuf {
        self.dir.path().join("audit.jsonl")
    }
    /// The environment of a spawned server, plus `extra`.
    pub fn env(&self, extra: &[(&str, String)]) -> Vec<(&'static str, String)> {
        let mut env = vec![
            (
                "BACKUP_MCP_CREDENTIALS_FILE",
                self.creds().display().to_string(),
            ),
            ("HOME", self.dir.path().display().to_string()),
            ("BACKUP_MCP_TIMEOUT_SECONDS", "15".to_owned()),
        ];
        for (k, v) in extra {
            let key: &'static str = Box::leak(k.to_string().into_boxed_str());
            env.push((key, v.clone()));
        }
        env
    }
    /// Every audit line, parsed, each checked for the documented fields and values.
    pub fn audit_lines(&self) -> Vec<Value> {
        audit_lines_of(&self.audit())
    }
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.log()).unwrap_or_default()
    }
}

/// Every secret a double's config holds in clear: repo passwords, env values, hook URLs/tokens.
pub fn secrets_of(double: &BackrestDouble) -> Vec<String> {
    fn walk(v: &Value, key: &str, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => m.iter().for_each(|(k, v)| walk(v, k, out)),
            Value::Array(a) => a.iter().for_each(|v| walk(v, key, out)),
            Value::String(s) => match key {
                "password" | "webhookUrl" | "botToken" | "token" | "secret" => out.push(s.clone()),
                "env" => out.push(s.split_once('=').map_or(s.as_str(), |x| x.1).to_owned()),
                _ => {}
            },
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(&double.state().config, "", &mut out);
    out.retain(|s| s.len() >= 6);
    assert!(
        out.len() >= 6,
        "the sample config should hold secrets: {out:?}"
    );
    out.push(PASSWORD.to_owned());
    out
}

/// Fails if any of `secrets` occurs in `text`.
pub fn assert_no_secret(text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "secret {s:?} leaked into:\n{text}"
        );
    }
}

/// The audit lines of a file, parsed, each checked for the documented fields and values: an
/// `intent` line is allowed and has no outcome yet; an `outcome` line has one.
pub fn audit_lines_of(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("audit line is JSON");
            let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
            keys.sort();
            assert_eq!(
                keys,
                [
                    "args",
                    "attempt",
                    "decision",
                    "duration_ms",
                    "operation_id",
                    "outcome",
                    "phase",
                    "reason",
                    "server_id",
                    "tenant_id",
                    "tool",
                    "ts"
                ]
            );
            assert!(["allowed", "denied"].contains(&v["decision"].as_str().unwrap()));
            match v["phase"].as_str().unwrap() {
                "intent" => {
                    assert_eq!(v["decision"], "allowed");
                    assert!(v["outcome"].is_null());
                }
                "outcome" => {
                    let outcome = v["outcome"].as_str().unwrap();
                    let denied = v["decision"] == "denied";
                    assert_eq!(denied, outcome == "refused", "{v}");
                    assert!(["ok", "error", "refused"].contains(&outcome));
                }
                other => panic!("unknown phase {other}"),
            }
            v
        })
        .collect()
}

/// Only the last line of each attempt (its outcome, or its intent when the outcome is missing).
pub fn outcomes(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .filter(|l| l["phase"] == "outcome")
        .cloned()
        .collect()
}
