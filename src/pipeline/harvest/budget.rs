//! The rate-limit budget: how many requests may go out now, and how long to wait when none may.
//!
//! Two sources, and the headers win when they disagree: the configured quota (paced ahead of time
//! with governor, default 300 per 15 minutes) and the `x-rate-limit-*` / `x-app-limit-24hour-*`
//! headers of every answer. Requests are counted locally as they are sent, so that with several
//! requests in flight the budget does not trust an answer that predates them.
//! Not here: sending requests or sleeping (the engine sleeps and shows the countdown).

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;

use crate::pipeline::harvest::pricing::{DAY, WINDOW};

use super::xapi::RateHeaders;

/// The rate-limit budget as the engine sees it now.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct BudgetSnapshot {
    /// Requests allowed per window (configured, or what `x-rate-limit-limit` said).
    pub limit: u32,
    /// Requests left in the current window, from `x-rate-limit-remaining` when known.
    pub remaining: u32,
    /// When the window resets (`x-rate-limit-reset`).
    pub reset_at: Option<DateTime<Utc>>,
    /// The 24-hour window, when the plan or the headers have one: requests allowed, left, reset.
    pub day_limit: Option<u32>,
    pub day_remaining: Option<u32>,
    pub day_reset_at: Option<DateTime<Utc>>,
    /// Requests scheduled but not yet sent.
    pub scheduled: u64,
    pub sent: u64,
    pub finished: u64,
    /// 429 answers received, of any shape.
    pub throttled: u64,
    /// Time spent waiting for budget (kept out of latency figures).
    pub waited: Duration,
}

/// The quota a run is configured with.
#[derive(Debug, Clone)]
pub struct BudgetConfig {
    /// Requests per window; `None` turns ahead-of-time pacing off (the headers are still obeyed).
    pub limit: Option<NonZeroU32>,
    /// Length of the rate-limit window (900 s on the real API).
    pub window: Duration,
    /// Waited beyond a reported reset, so the first request after it finds the window open.
    pub reset_buffer: Duration,
    /// Requests per 24 hours (a legacy plan's cap); the `x-app-limit-24hour-*` headers win.
    pub daily_limit: Option<NonZeroU32>,
    /// Length of the daily window (24 h; shortened by tests).
    pub day_window: Duration,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        BudgetConfig::new(NonZeroU32::new(300), WINDOW)
    }
}

impl BudgetConfig {
    /// A quota with a buffer of a fiftieth of the window, between 20 ms and 1 s.
    pub fn new(limit: Option<NonZeroU32>, window: Duration) -> BudgetConfig {
        let buffer = (window / 50).clamp(Duration::from_millis(20), Duration::from_secs(1));
        BudgetConfig {
            limit,
            window,
            reset_buffer: buffer,
            daily_limit: None,
            day_window: DAY,
        }
    }

    /// The windows of an access plan (see `harvest::pricing`).
    pub(crate) fn for_plan(limits: crate::pipeline::harvest::PlanLimits) -> BudgetConfig {
        let mut config = BudgetConfig::new(Some(limits.per_window), WINDOW);
        config.daily_limit = limits.per_day;
        config
    }
}

/// Servers round a reset up to the next whole second, and a reset a second or two past one
/// window is that, not a clock that is off.
const ROUNDING_SLACK: Duration = Duration::from_secs(2);

/// One request counted against the budget, in the order requests were taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Ticket(u64);

/// What the engine may do now.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Permit {
    /// Send one request (it has been counted); hand the ticket back with its answer.
    Send(Ticket),
    /// Nothing left in this window: wait, then ask again.
    WaitUntil {
        until: DateTime<Utc>,
        reason: String,
        /// Set when the reported reset was absurd and the wait was clamped.
        skew_warning: Option<String>,
    },
    /// The 24-hour budget is spent and resets beyond one window: the run cannot go on.
    Exhausted { reason: String },
}

