//! Where each MCP client keeps its config file, on each OS.
//!
//! The roots (home, `%APPDATA%`, `$XDG_CONFIG_HOME`, `$CODEX_HOME`) are passed in rather than
//! read here, so the whole table is unit-tested for Windows, macOS and Linux on any machine.
//! `BACKUP_MCP_CLIENT_HOME` replaces all of them at once (tests, or wiring another profile), so
//! nothing outside that directory is ever looked at.

use std::path::PathBuf;

/// The clients `install` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Client {
    ClaudeDesktop,
    ClaudeCode,
    Cursor,
    VsCode,
    Codex,
}

impl Client {
    /// Every client, in the order `doctor` lists them.
    pub const ALL: [Client; 5] = [
        Client::ClaudeDesktop,
        Client::ClaudeCode,
        Client::Cursor,
        Client::VsCode,
        Client::Codex,
    ];

    /// The name on the command line (`install claude-desktop`).
    pub fn id(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "claude-desktop",
            Client::ClaudeCode => "claude-code",
            Client::Cursor => "cursor",
            Client::VsCode => "vscode",
            Client::Codex => "codex",
        }
    }

    /// The product's own name, for messages.
    pub fn title(self) -> &'static str {
        match self {
            Client::ClaudeDesktop => "Claude Desktop",
            Client::ClaudeCode => "Claude Code",
            Client::Cursor => "Cursor",
            Client::VsCode => "VS Code",
            Client::Codex => "Codex",
        }
    }
}

impl std::fmt::Display for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

impl std::str::FromStr for Client {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.to_ascii_lowercase();
        Client::ALL
            .into_iter()
            .find(|c| c.id() == wanted)
            .ok_or_else(|| {
                let ids: Vec<&str> = Client::ALL.iter().map(|c| c.id()).collect();
                format!("unknown client {s:?}: use one of {}", ids.join(", "))
            })
    }
}

/// The operating systems the table covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    MacOs,
    Windows,
}

impl Os {
    /// The OS this binary was built for.
    pub fn current() -> Os {
        if cfg!(windows) {
            Os::Windows
        } else if cfg!(target_os = "macos") {
            Os::MacOs
        } else {
            Os::Linux
        }
    }
}

/// Set, it is the only root: every client's config is looked for as if it were the home
/// directory (`%APPDATA%`, `$XDG_CONFIG_HOME` and `$CODEX_HOME` are ignored).
pub const CLIENT_HOME_VAR: &str = "BACKUP_MCP_CLIENT_HOME";

