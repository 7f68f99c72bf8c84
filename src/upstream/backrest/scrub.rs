//! Upstream error text made safe to show: Backrest puts restic's full command line and stderr in
//! its messages (binary paths, repository flags, sometimes URLs with credentials). We keep the
//! human part, hide command lines, keep restic's own one-line reason, and truncate.

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
}