#[derive(Debug)]
struct State {
    /// Requests per window as the headers (or else the configuration) say; `None` = unknown.
    limit: Option<u32>,
    /// Requests believed left in the current window; `None` = no limit known.
    left: Option<u32>,
    reset_at: Option<DateTime<Utc>>,
    /// True once `reset_at` came from a header rather than from our own clock.
    reset_from_header: bool,
    day_left: Option<u32>,
    day_reset: Option<DateTime<Utc>>,
    /// Requests per 24 hours as the headers say.
    day_limit: Option<u32>,
    /// The window length the headers show (the longest `reset - now` seen), once they have
    /// shown one: pacing spreads a window's requests over it, not over the configured length.
    window_seen: Option<Duration>,
    /// Tickets taken and not yet answered.
    in_flight: std::collections::BTreeSet<Ticket>,
    next_ticket: u64,
    sent: u64,
    finished: u64,
    throttled: u64,
    scheduled: u64,
    waited: Duration,
    /// End of the latest wait counted, so that requests waiting side by side count once.
    waited_until: Option<std::time::Instant>,
}

/// The budget of one run, shared by its concurrent requests.
#[derive(Debug)]
pub(crate) struct Budget {
    config: BudgetConfig,
    state: Mutex<State>,
    pacer: Mutex<Option<Arc<DefaultDirectRateLimiter>>>,
}

fn pacer_for(limit: u32, window: Duration) -> Option<Arc<DefaultDirectRateLimiter>> {
    let limit = NonZeroU32::new(limit)?;
    let period = (window / limit.get()).max(Duration::from_nanos(1));
    // A full window may go out at once (the API counts per fixed window); after that requests
    // are spread evenly, so a run without headers never runs far ahead of the quota.
    let quota = Quota::with_period(period)?.allow_burst(limit);
    Some(Arc::new(RateLimiter::direct(quota)))
}

fn at_secs(unix: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(unix, 0)
}

fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl Budget {
    pub(crate) fn new(config: BudgetConfig) -> Budget {
        let limit = config.limit.map(NonZeroU32::get);
        let pacer = limit.and_then(|l| pacer_for(l, config.window));
        Budget {
            state: Mutex::new(State {
                limit,
                left: limit,
                reset_at: None,
                reset_from_header: false,
                day_left: config.daily_limit.map(NonZeroU32::get),
                day_reset: None,
                day_limit: None,
                window_seen: None,
                in_flight: Default::default(),
                next_ticket: 0,
                sent: 0,
                finished: 0,
                throttled: 0,
                scheduled: 0,
                waited: Duration::ZERO,
                waited_until: None,
            }),
            pacer: Mutex::new(pacer),
            config,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Clamps a wait target to one window (plus buffer) from now; a further reset means the
    /// clocks disagree, which is worth a warning but not a two-hour sleep.
    fn clamp_wait(
        &self,
        target: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> (DateTime<Utc>, Option<String>) {
        let window = self
            .lock()
            .window_seen
            .unwrap_or_default()
            .max(self.config.window);
        let latest = now + delta(window + self.config.reset_buffer + ROUNDING_SLACK);
        if target > latest {
            let ahead = (target - now).num_seconds();
            let warning = format!(
                "the reported rate-limit reset is {ahead} s away, more than one window ({} s): \
                 the clocks disagree; waiting one window instead",
                window.as_secs()
            );
            (
                now + delta(window + self.config.reset_buffer),
                Some(warning),
            )
        } else {
            (target.max(now), None)
        }
    }

    /// Asks for one request now. `Send` counts it; the caller must call [`Budget::observe`] or
    /// [`Budget::abandon`] for it later.
    pub(crate) fn take(&self, now: DateTime<Utc>) -> Permit {
        let mut s = self.lock();
        if s.reset_at.is_some_and(|r| r <= now) {
            s.left = s.limit;
            s.reset_at = None;
            s.reset_from_header = false;
        }
        if s.day_reset.is_some_and(|r| r <= now) {
            s.day_left = self.config.daily_limit.map(NonZeroU32::get);
            s.day_reset = None;
        }
        if s.day_left == Some(0) {
            let until = s.day_reset.unwrap_or(now);
            if until - now > delta(self.config.window + ROUNDING_SLACK) {
                return Permit::Exhausted {
                    reason: format!(
                        "the 24-hour request budget is spent; it resets at {}",
                        crate::dataset::format_time(until)
                    ),
                };
            }
            drop(s);
            let (until, skew_warning) =
                self.clamp_wait(until + delta(self.config.reset_buffer), now);
            return Permit::WaitUntil {
                until,
                reason: "24-hour budget spent".into(),
                skew_warning,
            };
        }
        if s.left == Some(0) {
            let reset = s
                .reset_at
                .unwrap_or_else(|| now + delta(self.config.window));
            drop(s);
            let (until, skew_warning) =
                self.clamp_wait(reset + delta(self.config.reset_buffer), now);
            return Permit::WaitUntil {
                until,
                reason: "waiting for rate-limit reset".into(),
                skew_warning,
            };
        }
        if let Some(left) = s.left.as_mut() {
            *left -= 1;
            if s.reset_at.is_none() {
                // Our own guess of the window until an answer says when it really ends.
                s.reset_at = Some(now + delta(self.config.window));
            }
        }
        if let Some(day) = s.day_left.as_mut() {
            *day = day.saturating_sub(1);
            if s.day_reset.is_none() {
                s.day_reset = Some(now + delta(self.config.day_window));
            }
        }
        let ticket = Ticket(s.next_ticket);
        s.next_ticket += 1;
        s.in_flight.insert(ticket);
        s.sent += 1;
        Permit::Send(ticket)
    }

    /// Waits for the ahead-of-time pacer (a no-op when pacing is off).
    pub(crate) async fn pace(&self) {
        let pacer = self.pacer.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(p) = pacer {
            p.until_ready().await;
        }
    }

    /// A request taken with [`Budget::take`] was answered; `rate` are the answer's headers.
    pub(crate) fn observe(&self, ticket: Ticket, rate: &RateHeaders, now: DateTime<Utc>) {
        let mut rebuilt = None;
        {
            let mut s = self.lock();
            s.in_flight.remove(&ticket);
            s.finished += 1;
            // Requests taken after this one may not have reached the server when it answered.
            let later = s.in_flight.range(ticket..).count() as u32;
            let pacing = self.config.limit.is_some();
            Self::read_headers(&mut s, rate, now, later, &mut rebuilt, pacing);
        }
        if let Some(pacer) = rebuilt {
            *self.pacer.lock().unwrap_or_else(|e| e.into_inner()) = pacer;
        }
    }

    fn read_headers(
        s: &mut State,
        rate: &RateHeaders,
        now: DateTime<Utc>,
        later: u32,
        rebuilt: &mut Option<Option<Arc<DefaultDirectRateLimiter>>>,
        pacing: bool,
    ) {
        if let (Some(remaining), Some(day_reset)) =
            (rate.day_remaining, rate.day_reset.and_then(at_secs))
            && day_reset > now
        {
            let counted = remaining.saturating_sub(later);
            s.day_left = Some(s.day_left.map_or(counted, |d| d.min(counted)));
            s.day_reset = Some(day_reset);
        }
        if rate.day_limit.is_some() {
            s.day_limit = rate.day_limit;
        }
        let Some(reset) = rate.reset.and_then(at_secs) else {
            if let Some(limit) = rate.limit {
                s.limit = Some(limit);
            }
            return;
        };
        // An answer about a window that has already ended says nothing about the current one.
        if reset <= now {
            return;
        }
        if s.reset_from_header && s.reset_at.is_some_and(|r| reset < r) {
            return;
        }
        let provisional = !s.reset_from_header;
        let newer_window = provisional || s.reset_at.is_none_or(|r| reset > r);
        s.reset_at = Some(reset);
        s.reset_from_header = true;
        // The window is what the reset says: a server whose window is 20 s must not be paced as
        // if its limit were spread over the configured 900 s.
        let until_reset = Duration::from_secs((reset - now).num_seconds().max(1) as u64);
        let window_grew = s.window_seen.is_none_or(|w| until_reset > w);
        if window_grew {
            s.window_seen = Some(until_reset);
        }
        let limit_changed = rate.limit.is_some_and(|l| Some(l) != s.limit);
        if let Some(limit) = rate.limit {
            s.limit = Some(limit);
        }
        if pacing
            && (limit_changed || window_grew)
            && let (Some(limit), Some(window)) = (s.limit, s.window_seen)
        {
            *rebuilt = Some(pacer_for(limit, window));
        }
        let Some(remaining) = rate.remaining else {
            return;
        };
        // Our own count is exact within a window we have followed since it opened; a window the
        // server opened behind our back (or a new limit) is taken from the header.
        s.left = Some(match s.left {
            Some(local) if !limit_changed && (!newer_window || provisional) => local.min(remaining),
            _ => remaining.saturating_sub(later),
        });
    }

    /// A request taken with [`Budget::take`] was answered 429 (rate shapes). Returns when to try
    /// again, and a clock-skew warning when the reported reset was absurd.
    pub(crate) fn throttled(
        &self,
        ticket: Ticket,
        rate: &RateHeaders,
        now: DateTime<Utc>,
    ) -> (DateTime<Utc>, Option<String>) {
        let reset = {
            let mut s = self.lock();
            s.in_flight.remove(&ticket);
            s.finished += 1;
            s.throttled += 1;
            s.left = Some(0);
            let reported = rate.reset.and_then(at_secs);
            if let Some(r) = reported.filter(|r| *r > now) {
                s.reset_at = Some(r);
                s.reset_from_header = true;
            }
            if let Some(limit) = rate.limit {
                s.limit = Some(limit);
            }
            reported.or(s.reset_at)
        };
        let buffer = delta(self.config.reset_buffer);
        match reset {
            Some(r) if r + buffer > now => self.clamp_wait(r + buffer, now),
            Some(r) => {
                let behind = (now - r).num_seconds();
                let warning = (behind > self.config.window.as_secs() as i64).then(|| {
                    format!("the reported rate-limit reset is {behind} s in the past: the clocks disagree")
                });
                let until = now + buffer;
                // The window must reopen before the next try: believe our own clock.
                self.lock().reset_at = Some(until);
                (until, warning)
            }
            None => {
                let until = now + delta(self.config.window) + buffer;
                self.lock().reset_at = Some(until);
                (until, None)
            }
        }
    }

    /// A request taken with [`Budget::take`] got no answer (transport error) or was not sent.
    pub(crate) fn abandon(&self, ticket: Ticket) {
        let mut s = self.lock();
        s.in_flight.remove(&ticket);
        s.finished += 1;
    }

    /// Counts a wait from `started` until now, in wall-clock time: the part that overlaps a
    /// wait already counted (another request waiting for the same reset) is not counted again.
    pub(crate) fn add_waited(&self, started: std::time::Instant) {
        let now = std::time::Instant::now();
        let mut s = self.lock();
        let from = s.waited_until.map_or(started, |u| u.max(started));
        s.waited += now.saturating_duration_since(from);
        s.waited_until = Some(s.waited_until.map_or(now, |u| u.max(now)));
    }

    pub(crate) fn set_scheduled(&self, scheduled: u64) {
        self.lock().scheduled = scheduled;
    }

    pub(crate) fn snapshot(&self) -> BudgetSnapshot {
        let s = self.lock();
        BudgetSnapshot {
            limit: s.limit.unwrap_or(0),
            remaining: s.left.unwrap_or(u32::MAX),
            reset_at: s.reset_at,
            day_limit: s.day_limit.or(self.config.daily_limit.map(NonZeroU32::get)),
            day_remaining: s.day_left,
            day_reset_at: s.day_reset,
            scheduled: s.scheduled,
            sent: s.sent,
            finished: s.finished,
            throttled: s.throttled,
            waited: s.waited,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(limit: u32, window_s: u64) -> Budget {
        Budget::new(BudgetConfig::new(
            NonZeroU32::new(limit),
            Duration::from_secs(window_s),
        ))
    }

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap()
    }

    fn sent(permit: Permit) -> Ticket {
        match permit {
            Permit::Send(ticket) => ticket,
            other => panic!("expected Send, got {other:?}"),
        }
    }

    fn headers(limit: u32, remaining: u32, reset: i64) -> RateHeaders {
        RateHeaders {
            limit: Some(limit),
            remaining: Some(remaining),
            reset: Some(1_700_000_000 + reset),
            ..RateHeaders::default()
        }
    }

    #[test]
    fn the_configured_limit_is_spent_then_the_budget_waits_for_the_window() {
        let b = budget(3, 900);
        for _ in 0..3 {
            sent(b.take(t(0)));
        }
        match b.take(t(1)) {
            Permit::WaitUntil { until, .. } => assert!(until >= t(900) && until <= t(901)),
            other => panic!("{other:?}"),
        }
        sent(b.take(t(901)));
    }

    #[test]
    fn never_sends_when_the_headers_say_nothing_remains_before_reset() {
        let b = budget(300, 900);
        let ticket = sent(b.take(t(0)));
        b.observe(ticket, &headers(300, 0, 600), t(1));
        assert!(matches!(b.take(t(2)), Permit::WaitUntil { until, .. } if until >= t(600)));
        sent(b.take(t(601)));
    }

    #[test]
    fn a_header_limit_below_the_configuration_wins() {
        let b = budget(300, 900);
        let ticket = sent(b.take(t(0)));
        b.observe(ticket, &headers(2, 1, 900), t(1));
        assert_eq!(b.snapshot().limit, 2);
        sent(b.take(t(2)));
        assert!(matches!(b.take(t(3)), Permit::WaitUntil { .. }));
    }

    #[test]
    fn an_answer_that_predates_requests_in_flight_does_not_raise_the_count() {
        let b = budget(10, 900);
        let first = sent(b.take(t(0)));
        for _ in 0..3 {
            sent(b.take(t(0)));
        }
        // The first answer was counted by the server before the other three arrived.
        b.observe(first, &headers(10, 9, 900), t(1));
        assert_eq!(b.snapshot().remaining, 6);
    }

    #[test]
    fn a_stale_answer_from_a_closed_window_is_ignored() {
        let b = budget(5, 10);
        let ticket = sent(b.take(t(0)));
        b.observe(ticket, &headers(5, 4, 10), t(1));
        let stale = sent(b.take(t(1)));
        b.observe(stale, &headers(5, 0, 5), t(2));
        assert_eq!(b.snapshot().remaining, 3);
    }

    #[test]
    fn a_429_waits_until_the_reported_reset_plus_a_buffer() {
        let b = budget(300, 900);
        let ticket = sent(b.take(t(0)));
        let (until, warning) = b.throttled(ticket, &headers(300, 0, 120), t(1));
        assert!(until > t(120) && until <= t(121), "{until}");
        assert_eq!(warning, None);
        assert_eq!(b.snapshot().throttled, 1);
    }

    #[test]
    fn an_absurd_reset_is_clamped_to_one_window_with_a_clock_skew_warning() {
        let b = budget(300, 900);
        let ticket = sent(b.take(t(0)));
        let (until, warning) = b.throttled(ticket, &headers(300, 0, 7200), t(0));
        assert!(until <= t(901), "{until}");
        assert!(warning.unwrap().contains("clocks disagree"));
    }

    #[test]
    fn a_429_without_headers_waits_one_window() {
        let b = budget(300, 60);
        let ticket = sent(b.take(t(0)));
        let (until, _) = b.throttled(ticket, &RateHeaders::default(), t(0));
        assert!(until >= t(60) && until <= t(62));
    }

    #[test]
    fn a_spent_24_hour_budget_stops_the_run_instead_of_sleeping_for_hours() {
        let b = budget(300, 900);
        let ticket = sent(b.take(t(0)));
        let rate = RateHeaders {
            day_remaining: Some(0),
            day_reset: Some(1_700_000_000 + 20_000),
            ..headers(300, 299, 900)
        };
        b.observe(ticket, &rate, t(1));
        assert!(matches!(b.take(t(2)), Permit::Exhausted { .. }));
    }

    #[test]
    fn without_a_limit_every_request_may_go() {
        let b = Budget::new(BudgetConfig::new(None, Duration::from_secs(900)));
        for _ in 0..10_000 {
            sent(b.take(t(0)));
        }
    }

    #[test]
    fn waits_side_by_side_are_counted_once() {
        let b = budget(300, 900);
        let started = std::time::Instant::now();
        std::thread::sleep(Duration::from_millis(30));
        b.add_waited(started);
        b.add_waited(started);
        let waited = b.snapshot().waited;
        assert!(
            waited >= Duration::from_millis(30) && waited < Duration::from_millis(60),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn the_pacer_lets_a_full_window_through_at_once() {
        let b = budget(50, 900);
        let started = std::time::Instant::now();
        for _ in 0..50 {
            b.pace().await;
        }
        assert!(started.elapsed() < Duration::from_secs(1));
    }
}