/// The directories the table is rooted at, injected so tests can fake any OS.
#[derive(Debug, Clone, Default)]
pub struct Roots {
    pub home: PathBuf,
    /// `%APPDATA%` (Windows); defaults to `<home>\AppData\Roaming`.
    pub appdata: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME` (Linux); defaults to `<home>/.config`.
    pub xdg_config: Option<PathBuf>,
    /// `$CODEX_HOME`; defaults to `<home>/.codex`.
    pub codex_home: Option<PathBuf>,
}

impl Roots {
    /// The roots of this machine, from the environment and the home directory; only
    /// `<BACKUP_MCP_CLIENT_HOME>` when that is set.
    pub fn from_env() -> Option<Roots> {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        if let Some(home) = var(CLIENT_HOME_VAR) {
            return Some(Roots {
                home,
                ..Roots::default()
            });
        }
        let home = directories::BaseDirs::new()?.home_dir().to_path_buf();
        Some(Roots {
            home,
            appdata: var("APPDATA"),
            xdg_config: var("XDG_CONFIG_HOME"),
            codex_home: var("CODEX_HOME"),
        })
    }

    /// The per-user application-config directory of `os`.
    fn app_config(&self, os: Os) -> PathBuf {
        match os {
            Os::Windows => self
                .appdata
                .clone()
                .unwrap_or_else(|| self.home.join("AppData").join("Roaming")),
            Os::MacOs => self.home.join("Library").join("Application Support"),
            Os::Linux => self
                .xdg_config
                .clone()
                .unwrap_or_else(|| self.home.join(".config")),
        }
    }
}

/// The config file of `client` on `os`.
pub fn config_path(client: Client, os: Os, roots: &Roots) -> PathBuf {
    match client {
        Client::ClaudeDesktop => roots
            .app_config(os)
            .join("Claude")
            .join("claude_desktop_config.json"),
        Client::ClaudeCode => roots.home.join(".claude.json"),
        Client::Cursor => roots.home.join(".cursor").join("mcp.json"),
        Client::VsCode => roots
            .app_config(os)
            .join("Code")
            .join("User")
            .join("mcp.json"),
        Client::Codex => roots
            .codex_home
            .clone()
            .unwrap_or_else(|| roots.home.join(".codex"))
            .join("config.toml"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roots(home: &str) -> Roots {
        Roots {
            home: PathBuf::from(home),
            ..Roots::default()
        }
    }

    fn p(parts: &[&str]) -> PathBuf {
        parts.iter().collect()
    }

    #[test]
    fn the_table_for_every_os() {
        use Client::*;
        let lin = roots("/home/a");
        let mac = roots("/Users/a");
        let win = Roots {
            appdata: Some(PathBuf::from("C:/Users/a/AppData/Roaming")),
            ..roots("C:/Users/a")
        };
        let rows: [(Client, Os, &Roots, PathBuf); 15] = [
            (
                ClaudeDesktop,
                Os::Linux,
                &lin,
                p(&["/home/a", ".config", "Claude", "claude_desktop_config.json"]),
            ),
            (
                ClaudeDesktop,
                Os::MacOs,
                &mac,
                p(&[
                    "/Users/a",
                    "Library",
                    "Application Support",
                    "Claude",
                    "claude_desktop_config.json",
                ]),
            ),
            (
                ClaudeDesktop,
                Os::Windows,
                &win,
                p(&[
                    "C:/Users/a/AppData/Roaming",
                    "Claude",
                    "claude_desktop_config.json",
                ]),
            ),
            (ClaudeCode, Os::Linux, &lin, p(&["/home/a", ".claude.json"])),
            (
                ClaudeCode,
                Os::MacOs,
                &mac,
                p(&["/Users/a", ".claude.json"]),
            ),
            (
                ClaudeCode,
                Os::Windows,
                &win,
                p(&["C:/Users/a", ".claude.json"]),
            ),
            (
                Cursor,
                Os::Linux,
                &lin,
                p(&["/home/a", ".cursor", "mcp.json"]),
            ),
            (
                Cursor,
                Os::MacOs,
                &mac,
                p(&["/Users/a", ".cursor", "mcp.json"]),
            ),
            (
                Cursor,
                Os::Windows,
                &win,
                p(&["C:/Users/a", ".cursor", "mcp.json"]),
            ),
            (
                VsCode,
                Os::Linux,
                &lin,
                p(&["/home/a", ".config", "Code", "User", "mcp.json"]),
            ),
            (
                VsCode,
                Os::MacOs,
                &mac,
                p(&[
                    "/Users/a",
                    "Library",
                    "Application Support",
                    "Code",
                    "User",
                    "mcp.json",
                ]),
            ),
            (
                VsCode,
                Os::Windows,
                &win,
                p(&["C:/Users/a/AppData/Roaming", "Code", "User", "mcp.json"]),
            ),
            (
                Codex,
                Os::Linux,
                &lin,
                p(&["/home/a", ".codex", "config.toml"]),
            ),
            (
                Codex,
                Os::MacOs,
                &mac,
                p(&["/Users/a", ".codex", "config.toml"]),
            ),
            (
                Codex,
                Os::Windows,
                &win,
                p(&["C:/Users/a", ".codex", "config.toml"]),
            ),
        ];
        for (client, os, roots, want) in rows {
            assert_eq!(config_path(client, os, roots), want, "{client:?} on {os:?}");
        }
    }

    #[test]
    fn client_names_round_trip() {
        for client in Client::ALL {
            assert_eq!(client.id().parse::<Client>(), Ok(client));
        }
        assert_eq!("VSCode".parse::<Client>(), Ok(Client::VsCode));
        let err = "zed".parse::<Client>().unwrap_err();
        assert!(
            err.contains("claude-desktop") && err.contains("codex"),
            "{err}"
        );
    }

    #[test]
    fn overrides_win_over_the_defaults() {
        let r = Roots {
            xdg_config: Some(PathBuf::from("/x")),
            codex_home: Some(PathBuf::from("/c")),
            ..roots("/home/a")
        };
        assert_eq!(
            config_path(Client::ClaudeDesktop, Os::Linux, &r),
            p(&["/x", "Claude", "claude_desktop_config.json"])
        );
        assert_eq!(
            config_path(Client::Codex, Os::Linux, &r),
            p(&["/c", "config.toml"])
        );
        let w = roots("C:/Users/a");
        assert_eq!(
            config_path(Client::ClaudeDesktop, Os::Windows, &w),
            p(&[
                "C:/Users/a",
                "AppData",
                "Roaming",
                "Claude",
                "claude_desktop_config.json"
            ])
        );
    }
}
