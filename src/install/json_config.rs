//! The JSON configs (Claude Desktop, Claude Code, Cursor, VS Code): one server entry under a
//! top-level object (`mcpServers`, or `servers` for VS Code), everything else kept byte for byte.
//!
//! In our entry we own `command`, `args`, `type` (where the client wants it) and the
//! `BACKUP_MCP_CREDENTIALS_FILE` variable; other keys and variables the user added (for example
//! `BACKUP_MCP_READONLY`) stay.

use serde::Serialize;
use serde_json::Value;
use serde_json::ser::{CompactFormatter, PrettyFormatter, Serializer};

use super::launch::{CREDENTIALS_VAR, Launch};
use super::members::{Member, Members};
use super::{Edit, Problem};

/// Where a client keeps its servers, and whether each says `"type": "stdio"`.
#[derive(Debug, Clone, Copy)]
pub struct Dialect {
    pub container: &'static str,
    pub stdio_type: bool,
}

/// The layout to write back in: the file's own indent, or one line when it was one line.
#[derive(Debug, Clone)]
enum Style {
    Pretty(Vec<u8>),
    Compact,
}

/// A parsed JSON config.
#[derive(Debug)]
pub struct JsonConfig {
    members: Members,
    dialect: Dialect,
    style: Style,
    bom: bool,
    newline: bool,
}

impl JsonConfig {
    /// Parses `text` (empty or blank means an empty config).
    pub fn parse(text: &str, dialect: Dialect) -> Result<JsonConfig, Problem> {
        let bom = text.starts_with('\u{feff}');
        let body = text.trim_start_matches('\u{feff}');
        let members = if body.trim().is_empty() {
            Members::default()
        } else {
            serde_json::from_str::<Members>(body).map_err(|e| Problem::Syntax {
                line: e.line(),
                column: e.column(),
                message: syntax_message(&e),
            })?
        };
        let config = JsonConfig {
            members,
            dialect,
            style: detect_style(body),
            bom,
            newline: body.ends_with('\n') || body.trim().is_empty(),
        };
        config.servers()?;
        Ok(config)
    }

    /// Every server entry that is an object with a command, in file order.
    pub fn entries(&self) -> Vec<(String, Launch)> {
        let Ok(Some(Value::Object(servers))) = self.servers() else {
            return Vec::new();
        };
        servers
            .iter()
            .filter_map(|(name, v)| Some((name.clone(), read_launch(v)?)))
            .collect()
    }

    /// The entry named `name`, as the file has it.
    pub fn entry(&self, name: &str) -> Option<Value> {
        match self.servers() {
            Ok(Some(Value::Object(mut servers))) => servers.remove(name),
            _ => None,
        }
    }

    /// Sets our entry to run `launch`.
    pub fn upsert(&mut self, name: &str, launch: &Launch) -> Result<Edit, Problem> {
        let before = self.snapshot(name);
        let dialect = self.dialect;
        let servers = self.servers_mut()?;
        if servers.get(name).is_none() {
            servers.set(name, Member::Object(Members::default()));
        }
        let entry = servers
            .get_mut(name)
            .and_then(Member::as_object)
            .ok_or_else(|| Problem::Shape(format!("the entry {name:?} is not an object")))?;
        if dialect.stdio_type {
            entry.set("type", Member::Value("stdio".into()));
        }
        entry.set("command", Member::Value(launch.command.clone().into()));
        entry.set("args", Member::Value(launch.args.clone().into()));
        match launch.env_var(CREDENTIALS_VAR) {
            Some(path) => {
                if entry.get("env").is_none() {
                    entry.set("env", Member::Object(Members::default()));
                }
                let env = entry
                    .get_mut("env")
                    .and_then(Member::as_object)
                    .ok_or_else(|| Problem::Shape(format!("{name:?}'s env is not an object")))?;
                env.set(CREDENTIALS_VAR, Member::Value(path.into()));
            }
            None => {
                if let Some(env) = entry.get_mut("env").and_then(Member::as_object) {
                    env.remove(CREDENTIALS_VAR);
                    if env.0.is_empty() {
                        entry.remove("env");
                    }
                }
            }
        }
        Ok(self.edit(name, before))
    }

