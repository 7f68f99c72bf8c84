//! Black-box tests of `install <client>` and `uninstall <client>`: the built binary against
//! fixture config files in a fake home (`BACKUP_MCP_CLIENT_HOME`), for every client and every
//! starting state (absent, empty, other servers, our entry already there, invalid).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use backup_mcp::install::paths::{Client, Os, Roots, config_path};
use common::*;
use serde_json::{Value, json};

/// A sandbox whose clients live under `<sandbox>/clients`.
struct Clients {
    sb: Sandbox,
}

impl Clients {
    fn new() -> Self {
        Clients { sb: Sandbox::new() }
    }

    fn home(&self) -> PathBuf {
        self.sb.dir.path().join("clients")
    }

    fn config(&self, client: Client) -> PathBuf {
        let roots = Roots {
            home: self.home(),
            ..Roots::default()
        };
        config_path(client, Os::current(), &roots)
    }

    fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut cmd = self.sb.command(args);
        cmd.env("BACKUP_MCP_CLIENT_HOME", self.home())
            // Never written into an entry, whatever install finds in its environment.
            .env("BACKUP_MCP_PASSWORD", NOVA_PASSWORD);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run backup-mcp")
    }

    fn install(&self, client: Client, extra: &[&str]) -> Output {
        let mut args = vec!["install", client.id()];
        args.extend_from_slice(extra);
        self.run(&args, &[])
    }

    fn uninstall(&self, client: Client) -> Output {
        self.run(&["uninstall", client.id()], &[])
    }

    fn write(&self, client: Client, text: &str) {
        let path = self.config(client);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn read(&self, client: Client) -> String {
        std::fs::read_to_string(self.config(client)).unwrap()
    }

    /// Every file under the fake home, with its contents.
    fn snapshot(&self) -> Vec<(PathBuf, Vec<u8>)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.push((p.clone(), Vec::new()));
                    walk(&p, out);
                } else {
                    out.push((p.clone(), std::fs::read(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.home(), &mut out);
        out.sort();
        out
    }

    fn backups(&self, client: Client) -> Vec<PathBuf> {
        let path = self.config(client);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir(path.parent().unwrap()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                let f = p.file_name().unwrap().to_string_lossy();
                f.starts_with(&format!("{name}.")) && f.ends_with(".bak")
            })
            .collect()
    }
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        stdout(out),
        stderr(out)
    );
}

/// The path the binary under test reports as its own.
fn this_binary() -> String {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_backup-mcp"));
    let exe = if cfg!(unix) {
        std::fs::canonicalize(&exe).unwrap()
    } else {
        exe
    };
    exe.to_str().unwrap().to_owned()
}

