//! The fixed rate-limit window of one app: it opens at the first request, admits `limit`
//! requests, and reopens at the first request after it has run its length. The reset time is
//! reported as absolute Unix seconds, rounded up, so a client that sleeps until the reported
//! reset always finds the window open again. Not here: the HTTP headers (see `server`).

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// What one request saw of the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WindowReading {
    pub limit: u32,
    pub remaining: u32,
    /// Unix seconds when the window reopens.
    pub reset: u64,
    /// False when the window was already spent: the request is refused with 429.
    pub admitted: bool,
}

#[derive(Debug)]
struct Open {
    since: Instant,
    reset: u64,
    used: u32,
}

#[derive(Debug)]
pub(super) struct RateWindow {
    limit: u32,
    length: Duration,
    open: Mutex<Option<Open>>,
}

impl RateWindow {
    pub(super) fn new(limit: u32, length: Duration) -> RateWindow {
        RateWindow {
            limit,
            length,
            open: Mutex::new(None),
        }
    }

    /// Counts one request against the window, if it has room.
    pub(super) fn admit(&self) -> WindowReading {
        self.at(Instant::now(), SystemTime::now(), true)
    }

    /// The window as it stands, without counting a request.
    pub(super) fn peek(&self) -> WindowReading {
        self.at(Instant::now(), SystemTime::now(), false)
    }

    fn at(&self, now: Instant, wall: SystemTime, count: bool) -> WindowReading {
        let mut guard = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let expired = guard
            .as_ref()
            .is_none_or(|o| now.duration_since(o.since) >= self.length);
        if expired {
            let end = wall.duration_since(UNIX_EPOCH).unwrap_or_default() + self.length;
            let reset = end.as_secs() + u64::from(end.subsec_nanos() > 0);
            *guard = Some(Open {
                since: now,
                reset,
                used: 0,
            });
        }
        let open = guard.as_mut().expect("window opened above");
        let admitted = open.used < self.limit;
        if count && admitted {
            open.used += 1;
        }
        WindowReading {
            limit: self.limit,
            remaining: self.limit - open.used,
            reset: open.reset,
            admitted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_admits_its_limit_then_refuses_until_it_has_run_its_length() {
        let w = RateWindow::new(2, Duration::from_secs(900));
        let t0 = Instant::now();
        let wall = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let a = w.at(t0, wall, true);
        assert_eq!((a.remaining, a.admitted, a.reset), (1, true, 1_700_000_900));
        assert!(w.at(t0, wall, true).admitted);
        let refused = w.at(t0 + Duration::from_secs(899), wall, true);
        assert_eq!((refused.remaining, refused.admitted), (0, false));
        let later = wall + Duration::from_secs(900);
        let reopened = w.at(t0 + Duration::from_secs(900), later, true);
        assert_eq!((reopened.remaining, reopened.admitted), (1, true));
        assert_eq!(reopened.reset, 1_700_001_800);
    }

    #[test]
    fn the_reset_is_rounded_up_to_a_whole_second() {
        let w = RateWindow::new(5, Duration::from_millis(1500));
        let wall = UNIX_EPOCH + Duration::from_millis(1_700_000_000_200);
        assert_eq!(w.at(Instant::now(), wall, true).reset, 1_700_000_002);
    }
}