    /// Removes the entry named `name`.
    pub fn remove(&mut self, name: &str) -> Result<Edit, Problem> {
        let before = self.snapshot(name);
        if before.is_some() {
            self.servers_mut()?.remove(name);
        }
        Ok(self.edit(name, before))
    }

    /// The whole file, in its own layout.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let written = match &self.style {
            Style::Pretty(indent) => self.members.serialize(&mut Serializer::with_formatter(
                &mut out,
                PrettyFormatter::with_indent(indent),
            )),
            Style::Compact => self
                .members
                .serialize(&mut Serializer::with_formatter(&mut out, CompactFormatter)),
        };
        // Writing JSON into memory cannot fail, and every raw value came from valid JSON.
        debug_assert!(written.is_ok());
        let mut text = String::from_utf8(out).unwrap_or_default();
        if self.bom {
            text.insert(0, '\u{feff}');
        }
        if self.newline {
            text.push('\n');
        }
        text
    }

    /// The entry before and after, for idempotency and `--dry-run`.
    fn edit(&self, name: &str, before: Option<(Value, String)>) -> Edit {
        let after = self.snapshot(name);
        Edit {
            changed: before.as_ref().map(|b| &b.0) != after.as_ref().map(|a| &a.0),
            before: before.map(|b| b.1),
            after: after.map(|a| a.1),
        }
    }

    /// Our entry's value and its text as `"name": {...}`, in the file's order of keys.
    fn snapshot(&self, name: &str) -> Option<(Value, String)> {
        let value = self.entry(name)?;
        let text = match self.members.get(self.dialect.container)? {
            Member::Object(servers) => pretty(servers.get(name)?),
            Member::Raw(raw) => {
                let servers: Members = serde_json::from_str(raw.get()).ok()?;
                pretty(servers.get(name)?)
            }
            Member::Value(_) => return None,
        };
        let key = serde_json::to_string(name).unwrap_or_default();
        Some((value, format!("{key}: {text}")))
    }

    /// The container as a value, refusing one that is not an object.
    fn servers(&self) -> Result<Option<Value>, Problem> {
        match self
            .members
            .get(self.dialect.container)
            .map(Member::to_value)
        {
            None => Ok(None),
            Some(v @ Value::Object(_)) => Ok(Some(v)),
            Some(_) => Err(self.not_an_object()),
        }
    }

    fn servers_mut(&mut self) -> Result<&mut Members, Problem> {
        let key = self.dialect.container;
        if self.members.get(key).is_none() {
            self.members.set(key, Member::Object(Members::default()));
        }
        let problem = self.not_an_object();
        self.members
            .get_mut(key)
            .and_then(Member::as_object)
            .ok_or(problem)
    }

    fn not_an_object(&self) -> Problem {
        Problem::Shape(format!("{:?} is not an object", self.dialect.container))
    }
}

fn pretty(member: &Member) -> String {
    serde_json::to_string_pretty(&member.expanded()).unwrap_or_default()
}

