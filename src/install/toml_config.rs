//! Codex's `config.toml`: one `[mcp_servers.<name>]` table, through `toml_edit` so the user's
//! comments, layout and every other table stay as written.
//!
//! As in the JSON configs, we own `command`, `args` and the `BACKUP_MCP_CREDENTIALS_FILE`
//! variable of our entry; its other keys (`startup_timeout_sec`, other variables) stay.

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, value};

use super::launch::{CREDENTIALS_VAR, Launch};
use super::{Edit, Problem};

const CONTAINER: &str = "mcp_servers";

/// A parsed `config.toml`.
#[derive(Debug)]
pub struct TomlConfig {
    doc: DocumentMut,
}

impl TomlConfig {
    pub fn parse(text: &str) -> Result<TomlConfig, Problem> {
        let doc = text.parse::<DocumentMut>().map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| position(text, span.start))
                .unwrap_or((1, 1));
            // Only the message: the error's full text quotes the line, which may hold a secret.
            Problem::Syntax {
                line,
                column,
                message: e.message().trim().to_owned(),
            }
        })?;
        let config = TomlConfig { doc };
        if config.doc.get(CONTAINER).is_some() && config.servers().is_none() {
            return Err(not_a_table());
        }
        Ok(config)
    }

    /// Every server entry with a command, in file order.
    pub fn entries(&self) -> Vec<(String, Launch)> {
        self.servers()
            .map(|servers| {
                servers
                    .iter()
                    .filter_map(|(name, item)| Some((name.to_owned(), read_launch(item)?)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sets our entry to run `launch`.
    pub fn upsert(&mut self, name: &str, launch: &Launch) -> Result<Edit, Problem> {
        let before = self.snapshot(name);
        let servers = self.servers_mut()?;
        if servers.get(name).is_none() {
            servers.insert(name, Item::Table(Table::new()));
        }
        let entry = servers
            .get_mut(name)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(|| Problem::Shape(format!("mcp_servers.{name} is not a table")))?;
        entry.insert("command", value(launch.command.as_str()));
        entry.insert(
            "args",
            value(launch.args.iter().map(String::as_str).collect::<Array>()),
        );
        match launch.env_var(CREDENTIALS_VAR) {
            Some(path) => {
                if entry.get("env").is_none() {
                    entry.insert("env", value(InlineTable::new()));
                }
                let env = entry
                    .get_mut("env")
                    .and_then(Item::as_table_like_mut)
                    .ok_or_else(|| {
                        Problem::Shape(format!("mcp_servers.{name}.env is not a table"))
                    })?;
                env.insert(CREDENTIALS_VAR, value(path));
            }
            None => {
                let emptied = entry
                    .get_mut("env")
                    .and_then(Item::as_table_like_mut)
                    .map(|env| {
                        env.remove(CREDENTIALS_VAR);
                        env.is_empty()
                    });
                if emptied == Some(true) {
                    entry.remove("env");
                }
            }
        }
        Ok(self.edit(name, before))
    }

    pub fn remove(&mut self, name: &str) -> Result<Edit, Problem> {
        let before = self.snapshot(name);
        if before.is_some() {
            self.servers_mut()?.remove(name);
        }
        Ok(self.edit(name, before))
    }

    pub fn render(&self) -> String {
        self.doc.to_string()
    }

    fn edit(&self, name: &str, before: Option<(Launch, String)>) -> Edit {
        let after = self.snapshot(name);
        Edit {
            changed: before.as_ref().map(|b| &b.0) != after.as_ref().map(|a| &a.0),
            before: before.map(|b| b.1),
            after: after.map(|a| a.1),
        }
    }

    /// Our entry's launch and its text as a `[mcp_servers.<name>]` table of its own.
    fn snapshot(&self, name: &str) -> Option<(Launch, String)> {
        let item = self.servers()?.get(name)?;
        let mut alone = DocumentMut::new();
        let mut servers = Table::new();
        servers.set_implicit(true);
        let mut entry = Table::new();
        for (k, v) in item.as_table_like()?.iter() {
            entry.insert(k, v.clone());
        }
        servers.insert(name, Item::Table(entry));
        alone.insert(CONTAINER, Item::Table(servers));
        // A launch without a command still counts, so an entry of ours that lost it is seen.
        let launch = read_launch(item).unwrap_or_default();
        Some((launch, alone.to_string().trim_end().to_owned()))
    }

    fn servers(&self) -> Option<&dyn TableLike> {
        self.doc.get(CONTAINER)?.as_table_like()
    }

    fn servers_mut(&mut self) -> Result<&mut dyn TableLike, Problem> {
        let table = self.doc.as_table_mut();
        if table.get(CONTAINER).is_none() {
            let mut servers = Table::new();
            // Only `[mcp_servers.<name>]` headers, no empty `[mcp_servers]`.
            servers.set_implicit(true);
            table.insert(CONTAINER, Item::Table(servers));
        }
        table
            .get_mut(CONTAINER)
            .and_then(Item::as_table_like_mut)
            .ok_or_else(not_a_table)
    }
}

fn not_a_table() -> Problem {
    Problem::Shape(format!("{CONTAINER} is not a table"))
}

fn read_launch(item: &Item) -> Option<Launch> {
    let entry = item.as_table_like()?;
    let args = entry
        .get("args")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let env = entry
        .get("env")
        .and_then(Item::as_table_like)
        .map(|env| {
            env.iter()
                .filter_map(|(k, v)| Some((k.to_owned(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Some(Launch {
        command: entry.get("command")?.as_str()?.to_owned(),
        args,
        env,
    })
}

/// The 1-based line and column (in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> (usize, usize) {
    let mut end = offset.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::launch::Origin;
    use crate::install::paths::Os;

    fn ours(creds: Option<&str>) -> Launch {
        Launch::new(
            &Origin::Binary("/opt/backup-mcp".into()),
            Os::Linux,
            creds.map(std::path::Path::new),
        )
        .unwrap()
    }

    const TEXT: &str = "# my codex settings\nmodel = \"o3\" # keep\n\n[mcp_servers.fs]\ncommand = \"npx\"\nargs = [\"-y\", \"fs\"] # files\n";

    #[test]
    fn comments_and_other_tables_stay_and_a_second_run_changes_nothing() {
        let mut c = TomlConfig::parse(TEXT).unwrap();
        let edit = c
            .upsert("backup-mcp", &ours(Some("/c/creds.json")))
            .unwrap();
        assert!(edit.changed);
        let out = c.render();
        assert!(out.starts_with(TEXT), "{out}");
        assert!(
            out.ends_with("[mcp_servers.backup-mcp]\ncommand = \"/opt/backup-mcp\"\nargs = [\"serve\"]\nenv = { BACKUP_MCP_CREDENTIALS_FILE = \"/c/creds.json\" }\n"),
            "{out}"
        );
        let mut again = TomlConfig::parse(&out).unwrap();
        assert!(
            !again
                .upsert("backup-mcp", &ours(Some("/c/creds.json")))
                .unwrap()
                .changed
        );
        assert!(again.upsert("backup-mcp", &ours(None)).unwrap().changed);
        assert!(!again.render().contains("env"));
        assert!(again.remove("backup-mcp").unwrap().changed);
        assert_eq!(again.render(), TEXT);
        assert_eq!(again.entries().len(), 1);
    }

    #[test]
    fn a_bad_file_is_named_by_position_without_its_text() {
        let err = TomlConfig::parse("a = 1\nb = = \"secret-value\"\n").unwrap_err();
        match err {
            Problem::Syntax { line, message, .. } => {
                assert_eq!(line, 2);
                assert!(!message.contains("secret-value"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            TomlConfig::parse("mcp_servers = 3\n").unwrap_err(),
            Problem::Shape(_)
        ));
    }
}