/// The servers of a config, as values (codex's TOML turned into JSON).
fn servers(client: Client, text: &str) -> serde_json::Map<String, Value> {
    let value: Value = match client {
        Client::Codex => {
            let t: toml::Table = text.parse().unwrap();
            let v = serde_json::to_value(t).unwrap();
            json!({"mcpServers": v.get("mcp_servers").cloned().unwrap_or(json!({}))})
        }
        _ => serde_json::from_str(text).unwrap(),
    };
    let key = if client == Client::VsCode {
        "servers"
    } else {
        "mcpServers"
    };
    value
        .get(key)
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// A config with two other servers and settings we know nothing about, as the client writes it.
fn with_others(client: Client) -> String {
    match client {
        Client::Codex => "# Codex settings\nmodel = \"o3\"  # pinned\n\n[mcp_servers.files]\ncommand = \"npx\"\nargs = [\"-y\", \"@modelcontextprotocol/server-filesystem\", \"/srv\"]\n\n[mcp_servers.github]\ncommand = \"docker\"\nargs = [\"run\", \"-i\", \"ghcr.io/github/github-mcp-server\"]\nenv = { GITHUB_TOKEN = \"ghp_fixture_token\" }\n".into(),
        _ => {
            let key = if client == Client::VsCode { "servers" } else { "mcpServers" };
            format!(
                "{{\n  \"theme\": \"dark\",\n  \"{key}\": {{\n    \"files\": {{\n      \"command\": \"npx\",\n      \"args\": [\n        \"-y\",\n        \"@modelcontextprotocol/server-filesystem\",\n        \"/srv\"\n      ]\n    }},\n    \"github\": {{\n      \"command\": \"docker\",\n      \"args\": [\"run\", \"-i\", \"ghcr.io/github/github-mcp-server\"],\n      \"env\": {{\"GITHUB_TOKEN\": \"ghp_fixture_token\"}},\n      \"x-weight\": 1.50\n    }}\n  }},\n  \"numStartups\": 12,\n  \"tips\": {{\"shown\": [1, 2, 3]}}\n}}\n"
            )
        }
    }
}

/// Our entry from an older install, with a variable the user added by hand.
fn with_ours(client: Client) -> String {
    match client {
        Client::Codex => "[mcp_servers.backup-mcp]\ncommand = \"/old/place/backup-mcp\"\nargs = [\"serve\"]\nenv = { BACKUP_MCP_READONLY = \"false\" }\n\n[mcp_servers.files]\ncommand = \"npx\"\n".into(),
        _ => {
            let key = if client == Client::VsCode { "servers" } else { "mcpServers" };
            format!(
                "{{\n  \"{key}\": {{\n    \"backup-mcp\": {{\n      \"command\": \"/old/place/backup-mcp\",\n      \"args\": [\n        \"serve\"\n      ],\n      \"env\": {{\n        \"BACKUP_MCP_READONLY\": \"false\"\n      }}\n    }},\n    \"files\": {{\n      \"command\": \"npx\"\n    }}\n  }}\n}}\n"
            )
        }
    }
}

fn invalid(client: Client) -> &'static str {
    match client {
        Client::Codex => "[mcp_servers.files]\ncommand = \"npx\"\nargs = [\"-y\"\n",
        _ => "{\n  \"mcpServers\": {\n    \"files\": {\"command\": \"npx\",}\n  }\n}\n",
    }
}

fn assert_ours(client: Client, entry: &Value) {
    assert_eq!(
        entry["command"],
        this_binary().as_str(),
        "{client}: {entry}"
    );
    assert_eq!(entry["args"], json!(["serve"]), "{client}: {entry}");
    if matches!(client, Client::VsCode | Client::ClaudeCode) {
        assert_eq!(entry["type"], "stdio", "{client}: {entry}");
    }
}

#[test]
fn absent_config_is_created_and_a_second_run_changes_nothing() {
    for client in Client::ALL {
        let c = Clients::new();
        let out = c.install(client, &[]);
        ok(&out);
        let text = stdout(&out);
        assert!(text.contains("Restart"), "{client}: {text}");
        let servers = servers(client, &c.read(client));
        assert_eq!(servers.len(), 1, "{client}");
        assert_ours(client, &servers["backup-mcp"]);
        assert!(
            servers["backup-mcp"].get("env").is_none(),
            "{client}: default store, no env"
        );
        assert!(!c.read(client).contains(NOVA_PASSWORD));
        #[cfg(unix)]
        assert_eq!(mode(&c.config(client)), 0o600, "{client}");

        let before = c.snapshot();
        let out = c.install(client, &[]);
        ok(&out);
        assert!(
            stdout(&out).contains("nothing changed"),
            "{client}: {}",
            stdout(&out)
        );
        assert_eq!(
            c.snapshot(),
            before,
            "{client}: a second run wrote something"
        );

        ok(&c.uninstall(client));
        assert!(servers_of(&c, client).is_empty(), "{client}");
        let out = c.uninstall(client);
        ok(&out);
        assert!(stdout(&out).contains("nothing changed"), "{client}");
    }
}

fn servers_of(c: &Clients, client: Client) -> serde_json::Map<String, Value> {
    servers(client, &c.read(client))
}

#[test]
fn an_empty_file_takes_the_entry() {
    for client in Client::ALL {
        let c = Clients::new();
        c.write(client, "");
        ok(&c.install(client, &[]));
        assert_ours(client, &servers_of(&c, client)["backup-mcp"]);
        assert!(
            c.backups(client).is_empty(),
            "{client}: nothing worth keeping"
        );
    }
}

