//! Pay-per-use credits of the simulated account: the balance, the (UTC day, user id) pairs
//! already billed, and what was charged. Mirrors X's 2026 pricing: a read is charged per user
//! returned, a user read again on the same UTC day is free, the balance may dip below zero
//! once, and a spent balance blocks requests with 402. Not here: the HTTP side (see `server`).

use std::collections::HashSet;
use std::sync::Mutex;

use chrono::NaiveDate;

use super::stats::Billing;

/// What one answer cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Charge {
    /// Users charged for (first read of the day).
    pub billed: u64,
    /// Users already billed today, returned for free.
    pub free: u64,
    pub micros: u64,
}

#[derive(Debug)]
struct State {
    /// `None`: credits are not modelled; charges are still counted.
    balance: Option<i64>,
    billed: HashSet<(NaiveDate, u64)>,
    /// The newest day seen, so older days' entries can be dropped.
    newest: Option<NaiveDate>,
    billed_micros: u64,
    users_billed: u64,
    free_rereads: u64,
    depleted: u64,
}

/// The account's ledger, shared by every handler. Its lock is held only for a few map
/// operations and never across an await.
#[derive(Debug)]
pub(super) struct Ledger {
    price_micros: u64,
    state: Mutex<State>,
}

fn to_i64(micros: u64) -> i64 {
    i64::try_from(micros).unwrap_or(i64::MAX)
}

impl Ledger {
    /// A ledger with `credits` micro-USD (`None` = not modelled), charging `price_micros` a user.
    pub(super) fn new(credits: Option<u64>, price_micros: u64) -> Ledger {
        Ledger {
            price_micros,
            state: Mutex::new(State {
                balance: credits.map(to_i64),
                billed: HashSet::new(),
                newest: None,
                billed_micros: 0,
                users_billed: 0,
                free_rereads: 0,
                depleted: 0,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update below leaves the state consistent, so a poisoned lock is safe to reuse.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// True when credits are modelled and spent: the request must be refused with 402.
    pub(super) fn blocked(&self) -> bool {
        self.state().balance.is_some_and(|b| b <= 0)
    }

    /// Counts one 402 answer (a spent balance or an injected fault).
    pub(super) fn depleted(&self) {
        self.state().depleted += 1;
    }

    /// Charges one answer that returned `users` on `day`. The whole answer is charged even if
    /// the balance goes below zero: the real API settles after answering.
    pub(super) fn charge(&self, day: NaiveDate, users: impl IntoIterator<Item = u64>) -> Charge {
        let mut s = self.state();
        if s.newest.is_none_or(|n| day > n) {
            s.newest = Some(day);
            // Only today's reads (and yesterday's, for a clock that steps back a little) can
            // make a read free, so the set does not grow without bound on a long run.
            let keep = day.pred_opt().unwrap_or(day);
            s.billed.retain(|(d, _)| *d >= keep);
        }
        let mut charge = Charge::default();
        for id in users {
            if s.billed.insert((day, id)) {
                charge.billed += 1;
            } else {
                charge.free += 1;
            }
        }
        charge.micros = charge.billed.saturating_mul(self.price_micros);
        s.billed_micros = s.billed_micros.saturating_add(charge.micros);
        s.users_billed += charge.billed;
        s.free_rereads += charge.free;
        if let Some(b) = s.balance.as_mut() {
            *b = b.saturating_sub(to_i64(charge.micros));
        }
        charge
    }

    /// Adds `micros` to the balance; starts modelling credits if they were not.
    pub(super) fn top_up(&self, micros: u64) {
        let mut s = self.state();
        let add = to_i64(micros);
        s.balance = Some(s.balance.map_or(add, |b| b.saturating_add(add)));
    }

    pub(super) fn snapshot(&self) -> Billing {
        let s = self.state();
        Billing {
            billed_micros: s.billed_micros,
            users_billed: s.users_billed,
            free_rereads: s.free_rereads,
            balance_micros: s.balance,
            credits_depleted: s.depleted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    #[test]
    fn a_user_is_billed_once_per_utc_day_however_often_it_is_read() {
        let l = Ledger::new(Some(1_000_000), 10_000);
        assert_eq!(l.charge(day(1), [7, 8]).billed, 2);
        let again = l.charge(day(1), [7, 8, 9]);
        assert_eq!((again.billed, again.free, again.micros), (1, 2, 10_000));
        assert_eq!(l.charge(day(2), [7]).billed, 1, "a new UTC day bills again");
        let b = l.snapshot();
        assert_eq!(
            (b.users_billed, b.free_rereads, b.billed_micros),
            (4, 2, 40_000)
        );
        assert_eq!(b.balance_micros, Some(960_000));
    }

    #[test]
    fn an_answer_is_charged_in_full_past_zero_and_then_blocks() {
        let l = Ledger::new(Some(30_000), 10_000);
        assert!(!l.blocked());
        assert_eq!(l.charge(day(1), 1..=5).micros, 50_000);
        assert_eq!(l.snapshot().balance_micros, Some(-20_000));
        assert!(l.blocked());
        l.top_up(20_000);
        assert!(l.blocked(), "a balance of exactly zero still blocks");
        l.top_up(1);
        assert!(!l.blocked());
    }

    #[test]
    fn without_credits_nothing_blocks_but_charges_are_counted() {
        let l = Ledger::new(None, 10_000);
        l.charge(day(1), 1..=500);
        assert!(!l.blocked());
        let b = l.snapshot();
        assert_eq!((b.billed_micros, b.balance_micros), (5_000_000, None));
        l.top_up(5);
        assert_eq!(
            l.snapshot().balance_micros,
            Some(5),
            "a top-up starts modelling"
        );
    }

    #[test]
    fn old_days_are_forgotten_without_changing_what_today_costs() {
        let l = Ledger::new(None, 1);
        l.charge(day(1), [1]);
        l.charge(day(3), [2]);
        assert_eq!(
            l.state().billed.len(),
            1,
            "day 1 is dropped once day 3 is seen"
        );
        assert_eq!(l.charge(day(3), [2]).free, 1);
    }
}
