//! A server's connection status, and the back-off that spaces out retries of a failed server.

use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::upstream::{FailureReason, UpstreamError};

/// Longest pause between retries of a failed server: one that comes back is used again within
/// about this long.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The circuit breaker's first pause after a server timed out. A server that hangs costs every
/// call that asks it a whole per-server timeout (and a slot meanwhile), so it sits out the next
/// calls for this long, then twice as long after each further timeout.
pub const TIMEOUT_BACKOFF: Duration = Duration::from_secs(30);

/// The longest pause after repeated timeouts.
pub const MAX_TIMEOUT_BACKOFF: Duration = Duration::from_secs(300);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The first login has not finished yet.
    Connecting,
    Up,
    Down,
    /// Removed for this session with `disconnect_server`.
    Disconnected,
}

/// What the fleet knows about one server's reachability.
#[derive(Debug, Clone)]
pub struct Health {
    pub status: Status,
    pub reason: Option<FailureReason>,
    pub error: Option<String>,
    /// Wall-clock time of the last status change, for display.
    pub since: SystemTime,
    changed_at: Instant,
    retry_at: Option<Instant>,
    failures: u32,
}

impl Default for Health {
    fn default() -> Self {
        Health {
            status: Status::Connecting,
            reason: None,
            error: None,
            since: SystemTime::now(),
            changed_at: Instant::now(),
            retry_at: None,
            failures: 0,
        }
    }
}

impl Health {
    pub fn mark_up(&mut self) {
        if self.status != Status::Up {
            self.set_status(Status::Up);
        }
        self.reason = None;
        self.error = None;
        self.retry_at = None;
        self.failures = 0;
    }

    /// Records a failure and schedules the next attempt: at once after a first failure (so the
    /// first call after start-up reports the real reason), then after 1 s, 2 s, 4 s, 8 s and
    /// every 10 s. A timeout opens the circuit breaker instead: no attempt for
    /// [`TIMEOUT_BACKOFF`], doubling up to [`MAX_TIMEOUT_BACKOFF`].
    pub fn mark_down(&mut self, error: &UpstreamError) {
        self.failures += 1;
        let backoff = match (error.reason(), self.failures) {
            (FailureReason::Timeout, n) => TIMEOUT_BACKOFF
                .saturating_mul(1 << (n - 1).min(4))
                .min(MAX_TIMEOUT_BACKOFF),
            (_, 1) => Duration::ZERO,
            (_, n) => Duration::from_secs(1 << (n - 2).min(4)).min(MAX_BACKOFF),
        };
        self.set_status(Status::Down);
        self.reason = Some(error.reason());
        self.error = Some(error.to_string());
        self.retry_at = Some(Instant::now() + backoff);
    }

    pub fn mark_disconnected(&mut self) {
        self.set_status(Status::Disconnected);
        self.reason = Some(FailureReason::NotConnected);
        self.error = Some("disconnected with disconnect_server in this session".into());
        self.retry_at = None;
    }

    /// Back to "connecting" (after `connect_server` on a disconnected server).
    pub fn reset(&mut self) {
        *self = Health::default();
    }

    /// True while a failed server is inside its back-off, for a call that started at `call_start`.
    /// A failure that happened during the call itself does not count: the caller waited for
    /// that attempt and should see its real reason.
    pub fn in_backoff(&self, call_start: Instant) -> bool {
        self.status == Status::Down
            && self.changed_at < call_start
            && self.retry_at.is_some_and(|t| Instant::now() < t)
    }

    /// When a server in back-off will be tried again (wall clock, for messages).
    pub fn retry_at(&self) -> Option<SystemTime> {
        let at = self.retry_at?;
        let wait = at.checked_duration_since(Instant::now())?;
        Some(SystemTime::now() + wait)
    }

    /// True when the last failure was a timeout: such a server is started last in a call.
    pub fn timed_out(&self) -> bool {
        self.status == Status::Down && self.reason == Some(FailureReason::Timeout)
    }

    fn set_status(&mut self, status: Status) {
        self.status = status;
        self.since = SystemTime::now();
        self.changed_at = Instant::now();
    }
}

/// Failures that say the server itself is unusable (as opposed to one bad answer).
pub fn takes_server_down(error: &UpstreamError) -> bool {
    matches!(
        error.reason(),
        FailureReason::Unreachable | FailureReason::Timeout | FailureReason::Auth
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable() -> UpstreamError {
        UpstreamError::Unreachable {
            url: "http://x".into(),
            detail: "refused".into(),
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let mut h = Health::default();
        let start = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        for _ in 0..8 {
            h.mark_down(&unreachable());
        }
        let wait = h.retry_at.unwrap() - Instant::now();
        assert!(
            wait <= MAX_BACKOFF && wait > Duration::from_secs(9),
            "{wait:?}"
        );
        // The failure happened after `start`: a call that began then is not told "back-off".
        assert!(!h.in_backoff(start));
        assert!(h.in_backoff(Instant::now()));
        h.mark_up();
        assert_eq!(h.status, Status::Up);
        assert!(!h.in_backoff(Instant::now()));
    }

    #[test]
    fn a_timeout_opens_the_breaker_at_once_and_says_until_when() {
        let mut h = Health::default();
        h.mark_down(&UpstreamError::Timeout {
            url: "http://x".into(),
            after: None,
        });
        assert!(h.timed_out());
        std::thread::sleep(Duration::from_millis(2));
        assert!(h.in_backoff(Instant::now()), "the very next call skips it");
        let wait = h
            .retry_at()
            .unwrap()
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(wait > TIMEOUT_BACKOFF - Duration::from_secs(1), "{wait:?}");
        for _ in 0..10 {
            h.mark_down(&UpstreamError::Timeout {
                url: "http://x".into(),
                after: None,
            });
        }
        let wait = h
            .retry_at()
            .unwrap()
            .duration_since(SystemTime::now())
            .unwrap();
        assert!(wait <= MAX_TIMEOUT_BACKOFF, "{wait:?}");
    }
}
