//! What a lookup costs and how fast it may go: the X API access plans (pay-per-use credits and
//! the legacy subscriptions) as presets of a price per user returned and of the 15-minute and
//! 24-hour request windows, and money as exact integer micro-dollars.
//!
//! Money is never a float inside influx: a float sum of 0.01s drifts off the cent, and the
//! ledger must agree with what the API billed to the cent. Floats appear only at the edges
//! (flags in, JSON and text out). Not here: counting what was spent (see `ledger`).

use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// Micro-dollars (1 USD = 1,000,000).
pub type Micros = u64;

pub(crate) const MICROS_PER_USD: f64 = 1_000_000.0;

/// X's documented price of one user read under pay-per-use: $0.010 per user returned.
pub(crate) const PAY_PER_USE_PRICE: Micros = 10_000;

/// The 15-minute window every plan's users lookup is counted in.
pub(crate) const WINDOW: Duration = Duration::from_secs(900);
/// The 24-hour window of the legacy plans' daily caps.
pub(crate) const DAY: Duration = Duration::from_secs(24 * 3600);

/// An X API access plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Plan {
    /// Credits, charged per resource returned (the documented model since 2026-02-06).
    #[default]
    PayPerUse,
    /// Legacy Basic ($200/month): 500 lookups per 24 h per app.
    Basic,
    /// Legacy Pro ($5,000/month): 300 lookups per 15 minutes per app.
    Pro,
    /// Legacy Free: one lookup per 24 h.
    Free,
}

/// The request windows a plan allows (the answers' headers still win where they disagree).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLimits {
    /// Requests per 15-minute window.
    pub per_window: NonZeroU32,
    /// Requests per 24 hours, when the plan caps them.
    pub per_day: Option<NonZeroU32>,
}

impl Plan {
    #[cfg(test)]
    pub(crate) const ALL: [Plan; 4] = [Plan::PayPerUse, Plan::Basic, Plan::Pro, Plan::Free];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Plan::PayPerUse => "pay-per-use",
            Plan::Basic => "basic",
            Plan::Pro => "pro",
            Plan::Free => "free",
        }
    }

    /// The price of one user returned. The legacy plans are paid by the month, so a read costs
    /// nothing more.
    pub(crate) fn price(self) -> Micros {
        match self {
            Plan::PayPerUse => PAY_PER_USE_PRICE,
            Plan::Basic | Plan::Pro | Plan::Free => 0,
        }
    }

    pub(crate) fn limits(self) -> PlanLimits {
        let n = |v: u32| NonZeroU32::new(v).expect("plan limits are positive");
        match self {
            Plan::PayPerUse | Plan::Pro => PlanLimits {
                per_window: n(300),
                per_day: None,
            },
            Plan::Basic => PlanLimits {
                per_window: n(300),
                per_day: Some(n(500)),
            },
            Plan::Free => PlanLimits {
                per_window: n(1),
                per_day: Some(n(1)),
            },
        }
    }
}

/// The plan a run is under and the price it pays per user returned (the plan's, unless
/// `--price-per-user` says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pricing {
    pub plan: Plan,
    pub price_micros: Micros,
}

impl Default for Pricing {
    fn default() -> Pricing {
        Pricing::of(Plan::PayPerUse)
    }
}

impl Pricing {
    pub(crate) fn of(plan: Plan) -> Pricing {
        Pricing {
            plan,
            price_micros: plan.price(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown plan `{0}`: expected pay-per-use, basic, pro or free")]
pub struct UnknownPlan(pub String);

impl FromStr for Plan {
    type Err = UnknownPlan;

    fn from_str(s: &str) -> Result<Plan, UnknownPlan> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pay-per-use" | "payperuse" | "credits" => Ok(Plan::PayPerUse),
            "basic" => Ok(Plan::Basic),
            "pro" => Ok(Plan::Pro),
            "free" => Ok(Plan::Free),
            other => Err(UnknownPlan(other.to_string())),
        }
    }
}

impl std::fmt::Display for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {given:?} is not an amount of dollars: expected a number from 0 to 1,000,000")]
pub(crate) struct BadAmount {
    pub what: &'static str,
    pub given: String,
}

/// Dollars (a flag, a config value) to micro-dollars, rounded to the nearest micro-dollar.
pub(crate) fn usd_to_micros(what: &'static str, usd: f64) -> Result<Micros, BadAmount> {
    if !usd.is_finite() || !(0.0..=1_000_000.0).contains(&usd) {
        return Err(BadAmount {
            what,
            given: usd.to_string(),
        });
    }
    Ok((usd * MICROS_PER_USD).round() as Micros)
}

/// Micro-dollars as dollars, for JSON: exact to the micro-dollar for any sum influx meets.
pub(crate) fn micros_to_usd(micros: Micros) -> f64 {
    micros as f64 / MICROS_PER_USD
}

/// `$3.19`, `$0.005`, `$12,345.60`: cents always, more digits only when they are not zero.
pub(crate) fn format_usd(micros: Micros) -> String {
    let dollars = micros / 1_000_000;
    let rest = micros % 1_000_000;
    let mut frac = format!("{rest:06}");
    while frac.len() > 2 && frac.ends_with('0') {
        frac.pop();
    }
    let digits = dollars.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("${grouped}.{frac}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hundred_reads_at_one_cent_are_exactly_one_dollar() {
        let price = usd_to_micros("--price-per-user", 0.010).unwrap();
        assert_eq!(price, PAY_PER_USE_PRICE);
        let total: Micros = (0..100).map(|_| price).sum();
        assert_eq!(total, 1_000_000);
        assert_eq!(micros_to_usd(total), 1.0);
    }

    #[test]
    fn amounts_that_are_not_dollars_are_refused_by_name() {
        for bad in [-0.01, f64::NAN, f64::INFINITY, 2e6] {
            let e = usd_to_micros("--max-spend", bad).unwrap_err();
            assert!(e.to_string().starts_with("--max-spend"), "{e}");
        }
    }

    #[test]
    fn dollars_are_shown_with_cents_and_only_the_digits_that_matter() {
        assert_eq!(format_usd(0), "$0.00");
        assert_eq!(format_usd(3_190_000), "$3.19");
        assert_eq!(format_usd(5_000), "$0.005");
        assert_eq!(format_usd(12_345_600_000), "$12,345.60");
        assert_eq!(format_usd(1_000_000_000), "$1,000.00");
    }

    #[test]
    fn plans_are_named_as_on_the_command_line_and_set_their_windows() {
        for plan in Plan::ALL {
            assert_eq!(plan.name().parse::<Plan>(), Ok(plan));
        }
        assert_eq!(Plan::PayPerUse.price(), 10_000);
        assert_eq!(Plan::Basic.limits().per_day.map(NonZeroU32::get), Some(500));
        assert_eq!(Plan::Free.limits().per_window.get(), 1);
        assert!("gold".parse::<Plan>().is_err());
    }
}