#[test]
fn other_entries_stay_byte_for_byte_and_uninstall_restores_the_file() {
    for client in Client::ALL {
        let c = Clients::new();
        let original = with_others(client);
        c.write(client, &original);
        let out = c.install(client, &[]);
        ok(&out);
        let merged = c.read(client);
        let after = servers(client, &merged);
        let before = servers(client, &original);
        for (name, entry) in &before {
            assert_eq!(&after[name], entry, "{client}: {name} changed");
        }
        assert_eq!(after.len(), 3, "{client}");
        assert_ours(client, &after["backup-mcp"]);
        // Not just equivalent: the other servers' text is there as it was written.
        let github = match client {
            Client::Codex => {
                "[mcp_servers.github]\ncommand = \"docker\"\nargs = [\"run\", \"-i\", \"ghcr.io/github/github-mcp-server\"]\nenv = { GITHUB_TOKEN = \"ghp_fixture_token\" }\n"
            }
            _ => {
                "\"args\": [\"run\", \"-i\", \"ghcr.io/github/github-mcp-server\"],\n      \"env\": {\"GITHUB_TOKEN\": \"ghp_fixture_token\"},\n      \"x-weight\": 1.50\n"
            }
        };
        assert!(merged.contains(github), "{client}:\n{merged}");
        let backups = c.backups(client);
        assert_eq!(backups.len(), 1, "{client}");
        assert_eq!(std::fs::read_to_string(&backups[0]).unwrap(), original);
        assert!(stdout(&out).contains(&backups[0].display().to_string()));

        let out = c.install(client, &[]);
        ok(&out);
        assert_eq!(c.read(client), merged, "{client}: not idempotent");
        assert_eq!(
            c.backups(client).len(),
            1,
            "{client}: no backup for no change"
        );

        ok(&c.uninstall(client));
        assert_eq!(
            c.read(client),
            original,
            "{client}: uninstall did not restore"
        );
    }
}

#[test]
fn dry_run_prints_the_change_and_writes_nothing() {
    for client in Client::ALL {
        let c = Clients::new();
        let out = c.install(client, &["--dry-run"]);
        ok(&out);
        assert!(c.snapshot().is_empty(), "{client}: a dry run created files");
        let text = stdout(&out);
        assert!(
            text.contains("Dry run: nothing was written"),
            "{client}: {text}"
        );
        assert!(
            text.contains("+ ") && text.contains(&this_binary()),
            "{text}"
        );

        c.write(client, &with_others(client));
        let before = c.snapshot();
        ok(&c.install(client, &["--dry-run"]));
        assert_eq!(c.snapshot(), before, "{client}");
        ok(&c.install(client, &[]));
        let installed = c.snapshot();
        let out = c.run(&["uninstall", client.id(), "--dry-run"], &[]);
        ok(&out);
        assert!(stdout(&out).contains("- "), "{client}: {}", stdout(&out));
        assert_eq!(c.snapshot(), installed, "{client}");
    }
}

#[test]
fn an_older_entry_of_ours_is_updated_and_keeps_the_users_variables() {
    for client in Client::ALL {
        let c = Clients::new();
        c.write(client, &with_ours(client));
        let out = c.install(client, &[]);
        ok(&out);
        assert!(
            stdout(&out).contains("Updated"),
            "{client}: {}",
            stdout(&out)
        );
        assert!(
            stdout(&out).contains("/old/place/backup-mcp"),
            "shows what it replaced"
        );
        let servers = servers_of(&c, client);
        assert_ours(client, &servers["backup-mcp"]);
        assert_eq!(
            servers["backup-mcp"]["env"],
            json!({"BACKUP_MCP_READONLY": "false"}),
            "{client}"
        );
        assert_eq!(servers["files"]["command"], "npx", "{client}");
        ok(&c.uninstall(client));
        let left = servers_of(&c, client);
        assert_eq!(left.keys().collect::<Vec<_>>(), ["files"], "{client}");
    }
}

