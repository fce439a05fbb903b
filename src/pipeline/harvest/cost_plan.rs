//! The plan a harvest states before its first request: how many handles and requests, what they
//! may cost (every handle not read today, billed at the price; re-reads today listed as free),
//! and how long the plan's windows make it take. The same figures drive the console's
//! confirmation, `--dry-run` and the `{"event":"plan",...}` line.
//!
//! The estimate is a ceiling: X bills only users it returns, so handles that turn out not to
//! exist or to be suspended cost nothing, and the bill comes in under the plan by exactly those.

use std::time::Duration;

use chrono::NaiveDate;
use serde::Serialize;

use super::ledger::LedgerBook;
use super::pricing::{Micros, Plan, Pricing, micros_to_usd};
use crate::pipeline::harvest::budget::BudgetConfig;
use crate::plural::count;

/// What a harvest is about to do and spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostPlan {
    pub plan: Plan,
    /// Handles to ask for (on a resume: those not answered yet).
    pub handles: usize,
    pub requests: u64,
    /// Handles already read today by a run of this directory: free to read again.
    pub free_rereads: u64,
    pub price_micros: Micros,
    /// The ceiling: every handle that is not a free re-read, billed.
    pub cost_micros: Micros,
    /// How long the plan's windows make the requests take (latency not counted).
    pub eta: Duration,
    /// The length of the lookups' rate-limit window, so a watcher can count the waits still ahead
    /// ([`live_eta`]) as the run goes.
    pub window: Duration,
    /// The run's spend cap, and what the run spent already (a resume).
    pub max_spend_micros: Option<Micros>,
    pub spent_before_micros: Micros,
    pub max_requests: Option<u64>,
    /// What runs of this directory spent today, before this one.
    pub today_micros: Micros,
}

impl CostPlan {
    /// Plans `handles` in batches of `batch_size` under `budget`'s windows, pricing each handle
    /// against what `book` says was read on `today`.
    pub fn new(
        handles: &[String],
        batch_size: usize,
        book: &LedgerBook,
        today: NaiveDate,
        pricing: Pricing,
        budget: &BudgetConfig,
    ) -> CostPlan {
        let price_micros = pricing.price_micros;
        let free = handles.iter().filter(|h| book.read_on(today, h)).count() as u64;
        let requests = handles.len().div_ceil(batch_size.max(1)) as u64;
        CostPlan {
            plan: pricing.plan,
            handles: handles.len(),
            requests,
            free_rereads: free,
            price_micros,
            cost_micros: (handles.len() as u64 - free) * price_micros,
            eta: eta(requests, budget),
            window: budget.window,
            max_spend_micros: None,
            spent_before_micros: 0,
            max_requests: None,
            today_micros: book.spent_on(today),
        }
    }

    /// The plan as the JSON line programs read (`{"event":"plan",...}`).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        #[derive(Serialize)]
        struct Line {
            event: &'static str,
            handles: usize,
            requests: u64,
            cost_usd: f64,
            free_rereads: u64,
            eta_s: u64,
            plan: &'static str,
            price_per_user_usd: f64,
            max_spend_usd: Option<f64>,
            spent_before_usd: f64,
            max_requests: Option<u64>,
            today_usd: f64,
        }
        serde_json::to_value(Line {
            event: "plan",
            handles: self.handles,
            requests: self.requests,
            cost_usd: micros_to_usd(self.cost_micros),
            free_rereads: self.free_rereads,
            eta_s: self.eta.as_secs(),
            plan: self.plan.name(),
            price_per_user_usd: micros_to_usd(self.price_micros),
            max_spend_usd: self.max_spend_micros.map(micros_to_usd),
            spent_before_usd: micros_to_usd(self.spent_before_micros),
            max_requests: self.max_requests,
            today_usd: micros_to_usd(self.today_micros),
        })
        .expect("a plan is plain data")
    }

    /// The plan in words, for a terminal and the console's confirmation (each line fits the
    /// confirmation dialog).
    pub(crate) fn lines(&self) -> Vec<String> {
        use super::pricing::format_usd;
        let mut lines = vec![
            format!(
                "{} in {} · at most {}",
                count(self.handles as u64, "handle", "handles"),
                count(self.requests, "request", "requests"),
                format_usd(self.cost_micros)
            ),
            format!(
                "{} × {} a user · {} today · not found costs nothing",
                self.handles as u64 - self.free_rereads,
                format_usd(self.price_micros),
                count(self.free_rereads, "free re-read", "free re-reads"),
            ),
        ];
        let mut limits = format!(
            "plan {} · about {} under its windows",
            self.plan,
            words_for(self.eta)
        );
        if let Some(cap) = self.max_spend_micros {
            limits.push_str(&format!(" · spend cap {}", format_usd(cap)));
            if self.spent_before_micros > 0 {
                limits.push_str(&format!(
                    " ({} spent already)",
                    format_usd(self.spent_before_micros)
                ));
            }
        }
        if let Some(n) = self.max_requests {
            limits.push_str(&format!(" · request cap {n}"));
        }
        lines.push(limits);
        lines.push(format!(
            "spent today by this data directory: {}",
            format_usd(self.today_micros)
        ));
        lines
    }
}

