//! The OS keyring backend (Secret Service, Keychain, Credential Manager).
//!
//! Keyring calls can block (a locked keyring may pop up an unlock prompt) and the Secret Service
//! client must not run on a tokio worker thread, so every call goes through `spawn_blocking` with
//! a timeout. Platform errors are turned into messages here without their payloads: some keyring
//! errors carry the raw secret bytes.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

/// The keyring service name under which every secret is saved (account = server id).
pub const SERVICE: &str = "backup-mcp";

/// How long one keyring call may take before it counts as not working.
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A keyring call that failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("no working OS keyring (looked for {looked}: {0})", looked = looked_for())]
    Unavailable(String),
    #[error(
        "the OS keyring holds no secret for server {0:?}; run `backup-mcp login --server-id {0}` again"
    )]
    Missing(String),
    #[error(
        "the OS keyring did not answer within {} (is it locked?)",
        crate::upstream::error::human_duration(*.0)
    )]
    Timeout(Duration),
}

/// Which keyring this platform's backend talks to, for messages: on Linux "no keyring" usually
/// means no Secret Service on the session bus (a server or container without a desktop).
pub fn looked_for() -> String {
    if cfg!(target_os = "macos") {
        "the macOS Keychain".into()
    } else if cfg!(windows) {
        "the Windows Credential Manager".into()
    } else {
        let bus = match std::env::var("DBUS_SESSION_BUS_ADDRESS") {
            Ok(address) if !address.is_empty() => format!("at {address}"),
            _ => "(DBUS_SESSION_BUS_ADDRESS is not set)".into(),
        };
        format!("a Secret Service such as GNOME Keyring or KWallet on the D-Bus session bus {bus}")
    }
}

/// Handle to the OS keyring.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keyring;

impl Keyring {
    /// Succeeds when a keyring answers (an absent probe entry counts as an answer).
    pub async fn probe(&self) -> Result<(), KeyringError> {
        run(|| match entry("__backup-mcp-probe__")?.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(e)),
        })
        .await
    }

    pub async fn set(&self, server_id: &str, secret: &SecretString) -> Result<(), KeyringError> {
        let id = server_id.to_owned();
        let secret = secret.clone();
        run(move || {
            entry(&id)?
                .set_password(secret.expose_secret())
                .map_err(describe)
        })
        .await
    }

    pub async fn get(&self, server_id: &str) -> Result<SecretString, KeyringError> {
        let id = server_id.to_owned();
        run(move || match entry(&id)?.get_password() {
            Ok(p) => Ok(SecretString::from(p)),
            Err(keyring::Error::NoEntry) => Err(KeyringError::Missing(id.clone())),
            Err(e) => Err(describe(e)),
        })
        .await
    }

    /// Removes the secret; an absent one is not an error.
    pub async fn delete(&self, server_id: &str) -> Result<(), KeyringError> {
        let id = server_id.to_owned();
        run(move || match entry(&id)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(describe(e)),
        })
        .await
    }
}

fn entry(account: &str) -> Result<keyring::Entry, KeyringError> {
    keyring::Entry::new(SERVICE, account).map_err(describe)
}

async fn run<T, F>(f: F) -> Result<T, KeyringError>
where
    F: FnOnce() -> Result<T, KeyringError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::time::timeout(CALL_TIMEOUT, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(KeyringError::Unavailable(format!(
            "keyring call failed: {join}"
        ))),
        Err(_) => Err(KeyringError::Timeout(CALL_TIMEOUT)),
    }
}

/// A message for a keyring error that never includes secret bytes.
fn describe(e: keyring::Error) -> KeyringError {
    let text = match e {
        keyring::Error::PlatformFailure(p) | keyring::Error::NoStorageAccess(p) => p.to_string(),
        keyring::Error::NoDefaultStore => "no credential store on this platform".into(),
        keyring::Error::BadEncoding(_) | keyring::Error::BadDataFormat(..) => {
            "the stored secret is not readable text".into()
        }
        keyring::Error::NoEntry => "no entry".into(),
        other => other.to_string(),
    };
    KeyringError::Unavailable(text)
}
