//! The one time-window vocabulary of every tool and prompt: `Nh`, `Nd` or `Nw` back from now,
//! or an RFC 3339 instant. One parser, so `48h` means the same to `get_operations`,
//! `list_failing_jobs` and `get_job_history_summary`, and one error message lists the forms.

use chrono::{DateTime, Duration, Utc};

/// The forms every window argument accepts, as error messages and docs name them.
pub const FORMS: &str = "Nh, Nd or Nw back from now (e.g. 24h, 48h, 3d, 2w; at most 366 days) \
or an RFC 3339 time such as 2026-11-21T00:00:00Z";

/// The window of a tool that is given none.
pub const DEFAULT: &str = "24h";

/// The longest window back from now: longer ones are almost always typos (`30w`, `365d0`).
const MAX_DAYS: i64 = 366;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WindowError {
    #[error("{text:?} is not a time window: use {FORMS}")]
    Unrecognised { param: &'static str, text: String },
    #[error("{text:?} is in the future")]
    Future { param: &'static str, text: String },
    #[error("give either window or since, not both")]
    Both,
}

impl WindowError {
    /// The argument the error is about, for the tool's error message.
    pub fn param(&self) -> &'static str {
        match self {
            WindowError::Unrecognised { param, .. } | WindowError::Future { param, .. } => param,
            WindowError::Both => "since",
        }
    }
}

/// A length back from now: `Nh`, `Nd` or `Nw` with a whole positive `N`, at most 366 days.
pub fn length(text: &str) -> Option<Duration> {
    let t = text.trim().to_ascii_lowercase();
    let unit = t.chars().last()?;
    let n: i64 = t[..t.len() - unit.len_utf8()].parse().ok()?;
    let length = match unit {
        'h' => Duration::try_hours(n)?,
        'd' => Duration::try_days(n)?,
        'w' => Duration::try_weeks(n)?,
        _ => return None,
    };
    (n > 0 && length <= Duration::days(MAX_DAYS)).then_some(length)
}

/// Where the window `text` (argument `param`) starts: a length back from `now`, or an RFC 3339
/// instant that is not in the future.
pub fn start_of(
    param: &'static str,
    text: &str,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, WindowError> {
    if let Some(length) = length(text) {
        return Ok(now - length);
    }
    let at = DateTime::parse_from_rfc3339(text.trim())
        .map_err(|_| WindowError::Unrecognised {
            param,
            text: text.to_owned(),
        })?
        .with_timezone(&Utc);
    if at > now {
        return Err(WindowError::Future {
            param,
            text: text.to_owned(),
        });
    }
    Ok(at)
}

/// The start of a tool's window from its `window` and `since` arguments (either, not both; both
/// take every form), [`DEFAULT`] when neither is given.
pub fn start(
    window: Option<&str>,
    since: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, WindowError> {
    match (window, since) {
        (Some(_), Some(_)) => Err(WindowError::Both),
        (_, Some(s)) => start_of("since", s, now),
        (w, None) => start_of("window", w.unwrap_or(DEFAULT), now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn lengths_in_hours_days_and_weeks() {
        assert_eq!(length("48h"), Some(Duration::hours(48)));
        assert_eq!(length(" 3D "), Some(Duration::days(3)));
        assert_eq!(length("2w"), Some(Duration::weeks(2)));
        assert_eq!(length("366d"), Some(Duration::days(366)));
        for bad in [
            "",
            "h",
            "0h",
            "-1d",
            "1y",
            "90m",
            "367d",
            "53w",
            "1.5d",
            "9999999999999w",
        ] {
            assert_eq!(length(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn windows_and_since_share_one_vocabulary() {
        let now = now();
        assert_eq!(start(None, None, now).unwrap(), now - Duration::hours(24));
        assert_eq!(
            start(Some("7D"), None, now).unwrap(),
            now - Duration::days(7)
        );
        assert_eq!(
            start(None, Some("3d"), now).unwrap(),
            now - Duration::days(3)
        );
        assert_eq!(
            start(None, Some("2026-11-20T00:00:00+02:00"), now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-19T22:00:00+00:00"
        );
        let bad = start(Some("1y"), None, now).unwrap_err();
        assert_eq!(bad.param(), "window");
        assert!(bad.to_string().contains("Nh, Nd or Nw"), "{bad}");
        let bad = start(None, Some("yesterday"), now).unwrap_err();
        assert_eq!(bad.param(), "since");
        assert!(matches!(
            start(None, Some("2027-01-01T00:00:00Z"), now),
            Err(WindowError::Future { .. })
        ));
        assert_eq!(
            start(Some("24h"), Some("2026-11-20T00:00:00Z"), now),
            Err(WindowError::Both)
        );
    }
}
