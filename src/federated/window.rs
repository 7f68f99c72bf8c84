//! The time window of a federated question: `24h`, `7d`, `30d`, or an explicit RFC 3339 `since`.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WindowError {
    #[error("window {0:?} is not one of 24h, 7d, 30d")]
    BadWindow(String),
    #[error("since {0:?} is not an RFC 3339 time such as 2026-11-21T00:00:00Z")]
    BadSince(String),
    #[error("since {0} is in the future")]
    FutureSince(String),
    #[error("give either window or since, not both")]
    Both,
}

/// The start of the window, computed from `now`.
pub fn window_start(
    window: Option<&str>,
    since: Option<&str>,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, WindowError> {
    match (window, since) {
        (Some(_), Some(_)) => Err(WindowError::Both),
        (_, Some(s)) => {
            let at = DateTime::parse_from_rfc3339(s.trim())
                .map_err(|_| WindowError::BadSince(s.to_owned()))?
                .with_timezone(&Utc);
            if at > now {
                return Err(WindowError::FutureSince(s.to_owned()));
            }
            Ok(at)
        }
        (w, None) => Ok(now - window_length(w.unwrap_or("24h"))?),
    }
}

/// The length of a named window.
pub fn window_length(window: &str) -> Result<Duration, WindowError> {
    match window.trim().to_ascii_lowercase().as_str() {
        "24h" | "1d" => Ok(Duration::hours(24)),
        "7d" => Ok(Duration::days(7)),
        "30d" => Ok(Duration::days(30)),
        _ => Err(WindowError::BadWindow(window.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_windows_and_since() {
        let now = DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            window_start(None, None, now).unwrap(),
            now - Duration::hours(24)
        );
        assert_eq!(
            window_start(Some("7D"), None, now).unwrap(),
            now - Duration::days(7)
        );
        assert_eq!(
            window_start(None, Some("2026-11-20T00:00:00+02:00"), now)
                .unwrap()
                .to_rfc3339(),
            "2026-11-19T22:00:00+00:00"
        );
        assert_eq!(
            window_start(Some("1y"), None, now),
            Err(WindowError::BadWindow("1y".into()))
        );
        assert!(matches!(
            window_start(None, Some("yesterday"), now),
            Err(WindowError::BadSince(_))
        ));
        assert!(matches!(
            window_start(None, Some("2027-01-01T00:00:00Z"), now),
            Err(WindowError::FutureSince(_))
        ));
        assert_eq!(
            window_start(Some("24h"), Some("2026-11-20T00:00:00Z"), now),
            Err(WindowError::Both)
        );
    }
}
