//! The last step of every tool result: whatever a backup server wrote (job names, messages,
//! logs) is data, so known secrets are scrubbed from it and characters that steer a terminal or
//! reorder text (ANSI/OSC escapes, carriage returns, bidirectional overrides) are made visible.
//!
//! Done once at the exit rather than in each tool, so no tool can forget it.

use std::fmt::Write as _;

use rmcp::model::{CallToolResponse, ContentBlock};
use serde_json::Value;

use crate::secrets;

/// Sanitizes every text and structured value of a tool's answer in place.
pub fn sanitize_response(response: &mut CallToolResponse) {
    let CallToolResponse::Complete(result) = response else {
        return;
    };
    if let Some(value) = result.structured_content.as_mut() {
        sanitize_value(value);
    }
    for block in &mut result.content {
        if let ContentBlock::Text(text) = block {
            text.text = sanitize_text_block(&text.text);
        }
    }
}

/// A text block is usually the JSON of the structured result: it is sanitized as JSON so an
/// escaped control character (`\u001b` on the wire) is caught too.
fn sanitize_text_block(text: &str) -> String {
    if !may_need_work(text) {
        return text.to_owned();
    }
    let looks_like_json = matches!(text.trim_start().as_bytes().first(), Some(b'{' | b'['));
    if looks_like_json && let Ok(mut value) = serde_json::from_str::<Value>(text) {
        sanitize_value(&mut value);
        if let Ok(clean) = serde_json::to_string(&value) {
            return clean;
        }
    }
    sanitize_str(text)
}

fn sanitize_value(value: &mut Value) {
    match value {
        Value::String(s) if needs_work(s) => *s = sanitize_str(s),
        Value::Array(items) => items.iter_mut().for_each(sanitize_value),
        Value::Object(map) => map.values_mut().for_each(sanitize_value),
        _ => {}
    }
}

/// Cheap pre-check: most strings hold neither a control character nor a secret.
fn needs_work(s: &str) -> bool {
    s.chars().any(is_hazard) || secrets::contains_secret(s)
}

/// The pre-check for a text block, which may be JSON: there a control character is written as an
/// escape (`\u001b`, `\r`, `\b`, `\f`), so those sequences send it down the slow path too.
/// Clean blocks (nearly all) are then not parsed and re-serialized.
fn may_need_work(text: &str) -> bool {
    needs_work(text)
        || ["\\u", "\\r", "\\b", "\\f"]
            .iter()
            .any(|e| text.contains(e))
}

/// `text` with secrets replaced and hazardous characters written as `\u{…}`-style escapes.
pub fn sanitize_str(text: &str) -> String {
    let scrubbed = secrets::scrub(text);
    if !scrubbed.chars().any(is_hazard) {
        return scrubbed.into_owned();
    }
    let mut out = String::with_capacity(scrubbed.len() + 16);
    for c in scrubbed.chars() {
        if is_hazard(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// Control characters other than newline and tab, and the Unicode bidirectional controls.
pub fn is_hazard(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansi_and_bidi_are_made_visible_newlines_kept() {
        let s = sanitize_str("\u{1b}]0;owned\u{7}line1\nline2\r\u{202e}txt");
        assert_eq!(s, "\\u001b]0;owned\\u0007line1\nline2\\u000d\\u202etxt");
    }

    #[test]
    fn json_text_blocks_are_sanitized_as_json() {
        let text = serde_json::json!({"items": [{"message": "\u{1b}[31mred"}]}).to_string();
        let clean = sanitize_text_block(&text);
        let v: Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(v["items"][0]["message"], "\\u001b[31mred");
    }
}
