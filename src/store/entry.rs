//! One saved server: what the CLI writes and the fleet connects to.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::upstream::tls::{Fingerprint, Trust};

/// The two kinds of upstream the gateway speaks to.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ServerKind {
    Backrest,
    Novabackup,
}

impl ServerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ServerKind::Backrest => "backrest",
            ServerKind::Novabackup => "novabackup",
        }
    }

    /// The product name, for messages a person reads.
    pub fn product(self) -> &'static str {
        match self {
            ServerKind::Backrest => "Backrest server",
            ServerKind::Novabackup => "NovaBACKUP Management Server",
        }
    }
}

impl std::str::FromStr for ServerKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "backrest" => Ok(ServerKind::Backrest),
            "novabackup" => Ok(ServerKind::Novabackup),
            other => Err(format!(
                "unknown server kind {other:?}: use backrest or novabackup"
            )),
        }
    }
}

impl std::fmt::Display for ServerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where an entry's password lives.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "store", rename_all = "lowercase")]
pub enum SecretRef {
    /// In the credentials file itself (the file is 0600).
    File {
        #[serde(serialize_with = "expose_for_file")]
        password: SecretString,
    },
    /// In the OS keyring under service `backup-mcp`, account = server id.
    Keyring,
    /// No secret at all (a Backrest with authentication disabled).
    None,
}

impl SecretRef {
    pub fn store_name(&self) -> &'static str {
        match self {
            SecretRef::File { .. } => "file",
            SecretRef::Keyring => "keyring",
            SecretRef::None => "none",
        }
    }
}

impl std::fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.store_name())
    }
}

/// The only place a secret is written out: the credentials file, which is 0600.
fn expose_for_file<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

/// A saved server.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServerEntry {
    pub server_id: String,
    pub kind: ServerKind,
    #[serde(default)]
    pub label: String,
    /// As the user typed it; one trailing `/` is stripped when used (see [`ServerEntry::api_base`]).
    pub base_url: String,
    #[serde(default)]
    pub username: String,
    /// For Backrest the tenant the whole server belongs to; `None` means the server id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<String>,
    /// PEM of an extra CA to trust for this server only (or of its own self-signed certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_cert_pem: Option<String>,
    /// The one server certificate accepted, by SHA-256 (`--tls-fingerprint`). Files written
    /// before it existed have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_fingerprint: Option<Fingerprint>,
    pub secret: SecretRef,
}

impl ServerEntry {
    /// What this server's HTTP client trusts besides the platform roots.
    pub fn trust(&self) -> Trust<'_> {
        Trust {
            ca_cert_pem: self.ca_cert_pem.as_deref(),
            fingerprint: self.tls_fingerprint.as_ref(),
        }
    }

    /// The base URL with one trailing slash removed, ready for appending `/api/...`.
    pub fn api_base(&self) -> &str {
        api_base(&self.base_url)
    }

    /// The tenant a Backrest server's items belong to (NovaBACKUP items carry their own).
    pub fn default_tenant(&self) -> &str {
        self.tenant_id.as_deref().unwrap_or(&self.server_id)
    }

    /// The tenant the gateway tags this server with: a Backrest server's tenant (by default its
    /// id); for a Management Server the saved tenant if any, since its items carry their own.
    pub fn effective_tenant(&self) -> Option<&str> {
        match self.kind {
            ServerKind::Backrest => Some(self.default_tenant()),
            ServerKind::Novabackup => self.tenant_id.as_deref(),
        }
    }

    /// The entry as shown by `list` and `list_servers`: everything but the secret.
    pub fn public_view(&self) -> serde_json::Value {
        serde_json::json!({
            "server_id": self.server_id,
            "kind": self.kind,
            "label": self.label,
            "base_url": self.base_url,
            "username": self.username,
            "tenant_id": self.tenant_id,
            "effective_tenant": self.effective_tenant(),
            "ca_cert": self.ca_cert_pem.is_some(),
            "tls_fingerprint": self.tls_fingerprint,
            "credential_store": self.secret.store_name(),
        })
    }
}

/// One trailing `/` stripped, as the design says.
pub fn api_base(base_url: &str) -> &str {
    base_url.strip_suffix('/').unwrap_or(base_url)
}

