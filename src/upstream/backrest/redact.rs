//! Redaction of Backrest's config before it leaves the connector. Backrest returns repository
//! passwords, environment values (cloud keys), hook URLs and tokens, and multihost pairing
//! secrets in clear; none of them may reach a model, a log or an audit line.
//!
//! Redaction is by key, recursively, so secrets in sections we do not know yet (a new hook kind)
//! are still caught as long as their key looks like a secret.

use serde_json::{Map, Value};

use super::scrub::strip_url_credentials;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Keys whose values are always secret, wherever they appear.
const SECRET_KEYS: [&str; 9] = [
    "password",
    "passwordBcrypt",
    "secret",
    "initialPairingSecret",
    "token",
    "botToken",
    "webhookUrl",
    "shoutrrrUrl",
    "privateKey",
];

/// Keys never forwarded at all (host paths of the Backrest machine).
const DROPPED_KEYS: [&str; 2] = ["configPath", "dataPath"];

/// The config with every secret replaced by [`REDACTED`].
pub fn config(mut value: Value) -> Value {
    redact(&mut value, false);
    value
}

fn is_secret_key(key: &str, in_hook: bool) -> bool {
    let lower = key.to_ascii_lowercase();
    SECRET_KEYS.contains(&key)
        || lower.contains("password")
        || lower.contains("secret")
        || lower.contains("token")
        // Every URL of a hook action carries its credential (Slack, Discord, Gotify, ...).
        || (in_hook && lower.ends_with("url"))
}

fn redact(value: &mut Value, in_hook: bool) {
    match value {
        Value::Object(map) => redact_object(map, in_hook),
        Value::Array(items) => items.iter_mut().for_each(|v| redact(v, in_hook)),
        _ => {}
    }
}

fn redact_object(map: &mut Map<String, Value>, in_hook: bool) {
    map.retain(|k, _| !DROPPED_KEYS.contains(&k.as_str()));
    for (key, value) in map.iter_mut() {
        if is_secret_key(key, in_hook) {
            if !(value.is_null() || value.as_str() == Some("")) {
                *value = Value::String(REDACTED.into());
            }
            continue;
        }
        match key.as_str() {
            "env" => redact_env(value),
            "uri" | "instanceUrl" | "baseUrl" => {
                if let Value::String(s) = value {
                    *s = strip_url_credentials(s);
                }
            }
            "hooks" => redact(value, true),
            _ => redact(value, in_hook),
        }
    }
}

/// `KEY=VALUE` entries keep their key only.
fn redact_env(value: &mut Value) {
    if let Value::Array(items) = value {
        for item in items {
            let key = item
                .as_str()
                .map(|s| s.split_once('=').map_or(s, |(k, _)| k).to_owned());
            *item = Value::String(format!("{}={REDACTED}", key.unwrap_or_default()));
        }
    } else if !value.is_null() {
        *value = Value::String(REDACTED.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_secret_of_the_contract_is_removed() {
        let raw = json!({
            "instance": "nas01",
            "repos": [{"id": "b2", "password": "repo-pw", "uri": "rest:https://u:rest-pw@h/r",
                       "env": ["B2_ACCOUNT_KEY=K001xyz", "PLAIN"],
                       "hooks": [{"actionWebhook": {"webhookUrl": "https://h/t?token=abc", "method": "POST"}},
                                 {"actionGotify": {"baseUrl": "https://g", "token": "gt"}},
                                 {"actionTelegram": {"botToken": "6:AA", "chatId": "-100"}},
                                 {"actionDiscord": {"webhookUrl": "https://discord/x"}},
                                 {"actionFutureThing": {"someUrl": "https://secret-url"}}]}],
            "auth": {"users": [{"name": "admin", "passwordBcrypt": "********"}]},
            "sync": {"pairingTokens": [{"secret": "pair-secret", "label": "l"}],
                     "knownHosts": [{"instanceId": "b", "initialPairingSecret": "ips"}],
                     "identity": {"keyId": "k1"}},
            "configPath": "/etc/backrest/config.json"
        });
        let out = config(raw).to_string();
        for secret in [
            "repo-pw",
            "rest-pw",
            "K001xyz",
            "token=abc",
            "gt\"",
            "6:AA",
            "discord/x",
            "secret-url",
            "pair-secret",
            "ips",
            "/etc/backrest",
        ] {
            assert!(!out.contains(secret), "{secret} leaked: {out}");
        }
        assert!(out.contains("B2_ACCOUNT_KEY=[redacted]"), "{out}");
        assert!(out.contains("\"keyId\":\"k1\""));
        assert!(out.contains("\"chatId\":\"-100\""));
        assert!(out.contains("\"name\":\"admin\""));
    }
}
