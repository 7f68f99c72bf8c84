//! Settings read from the environment, parsed strictly.
//!
//! Every setting has our `BACKUP_MCP_*` name and, where the seed projects had one, an alias that
//! is still accepted so existing Claude Desktop configurations keep working. A value that does not
//! parse refuses start-up with a message naming the variable: a typo in a safety gate must never
//! silently fall back to a default.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

/// Where a setting came from, so an error can name the variable the user actually set.
type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

/// A setting that could not be parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error("{var}={value:?} is not a boolean (use true/false, 1/0, yes/no or on/off)")]
    NotBool { var: String, value: String },
    #[error("{var}={value:?} is not a whole number between {min} and {max}")]
    NotInRange {
        var: String,
        value: String,
        min: u64,
        max: u64,
    },
    #[error("{var}={value:?} is invalid: {why}")]
    Invalid {
        var: String,
        value: String,
        why: String,
    },
}

/// All runtime settings of the gateway.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Write tools are not registered at all while this is true.
    pub readonly: bool,
    /// Registers forget/restore; only effective with `readonly == false`.
    pub allow_destructive: bool,
    /// Registers `connect_server`: off by default, since a model that follows injected text could
    /// otherwise use it to probe the operator's network.
    pub allow_connect: bool,
    /// When set, writes to servers of other tenants are refused.
    pub allowed_tenants: Option<BTreeSet<String>>,
    /// Writes to session-only servers (whose tenant the model named) without an allowlist.
    pub allow_session_writes: bool,
    /// Restore targets must lie under this directory.
    pub restore_allowed_prefix: PathBuf,
    /// JSONL audit log of every write attempt.
    pub audit_log: Option<PathBuf>,
    /// Maximum number of servers in flight per fan-out call.
    pub fanout_concurrency: usize,
    /// Deadline of a whole tool call (and of each server check in the CLI).
    pub timeout: Duration,
    /// How long one server may take inside a call while others wait for a slot; `None` means
    /// [`Settings::server_timeout`]'s default share of `timeout`.
    pub server_timeout_setting: Option<Duration>,
    /// All upstream answers being read or held at once stay under this many bytes.
    pub body_budget_bytes: u64,
    /// Explicit credentials file; `None` means the platform default.
    pub credentials_file: Option<PathBuf>,
    /// tracing filter directive.
    pub log_filter: String,
    /// Log file; `None` means stderr.
    pub log_file: Option<PathBuf>,
    /// Optional InfluxDB metrics sink.
    pub influx: Option<InfluxSettings>,
}

/// Where per-tool metrics go when InfluxDB is configured.
#[derive(Debug, Clone, PartialEq)]
pub struct InfluxSettings {
    pub url: String,
    pub org: Option<String>,
    pub bucket: Option<String>,
    /// The token is a secret: kept out of `Debug` output by the wrapper.
    pub token: Option<RedactedString>,
}

/// A string that prints as `***` so settings can be logged whole.
#[derive(Clone, PartialEq)]
pub struct RedactedString(pub String);

impl std::fmt::Debug for RedactedString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// Our logs at info; the MCP SDK's per-message chatter only when asked for.
pub const DEFAULT_LOG_FILTER: &str = "info,rmcp=warn";

/// The default per-server timeout is the call's deadline divided by this.
pub const SERVER_SHARE_OF_CALL: u32 = 4;

/// Default restore prefix of the design (trailing slash kept for display only).
pub const DEFAULT_RESTORE_PREFIX: &str = "/tmp/backrest-restore/";

