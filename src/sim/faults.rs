//! Faults on demand: what can go wrong with an answer, a plan of one-shot and random faults,
//! and the live control that changes the plan while the server runs. Random faults are drawn
//! from (seed, request number), so a sequential client sees the same faults on every run.
//! Not here: how a fault is rendered on the wire (see `server` and `conn`).

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use super::draw::{hash_key, unit_of};

/// One way an answer can go wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// 429 shape 1: `{"title":"Too Many Requests","type":"about:blank",...}`, remaining 0.
    TooManyRequests,
    /// 429 shape 2: `{"errors":[{"code":88,"message":"Rate limit exceeded"}]}`, remaining 0.
    RateLimitCode88,
    /// 429 shape 3: monthly usage cap, while the window still has plenty left.
    UsageCap,
    /// 402 CreditsDepleted, whatever the balance.
    CreditsDepleted,
    /// 500, 502, 503 or 504.
    ServerError(u16),
    /// The right answer, after a delay.
    Slow(Duration),
    /// The connection is reset without any answer.
    Reset,
    /// Status and headers promise the whole body, half of it arrives, then the connection closes.
    Truncated,
    /// A complete 200 answer whose body is not valid JSON.
    Malformed,
}

/// The delay of `slow` when none is given.
pub const DEFAULT_SLOW: Duration = Duration::from_secs(2);

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::TooManyRequests => f.write_str("429"),
            Fault::RateLimitCode88 => f.write_str("429-code88"),
            Fault::UsageCap => f.write_str("usage-cap"),
            Fault::CreditsDepleted => f.write_str("402"),
            Fault::ServerError(code) => write!(f, "{code}"),
            Fault::Slow(d) => write!(f, "slow:{}ms", d.as_millis()),
            Fault::Reset => f.write_str("reset"),
            Fault::Truncated => f.write_str("truncated"),
            Fault::Malformed => f.write_str("malformed"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown fault `{0}`: expected 429, 429-code88, usage-cap, 402 (credits), 500, 502, 503, 504, slow[:MS], reset, truncated or malformed"
)]
pub struct UnknownFault(pub String);

impl FromStr for Fault {
    type Err = UnknownFault;

    fn from_str(s: &str) -> Result<Fault, UnknownFault> {
        let t = s.trim().to_ascii_lowercase();
        let fault = match t.as_str() {
            "429" | "429-about-blank" | "too-many-requests" => Fault::TooManyRequests,
            "429-code88" | "code88" | "88" => Fault::RateLimitCode88,
            "usage-cap" | "usagecap" | "429-usage-cap" => Fault::UsageCap,
            "402" | "credits" | "credits-depleted" => Fault::CreditsDepleted,
            "500" => Fault::ServerError(500),
            "502" => Fault::ServerError(502),
            "503" => Fault::ServerError(503),
            "504" => Fault::ServerError(504),
            "slow" => Fault::Slow(DEFAULT_SLOW),
            "reset" => Fault::Reset,
            "truncated" => Fault::Truncated,
            "malformed" => Fault::Malformed,
            other => {
                let ms = other
                    .strip_prefix("slow:")
                    .map(|v| v.trim_end_matches("ms"))
                    .and_then(|v| v.parse::<u64>().ok());
                match ms {
                    Some(ms) => Fault::Slow(Duration::from_millis(ms)),
                    None => return Err(UnknownFault(s.to_string())),
                }
            }
        };
        Ok(fault)
    }
}

/// Faults to inject: `queue` applies to the next requests in order, one each; afterwards every
/// request draws from `rates` (probabilities per request, summed in order).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultPlan {
    pub queue: Vec<Fault>,
    pub rates: Vec<(Fault, f64)>,
}

impl FaultPlan {
    pub fn none() -> FaultPlan {
        FaultPlan::default()
    }

    /// A plan whose next `n` requests each get `fault`.
    pub fn next(fault: Fault, n: usize) -> FaultPlan {
        FaultPlan {
            queue: vec![fault; n],
            rates: Vec::new(),
        }
    }

    /// Adds a per-request probability for `fault`.
    pub fn with_rate(mut self, fault: Fault, p: f64) -> FaultPlan {
        self.rates.push((fault, p.clamp(0.0, 1.0)));
        self
    }
}

#[derive(Debug, Default)]
struct PlanState {
    queue: VecDeque<Fault>,
    rates: Vec<(Fault, f64)>,
}

/// The fault plan of a running server, changeable from tests, the demo or the console.
#[derive(Debug)]
pub struct FaultControl {
    seed: u64,
    drawn: AtomicU64,
    state: Mutex<PlanState>,
}

impl FaultControl {
    pub(crate) fn new(seed: u64, plan: FaultPlan) -> FaultControl {
        FaultControl {
            seed,
            drawn: AtomicU64::new(0),
            state: Mutex::new(PlanState {
                queue: plan.queue.into(),
                rates: plan.rates,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, PlanState> {
        // A panic while holding this lock cannot leave the plan half-changed: recover it.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next request gets `fault` (after any already queued).
    pub fn push(&self, fault: Fault) {
        self.state().queue.push_back(fault);
    }

    /// The fault for the next admitted request, if any.
    pub(crate) fn draw(&self) -> Option<Fault> {
        let n = self.drawn.fetch_add(1, Ordering::Relaxed);
        let mut s = self.state();
        if let Some(f) = s.queue.pop_front() {
            return Some(f);
        }
        if s.rates.is_empty() {
            return None;
        }
        let u = unit_of(hash_key(self.seed, "fault", &n.to_le_bytes()));
        let mut acc = 0.0;
        for (fault, p) in &s.rates {
            acc += p;
            if u < acc {
                return Some(*fault);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_name_parses_back_to_the_same_fault() {
        for f in [
            Fault::TooManyRequests,
            Fault::RateLimitCode88,
            Fault::UsageCap,
            Fault::CreditsDepleted,
            Fault::ServerError(500),
            Fault::ServerError(502),
            Fault::ServerError(503),
            Fault::ServerError(504),
            Fault::Slow(Duration::from_millis(250)),
            Fault::Reset,
            Fault::Truncated,
            Fault::Malformed,
        ] {
            assert_eq!(f.to_string().parse::<Fault>(), Ok(f));
        }
        assert_eq!("credits".parse::<Fault>(), Ok(Fault::CreditsDepleted));
        assert!("teapot".parse::<Fault>().is_err());
    }

    #[test]
    fn queued_faults_come_first_and_in_order() {
        let c = FaultControl::new(1, FaultPlan::next(Fault::Reset, 2));
        c.push(Fault::Malformed);
        assert_eq!(c.draw(), Some(Fault::Reset));
        assert_eq!(c.draw(), Some(Fault::Reset));
        assert_eq!(c.draw(), Some(Fault::Malformed));
        assert_eq!(c.draw(), None);
    }

    #[test]
    fn random_faults_follow_the_rate_and_repeat_with_the_seed() {
        let plan = FaultPlan::none().with_rate(Fault::ServerError(503), 0.2);
        let a = FaultControl::new(9, plan.clone());
        let b = FaultControl::new(9, plan);
        let seq_a: Vec<_> = (0..1000).map(|_| a.draw()).collect();
        let seq_b: Vec<_> = (0..1000).map(|_| b.draw()).collect();
        assert_eq!(seq_a, seq_b);
        let hits = seq_a.iter().filter(|f| f.is_some()).count();
        assert!(
            (150..250).contains(&hits),
            "{hits} faults in 1000 at rate 0.2"
        );
    }
}
