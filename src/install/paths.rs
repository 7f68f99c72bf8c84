//! Where each MCP client keeps its config file, on each OS.
//!
//! The roots (home, `%APPDATA%`, `$XDG_CONFIG_HOME`, `$CODEX_HOME`) are passed in rather than
//! read here, so the whole table is unit-tested for Windows, macOS and Linux on any machine.

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
    /// The roots of this machine, from the environment and the home directory.
    pub fn from_env() -> Option<Roots> {
        let home = directories::BaseDirs::new()?.home_dir().to_path_buf();
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
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