impl Settings {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(lookup: EnvLookup<'_>) -> Result<Self, ConfigError> {
        let env = Env { lookup };
        let readonly = match env.bool_var(&["BACKUP_MCP_READONLY", "BACKREST_READONLY"])? {
            Some(v) => v,
            // The NovaBACKUP seed's switch has the opposite sense.
            None => !env.bool_var(&["MCP_ALLOW_WRITES"])?.unwrap_or(false),
        };
        let allow_destructive = env
            .bool_var(&["BACKUP_MCP_ALLOW_DESTRUCTIVE", "BACKREST_ALLOW_DESTRUCTIVE"])?
            .unwrap_or(false);
        let allow_connect = env
            .bool_var(&["BACKUP_MCP_ALLOW_CONNECT"])?
            .unwrap_or(false);
        let allowed_tenants = env
            .get(&["BACKUP_MCP_ALLOWED_TENANTS", "MCP_ALLOWED_TENANT_IDS"])
            .map(|(_, v)| {
                v.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            });
        let allow_session_writes = env
            .bool_var(&["BACKUP_MCP_ALLOW_SESSION_WRITES"])?
            .unwrap_or(false);
        let restore_allowed_prefix = match env.get(&[
            "BACKUP_MCP_RESTORE_ALLOWED_PREFIX",
            "BACKREST_RESTORE_ALLOWED_PREFIX",
        ]) {
            Some((var, value)) => {
                if !value.starts_with('/') {
                    return Err(ConfigError::Invalid {
                        var,
                        value,
                        why: "must be an absolute path".into(),
                    });
                }
                PathBuf::from(value)
            }
            None => PathBuf::from(DEFAULT_RESTORE_PREFIX),
        };
        let fanout_concurrency = env
            .int_var(
                &["BACKUP_MCP_FANOUT_CONCURRENCY", "MCP_FANOUT_CONCURRENCY"],
                1,
                4096,
            )?
            .unwrap_or(32) as usize;
        let timeout_secs = env
            .int_var(
                &[
                    "BACKUP_MCP_TIMEOUT_SECONDS",
                    "MCP_OPERATION_TIMEOUT_SECONDS",
                ],
                1,
                3600,
            )?
            .unwrap_or(60);
        let server_timeout_setting = env
            .int_var(&["BACKUP_MCP_SERVER_TIMEOUT_SECONDS"], 1, 3600)?
            .map(Duration::from_secs);
        let body_budget_mib = env
            .int_var(&["BACKUP_MCP_BODY_BUDGET_MB"], 1, 1024 * 1024)?
            .unwrap_or(crate::upstream::budget::DEFAULT_BUDGET_MIB);
        let influx = env.get(&["INFLUXDB_URL"]).map(|(_, url)| InfluxSettings {
            url,
            org: env.get(&["INFLUXDB_ORG"]).map(|(_, v)| v),
            bucket: env.get(&["INFLUXDB_BUCKET"]).map(|(_, v)| v),
            token: env.get(&["INFLUXDB_TOKEN"]).map(|(_, v)| RedactedString(v)),
        });
        Ok(Settings {
            readonly,
            allow_destructive,
            allow_connect,
            allowed_tenants,
            allow_session_writes,
            restore_allowed_prefix,
            audit_log: env.path_var(&["BACKUP_MCP_AUDIT_LOG", "BACKREST_AUDIT_LOG"]),
            fanout_concurrency,
            timeout: Duration::from_secs(timeout_secs),
            server_timeout_setting,
            body_budget_bytes: body_budget_mib * 1024 * 1024,
            credentials_file: env
                .path_var(&["BACKUP_MCP_CREDENTIALS_FILE", "MCP_CREDENTIALS_FILE"]),
            log_filter: env
                .get(&["BACKUP_MCP_LOG", "LOG_LEVEL"])
                .map(|(_, v)| v)
                .unwrap_or_else(|| DEFAULT_LOG_FILTER.into()),
            log_file: env.path_var(&["BACKUP_MCP_LOG_FILE", "LOG_FILE"]),
            influx,
        })
    }

    /// How long one server may take inside a call: the setting, else a quarter of the call's
    /// deadline, so servers that hang cost at most a quarter of the call each and the others
    /// still get their turn. Never longer than the call.
    pub fn server_timeout(&self) -> Duration {
        self.server_timeout_setting
            .unwrap_or(self.timeout / SERVER_SHARE_OF_CALL)
            .min(self.timeout)
    }

    /// True when write tools are registered.
    pub fn writes_enabled(&self) -> bool {
        !self.readonly
    }

    /// True when forget/restore are registered.
    pub fn destructive_enabled(&self) -> bool {
        !self.readonly && self.allow_destructive
    }

    /// What to tell the operator when `BACKUP_MCP_ALLOW_DESTRUCTIVE=true` has no effect because
    /// writes are off: asking for destructive tools and silently getting none misleads.
    pub fn ignored_destructive_gate(&self) -> Option<&'static str> {
        (self.allow_destructive && self.readonly).then_some(
            "BACKUP_MCP_ALLOW_DESTRUCTIVE=true has no effect while BACKUP_MCP_READONLY is true \
             (the default): forget_snapshot and restore_snapshot are off. Set \
             BACKUP_MCP_READONLY=false as well to turn them on",
        )
    }
}

/// The environment seen through a lookup function, with alias handling.
struct Env<'a> {
    lookup: EnvLookup<'a>,
}

impl Env<'_> {
    /// The first of `names` that is set to a non-empty value, with the name that matched.
    fn get(&self, names: &[&str]) -> Option<(String, String)> {
        names.iter().find_map(|name| {
            (self.lookup)(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
                .map(|v| ((*name).to_owned(), v))
        })
    }

    fn bool_var(&self, names: &[&str]) -> Result<Option<bool>, ConfigError> {
        self.get(names)
            .map(|(var, value)| parse_bool(&value).ok_or(ConfigError::NotBool { var, value }))
            .transpose()
    }

    fn int_var(&self, names: &[&str], min: u64, max: u64) -> Result<Option<u64>, ConfigError> {
        self.get(names)
            .map(|(var, value)| match value.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError::NotInRange {
                    var,
                    value,
                    min,
                    max,
                }),
            })
            .transpose()
    }

    fn path_var(&self, names: &[&str]) -> Option<PathBuf> {
        self.get(names).map(|(_, v)| PathBuf::from(v))
    }
}

