//! How NovaBACKUP rows are shown: license keys masked, job status codes labelled, run ids and
//! tenants added, user rows reduced to an allowlist. Unknown fields pass through.

use serde_json::{Map, Value};

use super::tenancy::{Tenancy, int};
use crate::fanout::Row;

/// Job status labels (docs/upstream/novabackup.md §8).
pub fn status_label(code: i64) -> String {
    match code {
        0 => "pending".into(),
        1 => "success".into(),
        2 => "warning".into(),
        3 => "cancelled".into(),
        4 => "failed".into(),
        5 => "running".into(),
        6 => "queued".into(),
        other => format!("unknown ({other})"),
    }
}

/// `NBXXX-AAAA-BBBB-CCCC` → `***************CCCC`: only the last 4 characters survive.
pub fn mask_key(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    // A key of 4 characters or fewer would be shown whole: hide it entirely.
    if chars.len() <= 4 {
        return "****".to_owned();
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{}{tail}", "*".repeat(chars.len() - 4))
}

/// Masks every license key anywhere in `value` (any property whose name contains
/// `LicenseKey`, at any depth).
pub fn mask_license_keys(value: &mut Value) {
    match value {
        Value::Object(map) => mask_in_map(map),
        Value::Array(items) => items.iter_mut().for_each(mask_license_keys),
        _ => {}
    }
}

fn mask_in_map(map: &mut Map<String, Value>) {
    for (k, v) in map.iter_mut() {
        if k.to_ascii_lowercase().contains("licensekey") {
            mask_everything(v);
        } else {
            mask_license_keys(v);
        }
    }
}

/// Masks every scalar inside a license-key property (a string, a number, or lists of them).
fn mask_everything(value: &mut Value) {
    match value {
        Value::String(s) => *s = mask_key(s),
        Value::Number(n) => *value = Value::String(mask_key(&n.to_string())),
        Value::Array(items) => items.iter_mut().for_each(mask_everything),
        Value::Object(map) => map.values_mut().for_each(mask_everything),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Adds `<field>Label` next to a job status code, when the field is present.
pub fn label_status(map: &mut Map<String, Value>, field: &str) {
    let label = match map.get(field) {
        Some(Value::Number(n)) => n.as_i64().map(status_label),
        Some(Value::Null) => Some("none".to_owned()),
        _ => None,
    };
    if let Some(label) = label {
        map.insert(format!("{field}Label"), Value::String(label));
    }
}

/// A row with its tenant, license keys masked.
pub fn row(tenant: Option<String>, mut map: Map<String, Value>) -> Row {
    mask_in_map(&mut map);
    Row::new(tenant, map)
}

/// An agent: tenant through its group, `LastBackupStatusLabel`.
pub fn agent(map: Map<String, Value>, tenancy: &Tenancy) -> Row {
    let tenant = tenancy.of_agent_row(&map);
    let mut map = map;
    label_status(&mut map, "LastBackupStatus");
    row(tenant, map)
}

/// Writes an integer key as a string: every id the gateway writes under its own snake_case
/// name (`run_id`, `agent_id`, ...) is a string, whatever its type upstream.
pub fn id_text<S: serde::Serializer>(id: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

/// [`id_text`] for an optional key (`null` stays `null`).
pub fn opt_id_text<S: serde::Serializer>(
    id: &Option<i64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => serializer.collect_str(id),
        None => serializer.serialize_none(),
    }
}

/// A job run: `run_id` (its `JobLogId` as a string, like every id the gateway writes),
/// `StatusLabel`, tenant through its agent.
pub fn run(mut map: Map<String, Value>, tenancy: &Tenancy) -> Row {
    let tenant = int(&map, "AgentId").and_then(|a| tenancy.of_agent(a));
    let run_id = int(&map, "JobLogId").map_or(Value::Null, |id| Value::String(id.to_string()));
    map.insert("run_id".into(), run_id);
    label_status(&mut map, "Status");
    row(tenant, map)
}

/// A group: its own `TenantId`.
pub fn group(map: Map<String, Value>) -> Row {
    let tenant = super::tenancy::text(&map, "TenantId");
    row(tenant, map)
}

/// User properties safe to show; real servers may add sensitive ones on the full entity.
pub const USER_FIELDS: &[&str] = &[
    "UserId",
    "UserName",
    "EmailAddress",
    "Enabled",
    "IsApproved",
    "IsLockedOut",
    "IsOnline",
    "LastLoginDate",
    "RoleId",
    "Description",
];

/// A CMon user: MSP-level, no tenant, only allowlisted properties.
pub fn user(mut map: Map<String, Value>) -> Row {
    map.retain(|k, _| USER_FIELDS.contains(&k.as_str()));
    row(None, map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_keep_only_their_last_four_characters() {
        assert_eq!(mask_key("NBXXX-AAAA-BBBB-CCCC"), "****************CCCC");
        assert_eq!(mask_key("abc"), "****");
        let mut odd =
            json!({"LicenseKeys": ["NBXXX-1111-2222-3333", 123456789], "LicenseKey": null});
        mask_license_keys(&mut odd);
        assert_eq!(
            odd,
            json!({"LicenseKeys": ["****************3333", "*****6789"], "LicenseKey": null})
        );
        let mut v = json!({"BackupClientLicenseKey": "NBXXX-AAAA-BBBB-CCCC",
                           "nested": [{"LicenseKey": "K-123456"}], "Other": "NBXXX"});
        mask_license_keys(&mut v);
        let text = v.to_string();
        assert!(!text.contains("AAAA-BBBB"));
        assert!(text.contains("CCCC") && text.contains("3456") && !text.contains("K-12"));
        assert_eq!(v["Other"], "NBXXX");
    }

    #[test]
    fn statuses_get_labels_and_unknown_codes_stay_raw() {
        assert_eq!(status_label(0), "pending");
        assert_eq!(status_label(6), "queued");
        assert_eq!(status_label(9), "unknown (9)");
        let mut m = json!({"Status": 4, "LastBackupStatus": null})
            .as_object()
            .unwrap()
            .clone();
        label_status(&mut m, "Status");
        label_status(&mut m, "LastBackupStatus");
        assert_eq!(m["StatusLabel"], "failed");
        assert_eq!(m["LastBackupStatusLabel"], "none");
    }

    #[test]
    fn runs_carry_run_id_and_users_only_allowlisted_fields() {
        let t = Tenancy::default();
        let r = run(
            json!({"JobLogId": 70002, "AgentId": 1, "Status": 1})
                .as_object()
                .unwrap()
                .clone(),
            &t,
        );
        assert_eq!(r.fields["run_id"], "70002");
        let u = user(
            json!({"UserId": 1, "PasswordHash": "x"})
                .as_object()
                .unwrap()
                .clone(),
        );
        assert!(!u.fields.contains_key("PasswordHash"));
    }
}
