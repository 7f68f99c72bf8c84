//! The process's known secrets (saved passwords, session tokens, `BACKUP_MCP_PASSWORD`) and the
//! scrubber that replaces them in any text before it is shown.
//!
//! An upstream may echo what it was sent (a password in an error body, a token in a log line).
//! Rather than trust every path that carries upstream text, every exit (tool results, logs, CLI
//! messages) passes its text through [`scrub`], which knows every secret this process has held.

use std::borrow::Cow;
use std::sync::RwLock;

/// What a secret is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Secrets shorter than this are not scrubbed: replacing every "abc" in every answer would make
/// answers unreadable while protecting a password that offers no protection anyway.
pub const MIN_SCRUBBED_LEN: usize = 4;

/// How many session tokens are remembered: a token older than this many logins has long expired,
/// and the scrubber's automaton stays small however long the process runs.
const MAX_TOKENS: usize = 4096;

/// What kind of secret is registered: passwords are kept for the life of the process, tokens
/// only while recent.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Password,
    Token,
}

#[derive(Default)]
struct Known {
    passwords: Vec<Box<str>>,
    tokens: std::collections::VecDeque<Box<str>>,
    /// One automaton over every form of every secret, longest match first.
    matcher: Option<aho_corasick::AhoCorasick>,
}

impl Known {
    fn insert(&mut self, kind: SecretKind, form: &str) -> bool {
        if self
            .passwords
            .iter()
            .chain(self.tokens.iter())
            .any(|k| &**k == form)
        {
            return false;
        }
        match kind {
            SecretKind::Password => self.passwords.push(form.into()),
            SecretKind::Token => {
                if self.tokens.len() == MAX_TOKENS {
                    self.tokens.pop_front();
                }
                self.tokens.push_back(form.into());
            }
        }
        true
    }

    fn rebuild(&mut self) {
        let patterns: Vec<&str> = self
            .passwords
            .iter()
            .chain(self.tokens.iter())
            .map(|k| &**k)
            .collect();
        self.matcher = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(patterns)
            .ok();
    }
}

static KNOWN: RwLock<Option<Known>> = RwLock::new(None);

/// Remembers `secret` (and its JSON-escaped spelling) so [`scrub`] replaces it from now on.
pub fn register(kind: SecretKind, secret: &str) {
    if secret.chars().count() < MIN_SCRUBBED_LEN {
        return;
    }
    // A JSON string is always quoted: the escaped spelling is what lies between the quotes.
    let quoted = serde_json::to_string(secret).unwrap_or_default();
    let escaped = quoted
        .get(1..quoted.len().saturating_sub(1))
        .unwrap_or(secret);
    let mut guard = KNOWN.write().unwrap_or_else(|p| p.into_inner());
    let known = guard.get_or_insert_with(Known::default);
    let mut changed = known.insert(kind, secret);
    if escaped != secret {
        changed |= known.insert(kind, escaped);
    }
    if changed {
        known.rebuild();
    }
}

/// Remembers the operator's `BACKUP_MCP_PASSWORD`, if set.
pub fn register_env_password() {
    if let Ok(password) = std::env::var("BACKUP_MCP_PASSWORD") {
        register(SecretKind::Password, &password);
    }
}

/// True when `text` holds a known secret.
pub fn contains_secret(text: &str) -> bool {
    let guard = KNOWN.read().unwrap_or_else(|p| p.into_inner());
    guard
        .as_ref()
        .and_then(|k| k.matcher.as_ref())
        .is_some_and(|m| m.is_match(text))
}

/// `text` with every known secret replaced by [`REDACTED`]; borrowed when nothing matched.
pub fn scrub(text: &str) -> Cow<'_, str> {
    let guard = KNOWN.read().unwrap_or_else(|p| p.into_inner());
    let Some(matcher) = guard.as_ref().and_then(|k| k.matcher.as_ref()) else {
        return Cow::Borrowed(text);
    };
    if !matcher.is_match(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    matcher.replace_all_with(text, &mut out, |_, _, dst| {
        dst.push_str(REDACTED);
        true
    });
    Cow::Owned(out)
}

/// Scrubs in place, allocating only when something matched.
pub fn scrub_in_place(text: &mut String) {
    if let Cow::Owned(clean) = scrub(text) {
        *text = clean;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registered_secrets_are_replaced_in_raw_and_json_forms() {
        register(SecretKind::Password, "s3cr\"et-pass");
        let raw = "login failed for s3cr\"et-pass";
        assert_eq!(scrub(raw), "login failed for [redacted]");
        let json = serde_json::to_string(raw).unwrap();
        assert!(!scrub(&json).contains("s3cr"));
        assert!(matches!(scrub("nothing here"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_secrets_are_not_scrubbed() {
        register(SecretKind::Password, "abc");
        assert_eq!(scrub("abcdef"), "abcdef");
    }

    #[test]
    fn a_longer_secret_wins_over_one_it_contains() {
        register(SecretKind::Token, "overlap-1234");
        register(SecretKind::Token, "overlap-1234-and-more");
        assert_eq!(scrub("x overlap-1234-and-more y"), "x [redacted] y");
    }
}