/// Why a base URL was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidBaseUrl {
    #[error("{0:?} has no scheme: add https:// (or http://) in front, as in https://{0}")]
    NoScheme(String),
    #[error("{0:?} is not a valid URL: {1}")]
    Syntax(String, String),
    #[error("the URL must start with https:// or http://, not {0}://")]
    Scheme(String),
    #[error("the URL must not contain a user name or password; give them separately")]
    Credentials,
}

/// Accepts only http(s) URLs without embedded credentials (which would end up in files and logs).
pub fn validate_base_url(url: &str) -> Result<(), InvalidBaseUrl> {
    // `host:9898` parses as scheme `host`, and `host/x` not at all: both lack `://`.
    if !url.contains("://") {
        return Err(InvalidBaseUrl::NoScheme(url.to_owned()));
    }
    let parsed =
        url::Url::parse(url).map_err(|e| InvalidBaseUrl::Syntax(url.to_owned(), e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(InvalidBaseUrl::Scheme(parsed.scheme().to_owned()));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(InvalidBaseUrl::Credentials);
    }
    Ok(())
}

/// Why a server id was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("server id {0:?} is invalid: use 1 to 64 letters, digits, '_' or '-'")]
pub struct InvalidServerId(pub String);

/// Checks `^[A-Za-z0-9_-]{1,64}$`.
pub fn validate_server_id(id: &str) -> Result<(), InvalidServerId> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(InvalidServerId(id.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids_follow_the_pattern() {
        for ok in ["ms1", "cmc-eu_2", &"a".repeat(64)] {
            assert!(validate_server_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a.b", "a b", "ü", &"a".repeat(65), "../x"] {
            assert!(validate_server_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn entries_without_a_pin_still_read_and_a_pin_round_trips() {
        let old = r#"{"server_id":"nas01","kind":"backrest","base_url":"https://x","secret":{"store":"none"}}"#;
        let entry: ServerEntry = serde_json::from_str(old).unwrap();
        assert!(entry.tls_fingerprint.is_none() && entry.trust().is_default());
        let pin = format!("sha256:{}", "0f".repeat(32));
        let mut value = serde_json::to_value(&entry).unwrap();
        assert!(value.get("tls_fingerprint").is_none(), "{value}");
        value["tls_fingerprint"] = pin.clone().into();
        let pinned: ServerEntry = serde_json::from_value(value).unwrap();
        assert_eq!(pinned.tls_fingerprint.unwrap().to_string(), pin);
        assert_eq!(
            serde_json::to_value(&pinned).unwrap()["tls_fingerprint"],
            pin.as_str()
        );
    }

    #[test]
    fn a_url_without_a_scheme_is_told_to_add_one() {
        for bare in [
            "backrest.local:9898",
            "cmc.example.com/managementserver",
            "10.0.0.5",
        ] {
            let e = validate_base_url(bare).unwrap_err();
            assert_eq!(e, InvalidBaseUrl::NoScheme(bare.to_owned()));
            assert!(e.to_string().contains("add https://"), "{e}");
        }
        assert!(matches!(
            validate_base_url("ftp://x/"),
            Err(InvalidBaseUrl::Scheme(_))
        ));
        assert!(validate_base_url("https://backrest.local:9898").is_ok());
    }

    #[test]
    fn one_trailing_slash_is_stripped() {
        assert_eq!(
            api_base("https://x/managementserver/"),
            "https://x/managementserver"
        );
        assert_eq!(
            api_base("https://x/ManagementServer"),
            "https://x/ManagementServer"
        );
    }

    #[test]
    fn debug_and_public_view_hide_the_password() {
        let entry = ServerEntry {
            server_id: "ms1".into(),
            kind: ServerKind::Novabackup,
            label: String::new(),
            base_url: "https://x".into(),
            username: "u".into(),
            tenant_id: None,
            ca_cert_pem: None,
            tls_fingerprint: None,
            secret: SecretRef::File {
                password: SecretString::from("hunter2-secret"),
            },
        };
        assert!(!format!("{entry:?}").contains("hunter2-secret"));
        assert!(!entry.public_view().to_string().contains("hunter2-secret"));
        assert_eq!(entry.default_tenant(), "ms1");
    }
}
