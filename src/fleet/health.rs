//! A server's connection status, and the back-off that spaces out retries of a failed server.

use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use crate::upstream::{FailureReason, UpstreamError};

/// Longest pause between retries of a failed server: one that comes back is used again within
/// about this long.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

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
    /// every 10 s.
    pub fn mark_down(&mut self, error: &UpstreamError) {
        self.failures += 1;
        let backoff = match self.failures {
            1 => Duration::ZERO,
            n => Duration::from_secs(1 << (n - 2).min(4)).min(MAX_BACKOFF),
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
}
