//! Upstream error text made safe to show: Backrest puts restic's full command line and stderr in
//! its messages (binary paths, repository flags, sometimes URLs with credentials). We keep the
//! human part, hide command lines, keep restic's own one-line reason, and truncate. Whole logs
//! (`get_operation_log`) keep their lines but get the same treatment line by line.

use crate::upstream::http::excerpt;

/// A Backrest message reduced to one short, safe line.
pub fn message(raw: &str) -> String {
    let (head, output) = match raw.split_once("\nOutput:") {
        Some((h, o)) => (h, Some(o)),
        None => (raw, None),
    };
    let first_line = head.lines().next().unwrap_or_default();
    let mut text = hide_commands(first_line);
    if let Some(reason) = output.and_then(restic_reason) {
        text.push_str(": ");
        text.push_str(&reason);
    }
    excerpt(&strip_url_credentials(&text))
}

/// A Backrest log (task log or command output) made safe line by line: the same command lines
/// and URL credentials hidden as in [`message`], plus bare restic invocations (`command:
/// /usr/local/bin/restic backup …`) and secret `KEY=value` settings; every line is kept, so the
/// log still reads as a log.
pub fn log_text(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for line in raw.split_inclusive('\n') {
        let (body, end) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        out.push_str(&strip_url_credentials(&hide_env_secrets(
            &hide_bare_command(&hide_commands(body)),
        )));
        out.push_str(end);
    }
    out
}

/// A line whose first word is a restic binary's path (or, after `command:` or `$`, `restic`):
/// the arguments are the repository, flags and paths, so the whole invocation is hidden.
fn hide_bare_command(line: &str) -> String {
    let trimmed = line.trim_start();
    let after_prefix = trimmed
        .strip_prefix("command:")
        .or_else(|| trimmed.strip_prefix('$'));
    let rest = after_prefix.unwrap_or(trimmed).trim_start();
    let first = rest.split_whitespace().next().unwrap_or_default();
    let binary = first.ends_with("/restic") || (after_prefix.is_some() && first == "restic");
    if binary && rest.len() > first.len() {
        let prefix = &line[..line.len() - rest.len()];
        format!("{prefix}(restic command line hidden)")
    } else {
        line.to_owned()
    }
}

/// `RESTIC_PASSWORD=…`, `AWS_SECRET_ACCESS_KEY=…` and the like keep their name only.
fn hide_env_secrets(line: &str) -> String {
    let words: Vec<String> = line
        .split(' ')
        .map(|word| match word.split_once('=') {
            Some((key, value)) if !value.is_empty() && is_secret_name(key) => {
                format!("{key}=[redacted]")
            }
            _ => word.to_owned(),
        })
        .collect();
    words.join(" ")
}

fn is_secret_name(key: &str) -> bool {
    let upper = key.to_ascii_uppercase();
    key.chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && ["PASSWORD", "SECRET", "TOKEN", "KEY"]
            .iter()
            .any(|s| upper.contains(s))
}

/// `command "…"` (Go's quoted form) becomes `command (restic command line hidden)`.
fn hide_commands(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(i) = rest.find("command \"") {
        out.push_str(&rest[..i]);
        out.push_str("command (restic command line hidden)");
        let after = &rest[i + "command \"".len()..];
        rest = match closing_quote(after) {
            Some(end) => &after[end + 1..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

/// Index of the closing `"` of a Go-quoted string, skipping escaped quotes.
fn closing_quote(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        match c {
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i),
            _ => escaped = false,
        }
    }
    None
}

/// restic's `exit_error` message from its JSON output, if there is one.
fn restic_reason(output: &str) -> Option<String> {
    output.lines().find_map(|line| {
        let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
        (v.get("message_type")?.as_str()? == "exit_error")
            .then(|| v.get("message")?.as_str().map(hide_commands))
            .flatten()
    })
}

/// `scheme://user:pass@host` → `scheme://***@host` anywhere in the text.
pub fn strip_url_credentials(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (before, after) = rest.split_at(i + 3);
        out.push_str(before);
        let authority_end = after
            .find(|c: char| c == '/' || c.is_whitespace() || c == '"')
            .unwrap_or(after.len());
        match after[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("***");
                rest = &after[at..];
            }
            None => rest = after,
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restic_command_lines_and_stderr_are_hidden() {
        let raw = "failed to list snapshot files: command \"/srv/backrest/bin/restic ls --json deadbeef / -o sftp.args=-oBatchMode=yes --no-lock\" failed: error running command: exit status 1\nOutput:\n{\"message_type\":\"exit_error\",\"code\":1,\"message\":\"no matching ID found for prefix \\\"deadbeef\\\"\"}\n";
        let m = message(raw);
        assert!(!m.contains("/srv/backrest/bin"), "{m}");
        assert!(!m.contains("sftp.args"), "{m}");
        assert!(m.contains("no matching ID found"), "{m}");
        assert!(m.starts_with(
            "failed to list snapshot files: command (restic command line hidden) failed"
        ));
    }

    #[test]
    fn credentials_in_urls_and_long_text_are_cut() {
        assert_eq!(
            strip_url_credentials("open rest:https://u:p@host/x failed"),
            "open rest:https://***@host/x failed"
        );
        assert!(message(&"x".repeat(1000)).chars().count() <= 201);
        assert_eq!(message("line one\nsecret stderr"), "line one");
    }

    #[test]
    fn logs_keep_their_lines_without_commands_or_secrets() {
        let raw = "command: /usr/local/bin/restic backup --json /home -o sftp.args=-oBa...\n\
            failed to backup: command \"/usr/local/bin/restic backup --json /home\" failed: exit status 1\n\
            env RESTIC_PASSWORD=hunter22 B2_ACCOUNT_KEY=K001abc HOME=/root\n\
            open rest:https://u:p@host/x\n\
            restic is the tool\n";
        let log = log_text(raw);
        assert_eq!(log.lines().count(), 5, "{log}");
        for gone in ["/usr/local/bin/restic", "hunter22", "K001abc", "u:p@"] {
            assert!(!log.contains(gone), "{gone} in {log}");
        }
        assert!(
            log.starts_with("command: (restic command line hidden)\n"),
            "{log}"
        );
        assert!(
            log.contains("HOME=/root") && log.contains("restic is the tool"),
            "{log}"
        );
    }
}