/// The time `requests` take under the windows: a full window may go at once, then one window
/// per further window's worth (and one day per further day's worth on a daily cap).
pub(crate) fn eta(requests: u64, budget: &BudgetConfig) -> Duration {
    if requests == 0 {
        return Duration::ZERO;
    }
    let mut t = Duration::ZERO;
    if let Some(limit) = budget.limit {
        let windows = requests.div_ceil(u64::from(limit.get())) - 1;
        t = budget.window.saturating_mul(windows as u32);
    }
    if let Some(day) = budget.daily_limit {
        let days = requests.div_ceil(u64::from(day.get())) - 1;
        t = t.max(budget.day_window.saturating_mul(days as u32));
    }
    t
}

/// The time the `requests` not yet sent still take, from what the budget knows now: those the
/// current window has room for go at once, the rest wait for its reset and then one window per
/// window's worth. `None` when the budget knows no window limit (nothing to count the waits by).
/// Latency is not counted: the answer is the least the run can still take.
pub(crate) fn live_eta(
    requests: u64,
    budget: &super::budget::BudgetSnapshot,
    window: Duration,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<Duration> {
    if budget.limit == 0 {
        return None;
    }
    let room = u64::from(budget.remaining);
    if requests <= room {
        return Some(Duration::ZERO);
    }
    let to_reset = budget
        .reset_at
        .map_or(window, |r| (r - now).to_std().unwrap_or_default());
    let more_windows = (requests - room).div_ceil(u64::from(budget.limit)) - 1;
    Some(to_reset + window.saturating_mul(more_windows as u32))
}

/// `45 s`, `12 min`, `3.5 h`, `2.0 days`.
pub(crate) fn words_for(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 {
        format!("{s} s")
    } else if s < 2 * 3600 {
        format!("{} min", s.div_ceil(60))
    } else if s < 48 * 3600 {
        format!("{:.1} h", s as f64 / 3600.0)
    } else {
        format!("{:.1} days", s as f64 / 86_400.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn budget(limit: u32, window_s: u64, daily: Option<u32>) -> BudgetConfig {
        let mut b = BudgetConfig::new(NonZeroU32::new(limit), Duration::from_secs(window_s));
        b.daily_limit = daily.and_then(NonZeroU32::new);
        b
    }

    #[test]
    fn the_live_eta_waits_for_the_reset_then_one_window_per_window_of_requests() {
        use super::super::budget::BudgetSnapshot;
        let now = chrono::Utc::now();
        let snap = BudgetSnapshot {
            limit: 6,
            remaining: 2,
            reset_at: Some(now + chrono::TimeDelta::seconds(10)),
            ..BudgetSnapshot::default()
        };
        let w = Duration::from_secs(15);
        assert_eq!(live_eta(2, &snap, w, now), Some(Duration::ZERO));
        assert_eq!(live_eta(8, &snap, w, now), Some(Duration::from_secs(10)));
        assert_eq!(live_eta(9, &snap, w, now), Some(Duration::from_secs(25)));
        let unknown = BudgetSnapshot::default();
        assert_eq!(live_eta(9, &unknown, w, now), None);
    }

    #[test]
    fn one_handle_is_planned_as_one_handle_in_one_request() {
        let plan = CostPlan::new(
            &["solo".to_string()],
            100,
            &LedgerBook::default(),
            chrono::Utc::now().date_naive(),
            Pricing::of(Plan::default()),
            &budget(300, 900, None),
        );
        let lines = plan.lines();
        assert!(lines[0].starts_with("1 handle in 1 request ·"), "{lines:?}");
        assert!(lines[1].contains("0 free re-reads today"), "{lines:?}");
    }

    #[test]
    fn a_full_window_goes_at_once_and_each_further_window_adds_its_length() {
        let b = budget(300, 900, None);
        assert_eq!(eta(300, &b), Duration::ZERO);
        assert_eq!(eta(301, &b), Duration::from_secs(900));
        assert_eq!(eta(10_000, &b), Duration::from_secs(33 * 900));
    }

    #[test]
    fn a_daily_cap_makes_a_long_run_take_days() {
        let b = budget(300, 900, Some(500));
        assert_eq!(eta(1_200, &b), Duration::from_secs(2 * 86_400));
    }

    #[test]
    fn every_handle_not_read_today_is_priced_and_re_reads_are_free() {
        let handles: Vec<String> = (0..250).map(|i| format!("h{i}")).collect();
        let today = chrono::Utc::now().date_naive();
        let plan = CostPlan::new(
            &handles,
            100,
            &LedgerBook::default(),
            today,
            Pricing::default(),
            &budget(300, 900, None),
        );
        assert_eq!(
            (plan.requests, plan.cost_micros, plan.free_rereads),
            (3, 2_500_000, 0)
        );
        let line = plan.to_json();
        assert_eq!(line["event"], "plan");
        assert_eq!(line["cost_usd"], 2.5);
        assert!(plan.lines()[0].contains("$2.50"), "{:?}", plan.lines());
    }
}