/// The design's boolean spellings, in any case.
pub fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(&move |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_are_safe() {
        let s = settings(&[]).unwrap();
        assert!(s.readonly);
        assert!(!s.allow_destructive);
        assert!(!s.destructive_enabled());
        assert_eq!(s.fanout_concurrency, 32);
        assert_eq!(s.timeout, Duration::from_secs(60));
        assert_eq!(
            s.restore_allowed_prefix,
            PathBuf::from("/tmp/backrest-restore/")
        );
        assert_eq!(s.allowed_tenants, None);
        assert!(!s.allow_session_writes);
        assert_eq!(s.log_filter, DEFAULT_LOG_FILTER);
        assert_eq!(s.server_timeout(), Duration::from_secs(15));
        assert_eq!(s.body_budget_bytes, 256 * 1024 * 1024);
    }

    #[test]
    fn a_destructive_gate_without_writes_is_reported() {
        let s = settings(&[("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true")]).unwrap();
        assert!(!s.destructive_enabled());
        let note = s.ignored_destructive_gate().expect("a note");
        assert!(note.contains("BACKUP_MCP_READONLY=false"), "{note}");
        let s = settings(&[
            ("BACKUP_MCP_ALLOW_DESTRUCTIVE", "true"),
            ("BACKUP_MCP_READONLY", "false"),
        ])
        .unwrap();
        assert_eq!(s.ignored_destructive_gate(), None);
        assert_eq!(settings(&[]).unwrap().ignored_destructive_gate(), None);
    }

    #[test]
    fn server_timeout_follows_the_call_and_never_exceeds_it() {
        let s = settings(&[("BACKUP_MCP_TIMEOUT_SECONDS", "8")]).unwrap();
        assert_eq!(s.server_timeout(), Duration::from_secs(2));
        let s = settings(&[
            ("BACKUP_MCP_TIMEOUT_SECONDS", "8"),
            ("BACKUP_MCP_SERVER_TIMEOUT_SECONDS", "30"),
        ])
        .unwrap();
        assert_eq!(s.server_timeout(), Duration::from_secs(8));
        let err = settings(&[("BACKUP_MCP_BODY_BUDGET_MB", "0")]).unwrap_err();
        assert!(
            err.to_string().contains("BACKUP_MCP_BODY_BUDGET_MB"),
            "{err}"
        );
    }

    #[test]
    fn booleans_accept_every_documented_spelling() {
        for (v, want) in [
            ("TRUE", true),
            ("1", true),
            ("Yes", true),
            ("on", true),
            ("false", false),
            ("0", false),
            ("NO", false),
            ("Off", false),
        ] {
            assert_eq!(parse_bool(v), Some(want), "{v}");
        }
        let err = settings(&[("BACKUP_MCP_READONLY", "maybe")]).unwrap_err();
        assert!(err.to_string().contains("BACKUP_MCP_READONLY"), "{err}");
    }

    #[test]
    fn aliases_are_accepted_and_ours_win() {
        let s = settings(&[("MCP_ALLOW_WRITES", "true")]).unwrap();
        assert!(!s.readonly);
        let s = settings(&[
            ("BACKREST_READONLY", "false"),
            ("BACKREST_ALLOW_DESTRUCTIVE", "1"),
        ])
        .unwrap();
        assert!(s.destructive_enabled());
        let s = settings(&[
            ("BACKUP_MCP_READONLY", "true"),
            ("MCP_ALLOW_WRITES", "true"),
        ])
        .unwrap();
        assert!(s.readonly);
        let s = settings(&[
            ("MCP_FANOUT_CONCURRENCY", "8"),
            ("BACKUP_MCP_FANOUT_CONCURRENCY", "4"),
        ])
        .unwrap();
        assert_eq!(s.fanout_concurrency, 4);
    }

    #[test]
    fn numbers_are_range_checked_and_name_the_variable() {
        let err = settings(&[("MCP_OPERATION_TIMEOUT_SECONDS", "0")]).unwrap_err();
        assert!(err.to_string().contains("MCP_OPERATION_TIMEOUT_SECONDS"));
        let err = settings(&[("BACKUP_MCP_FANOUT_CONCURRENCY", "lots")]).unwrap_err();
        assert!(matches!(err, ConfigError::NotInRange { .. }));
    }

    #[test]
    fn tenants_parse_as_csv_and_prefix_must_be_absolute() {
        let s = settings(&[("BACKUP_MCP_ALLOWED_TENANTS", " acme, blue-ridge ,,")]).unwrap();
        let tenants: Vec<_> = s.allowed_tenants.unwrap().into_iter().collect();
        assert_eq!(tenants, ["acme", "blue-ridge"]);
        assert!(settings(&[("BACKUP_MCP_RESTORE_ALLOWED_PREFIX", "restore/")]).is_err());
    }

    #[test]
    fn influx_token_never_prints() {
        let s = settings(&[("INFLUXDB_URL", "http://x"), ("INFLUXDB_TOKEN", "tok-123")]).unwrap();
        assert!(!format!("{s:?}").contains("tok-123"));
    }
}