/// A server entry's launch, when it is an object with a string `command`.
fn read_launch(entry: &Value) -> Option<Launch> {
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let env = entry
        .get("env")
        .and_then(Value::as_object)
        .map(|env| {
            env.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Some(Launch {
        command: entry.get("command")?.as_str()?.to_owned(),
        args: strings(entry.get("args")),
        env,
    })
}

/// The file's indent (whatever precedes its first key), or compact when it is one line.
fn detect_style(body: &str) -> Style {
    let trimmed = body.trim();
    if !trimmed.is_empty() && !trimmed.contains('\n') {
        return Style::Compact;
    }
    let indent = trimmed
        .strip_prefix('{')
        .and_then(|rest| rest.split_once('\n'))
        .map(|(_, next)| {
            next.chars()
                .take_while(|c| *c == ' ' || *c == '\t')
                .collect::<String>()
        })
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| "  ".to_owned());
    Style::Pretty(indent.into_bytes())
}

/// serde_json's text without its " at line N column M" (the position is reported apart). Its
/// syntax messages never quote the file's content, which may hold other servers' secrets.
fn syntax_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::install::launch::Origin;
    use crate::install::paths::Os;

    const DESKTOP: Dialect = Dialect {
        container: "mcpServers",
        stdio_type: false,
    };

    fn ours() -> Launch {
        Launch::new(&Origin::Binary("/opt/backup-mcp".into()), Os::Linux, None).unwrap()
    }

    #[test]
    fn others_keep_their_bytes_and_a_second_run_changes_nothing() {
        let text = "{\n    \"mcpServers\": {\n        \"fs\": {\"command\": \"npx\", \"args\": [ \"-y\" ],\n  \"n\": 1.50}\n    },\n    \"theme\": \"dark\"\n}\n";
        let mut c = JsonConfig::parse(text, DESKTOP).unwrap();
        let edit = c.upsert("backup-mcp", &ours()).unwrap();
        assert!(edit.changed && edit.before.is_none());
        let out = c.render();
        assert!(
            out.contains("\"fs\": {\"command\": \"npx\", \"args\": [ \"-y\" ],\n  \"n\": 1.50}"),
            "{out}"
        );
        assert!(
            out.contains("\n        \"backup-mcp\": {\n            \"command\""),
            "{out}"
        );
        assert!(out.ends_with("\"theme\": \"dark\"\n}\n"), "{out}");

        let mut again = JsonConfig::parse(&out, DESKTOP).unwrap();
        assert!(!again.upsert("backup-mcp", &ours()).unwrap().changed);
        let removed = again.remove("backup-mcp").unwrap();
        assert!(removed.changed && removed.after.is_none());
        assert_eq!(again.render(), text);
    }

    #[test]
    fn a_user_env_variable_stays_and_ours_follows_the_store() {
        let text = r#"{"mcpServers":{"backup-mcp":{"command":"/old","env":{"BACKUP_MCP_READONLY":"false","BACKUP_MCP_CREDENTIALS_FILE":"/x"}}}}"#;
        let mut c = JsonConfig::parse(text, DESKTOP).unwrap();
        c.upsert("backup-mcp", &ours()).unwrap();
        let entry = c.entry("backup-mcp").unwrap();
        assert_eq!(
            entry["env"],
            serde_json::json!({"BACKUP_MCP_READONLY": "false"})
        );
        assert_eq!(entry["command"], "/opt/backup-mcp");
        assert!(!c.render().contains('\n'), "a one-line file stays one line");
    }

    #[test]
    fn vscode_entries_say_stdio() {
        let vs = Dialect {
            container: "servers",
            stdio_type: true,
        };
        let mut c = JsonConfig::parse("", vs).unwrap();
        c.upsert("b", &ours()).unwrap();
        let v: Value = serde_json::from_str(&c.render()).unwrap();
        assert_eq!(v["servers"]["b"]["type"], "stdio");
        assert_eq!(v["servers"]["b"]["args"], serde_json::json!(["serve"]));
    }

    #[test]
    fn bad_files_are_named_by_position() {
        let err = JsonConfig::parse("{\n  \"a\": 1,\n}", DESKTOP).unwrap_err();
        assert!(matches!(err, Problem::Syntax { line: 3, .. }), "{err:?}");
        let err = JsonConfig::parse(r#"{"mcpServers": []}"#, DESKTOP).unwrap_err();
        assert!(matches!(err, Problem::Shape(_)), "{err:?}");
        assert!(JsonConfig::parse("[]", DESKTOP).is_err());
    }
}
