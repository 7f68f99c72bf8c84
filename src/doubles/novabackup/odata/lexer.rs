//! Tokens of a `$filter` expression.
//!
//! Identifiers keep their `/` path separators (`Group/TenantId`); keywords such as `and` or
//! `eq` arrive as identifiers and are told apart by the parser.

use chrono::{DateTime, Utc};

/// One token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    LParen,
    RParen,
    Comma,
    Ident(String),
    Str(String),
    Int(i64),
    Dec(f64),
    Date(DateTime<Utc>),
}

/// Split a `$filter` value into tokens; `Err` carries a message for the 400 answer.
pub fn tokenize(src: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let (tok, next) = match c {
            c if c.is_whitespace() => {
                i += 1;
                continue;
            }
            '(' => (Tok::LParen, i + 1),
            ')' => (Tok::RParen, i + 1),
            ',' => (Tok::Comma, i + 1),
            '\'' => string(&chars, i)?,
            _ if guid_at(&chars, i) => {
                let text: String = chars[i..i + GUID_LEN].iter().collect();
                (Tok::Str(text), i + GUID_LEN)
            }
            c if c.is_ascii_digit() || (c == '-' && next_is_digit(&chars, i)) => {
                number_or_date(&chars, i)?
            }
            c if c.is_alphabetic() || c == '_' => {
                let end = scan(&chars, i, |c| c.is_alphanumeric() || c == '_' || c == '/');
                (Tok::Ident(chars[i..end].iter().collect()), end)
            }
            other => return Err(format!("unexpected character '{other}' at position {i}")),
        };
        out.push(tok);
        i = next;
    }
    Ok(out)
}

const GUID_LEN: usize = 36;

fn scan(chars: &[char], start: usize, keep: impl Fn(char) -> bool) -> usize {
    chars[start..]
        .iter()
        .position(|&c| !keep(c))
        .map_or(chars.len(), |p| start + p)
}

fn next_is_digit(chars: &[char], i: usize) -> bool {
    chars.get(i + 1).is_some_and(char::is_ascii_digit)
}

/// A bare GUID literal (`3f2c8a4e-1b7d-4c1a-9e55-0a1b2c3d4e5f`), read as a string.
fn guid_at(chars: &[char], i: usize) -> bool {
    let Some(window) = chars.get(i..i + GUID_LEN) else {
        return false;
    };
    let shape_ok = window.iter().enumerate().all(|(k, c)| match k {
        8 | 13 | 18 | 23 => *c == '-',
        _ => c.is_ascii_hexdigit(),
    });
    let ends = chars.get(i + GUID_LEN).is_none_or(|c| !c.is_alphanumeric());
    shape_ok && ends
}

/// A single-quoted string; `''` stands for one quote.
fn string(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let mut text = String::new();
    let mut i = start + 1;
    loop {
        match chars.get(i) {
            None => return Err(format!("unterminated string literal at position {start}")),
            Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                text.push('\'');
                i += 2;
            }
            Some('\'') => return Ok((Tok::Str(text), i + 1)),
            Some(c) => {
                text.push(*c);
                i += 1;
            }
        }
    }
}

/// An integer, a decimal, or a bare `DateTimeOffset` (`2026-11-15T01:24:22.384Z`).
fn number_or_date(chars: &[char], start: usize) -> Result<(Tok, usize), String> {
    let is_date = chars.len() >= start + 11
        && chars[start..start + 4].iter().all(char::is_ascii_digit)
        && chars[start + 4] == '-';
    if is_date {
        let end = scan(chars, start, |c| {
            c.is_ascii_digit() || matches!(c, '-' | ':' | '.' | '+' | 'T' | 'Z' | 'z' | 't')
        });
        let text: String = chars[start..end].iter().collect();
        let date = DateTime::parse_from_rfc3339(&text)
            .map_err(|_| format!("invalid DateTimeOffset literal '{text}'"))?;
        return Ok((Tok::Date(date.with_timezone(&Utc)), end));
    }
    let end = scan(chars, start + 1, |c| c.is_ascii_digit() || c == '.');
    if chars.get(end).is_some_and(|c| c.is_alphanumeric()) {
        return Err(format!("invalid number at position {start}"));
    }
    let text: String = chars[start..end].iter().collect();
    let tok = if text.contains('.') {
        text.parse().map(Tok::Dec).ok()
    } else {
        text.parse().map(Tok::Int).ok()
    };
    tok.map(|t| (t, end))
        .ok_or_else(|| format!("invalid number '{text}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_strings_with_doubled_quotes() {
        assert_eq!(tokenize("'O''Brien'"), Ok(vec![Tok::Str("O'Brien".into())]));
        assert!(tokenize("'open").is_err());
    }

    #[test]
    fn reads_dates_with_fraction_and_offset() {
        let toks = tokenize("2026-11-15T01:24:22.384Z 2026-11-15T02:24:22.384+01:00").unwrap();
        assert_eq!(toks.len(), 2);
        assert_eq!(toks[0], toks[1]);
        assert!(tokenize("2026-11-15T01:24:22 01:00").is_err());
    }

    #[test]
    fn reads_numbers_paths_and_guids() {
        let toks = tokenize("Group/TenantId eq 3f2c8a4e-1b7d-4c1a-9e55-0a1b2c3d4e5f and X gt -1.5")
            .unwrap();
        assert_eq!(toks[0], Tok::Ident("Group/TenantId".into()));
        assert_eq!(
            toks[2],
            Tok::Str("3f2c8a4e-1b7d-4c1a-9e55-0a1b2c3d4e5f".into())
        );
        assert_eq!(toks[6], Tok::Dec(-1.5));
        assert!(tokenize("12ab").is_err());
        assert!(tokenize("a # b").is_err());
    }
}