#[test]
fn an_invalid_file_is_left_untouched_and_named_with_the_position() {
    for client in Client::ALL {
        let c = Clients::new();
        c.write(client, invalid(client));
        let before = c.snapshot();
        for args in [&["install", client.id()][..], &["uninstall", client.id()]] {
            let out = c.run(args, &[]);
            assert_eq!(out.status.code(), Some(1), "{client} {args:?}");
            let err = stderr(&out);
            assert!(
                err.contains(&c.config(client).display().to_string()),
                "{client}: {err}"
            );
            assert!(err.contains("line ") && err.contains("column "), "{err}");
            assert!(err.contains("left untouched"), "{err}");
            assert_eq!(c.snapshot(), before, "{client}");
        }
    }
}

#[test]
fn name_store_and_npm_shape_the_entry() {
    let c = Clients::new();
    let client = Client::ClaudeDesktop;
    ok(&c.install(client, &["--name", "backup-eu"]));
    let elsewhere = c.sb.dir.path().join("elsewhere").join("creds.json");
    let out = c.run(
        &["install", client.id()],
        &[
            ("BACKUP_MCP_CREDENTIALS_FILE", elsewhere.to_str().unwrap()),
            ("BACKUP_MCP_LAUNCHER", "npm"),
            ("BACKUP_MCP_NPM_VERSION", "1.2.3"),
        ],
    );
    ok(&out);
    let servers = servers_of(&c, client);
    assert_ours(client, &servers["backup-eu"]);
    let npm = &servers["backup-mcp"];
    let npx = json!(["-y", "backup-mcp@1.2.3", "serve"]);
    if cfg!(windows) {
        assert_eq!(npm["command"], "cmd");
    } else {
        assert_eq!(npm["command"], "npx");
        assert_eq!(npm["args"], npx);
    }
    assert_eq!(
        npm["env"],
        json!({"BACKUP_MCP_CREDENTIALS_FILE": elsewhere.to_str().unwrap()})
    );

    // The default place spelled out is still the default place: no variable.
    let default = c.sb.credentials();
    ok(&c.run(
        &["install", client.id(), "--name", "backup-eu"],
        &[("BACKUP_MCP_CREDENTIALS_FILE", default.to_str().unwrap())],
    ));
    assert!(servers_of(&c, client)["backup-eu"].get("env").is_none());

    let out = c.install(client, &["--name", "bad name"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("invalid entry name"));
    let out = c.run(&["install", "zed"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("claude-desktop"), "{}", stderr(&out));
}

#[test]
fn an_entry_of_that_name_running_something_else_is_not_replaced() {
    let c = Clients::new();
    let client = Client::Cursor;
    let text =
        "{\"mcpServers\": {\"backup-mcp\": {\"command\": \"node\", \"args\": [\"mine.js\"]}}}";
    c.write(client, text);
    for args in [&["install", "cursor"][..], &["uninstall", "cursor"]] {
        let out = c.run(args, &[]);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(stderr(&out).contains("--name"), "{}", stderr(&out));
        assert_eq!(c.read(client), text);
    }
    ok(&c.install(client, &["--name", "backup"]));
    assert_eq!(servers_of(&c, client).len(), 2);
}

#[test]
fn an_explicit_config_file_is_used_instead_of_the_clients_own() {
    let c = Clients::new();
    let file =
        c.sb.dir
            .path()
            .join("project")
            .join(".vscode")
            .join("mcp.json");
    let arg = file.to_str().unwrap();
    ok(&c.install(Client::VsCode, &["--config", arg]));
    let text = std::fs::read_to_string(&file).unwrap();
    assert_ours(
        Client::VsCode,
        &servers(Client::VsCode, &text)["backup-mcp"],
    );
    assert!(!c.config(Client::VsCode).exists());
}

#[test]
fn concurrent_installs_under_different_names_all_land() {
    let c = Clients::new();
    let client = Client::ClaudeCode;
    c.write(client, &with_others(client));
    let names: Vec<String> = (0..6).map(|i| format!("backup-{i}")).collect();
    let children: Vec<_> = names
        .iter()
        .map(|name| {
            c.sb.command(&["install", client.id(), "--name", name])
                .env("BACKUP_MCP_CLIENT_HOME", c.home())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let servers = servers_of(&c, client);
    for name in &names {
        assert_ours(client, &servers[name.as_str()]);
    }
    assert_eq!(servers.len(), 2 + names.len());
}
