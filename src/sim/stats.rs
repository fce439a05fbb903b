//! What the simulator has served, counted with atomics so that counting never blocks an answer:
//! requests (in all and per endpoint), answers by status, 429s by cause, handles answered, faults
//! applied. The billing
//! part of a snapshot comes from the ledger (see `billing`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;

use super::endpoints::Endpoint;

/// Statuses the simulator can answer with; anything else is counted under 0.
const STATUSES: [u16; 11] = [200, 400, 401, 402, 404, 429, 500, 502, 503, 504, 0];

/// Why a request got a 429.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LimitCause {
    /// The 15-minute (or compressed) window was spent.
    Window,
    /// The 24-hour budget was spent.
    Daily,
    /// An injected 429 with the about:blank problem body.
    InjectedTooMany,
    /// An injected 429 with the `code 88` body.
    InjectedCode88,
    /// An injected monthly usage cap.
    UsageCap,
}

/// A snapshot of the counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SimStats {
    /// Every request that reached a handler, answered or not.
    pub requests: u64,
    /// Answers by HTTP status (reset connections have none).
    pub by_status: BTreeMap<u16, u64>,
    pub rate_limited: RateLimited,
    /// Handles or ids reported in intact 200 answers (found or in `errors`).
    pub handles_answered: u64,
    pub found: u64,
    pub not_found: u64,
    pub suspended: u64,
    pub faults: FaultsApplied,
    pub billing: Billing,
    /// The same requests, endpoint by endpoint.
    pub by_endpoint: ByEndpoint,
}

/// Requests per endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ByEndpoint {
    pub users_lookup: EndpointCounts,
    pub list: EndpointCounts,
    pub list_members: EndpointCounts,
    pub following: EndpointCounts,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EndpointCounts {
    /// Every request that reached the endpoint's handler.
    pub requests: u64,
    /// Refused by the endpoint's own window.
    pub rate_limited: u64,
    /// Users in intact answers (found users for lookups, members or followings for the others).
    pub users_returned: u64,
}

/// Pay-per-use credits: what was charged, what was free, what is left.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Billing {
    /// Micro-USD charged (also counted when credits are not modelled).
    pub billed_micros: u64,
    /// Users charged for: first reads of the UTC day.
    pub users_billed: u64,
    /// Users returned again on the same UTC day, at no charge.
    pub free_rereads: u64,
    /// Micro-USD left; `None` when credits are not modelled. Can be slightly negative.
    pub balance_micros: Option<i64>,
    /// 402 CreditsDepleted answers (a spent balance or the injected fault).
    pub credits_depleted: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RateLimited {
    pub window: u64,
    pub daily: u64,
    pub injected_too_many: u64,
    pub injected_code88: u64,
    pub usage_cap: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FaultsApplied {
    pub server_errors: u64,
    pub slow: u64,
    pub resets: u64,
    pub truncated: u64,
    pub malformed: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    statuses: [AtomicU64; STATUSES.len()],
    limited: [AtomicU64; 5],
    handles: AtomicU64,
    found: AtomicU64,
    not_found: AtomicU64,
    suspended: AtomicU64,
    server_errors: AtomicU64,
    slow: AtomicU64,
    resets: AtomicU64,
    truncated: AtomicU64,
    malformed: AtomicU64,
    /// Per endpoint: requests, window refusals, users returned.
    endpoints: [[AtomicU64; 3]; 4],
}

fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl Counters {
    pub(super) fn request(&self) {
        bump(&self.requests);
    }

    pub(super) fn status(&self, status: u16) {
        let i = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len() - 1);
        bump(&self.statuses[i]);
    }

    pub(super) fn endpoint_request(&self, e: Endpoint) {
        bump(&self.endpoints[e.index()][0]);
    }

    pub(super) fn endpoint_limited(&self, e: Endpoint) {
        bump(&self.endpoints[e.index()][1]);
    }

    pub(super) fn users_returned(&self, e: Endpoint, n: u64) {
        self.endpoints[e.index()][2].fetch_add(n, Ordering::Relaxed);
    }

    pub(super) fn limited(&self, cause: LimitCause) {
        bump(&self.limited[cause as usize]);
    }

    pub(super) fn answered(&self, found: u64, not_found: u64, suspended: u64) {
        self.found.fetch_add(found, Ordering::Relaxed);
        self.not_found.fetch_add(not_found, Ordering::Relaxed);
        self.suspended.fetch_add(suspended, Ordering::Relaxed);
        self.handles
            .fetch_add(found + not_found + suspended, Ordering::Relaxed);
    }

    pub(super) fn server_error(&self) {
        bump(&self.server_errors);
    }
    pub(super) fn slow(&self) {
        bump(&self.slow);
    }
    pub(super) fn reset(&self) {
        bump(&self.resets);
    }
    pub(super) fn truncated(&self) {
        bump(&self.truncated);
    }
    pub(super) fn malformed(&self) {
        bump(&self.malformed);
    }

    /// Everything but billing, which the ledger fills in.
    pub(super) fn snapshot(&self) -> SimStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let by_status = STATUSES
            .iter()
            .zip(&self.statuses)
            .map(|(s, c)| (*s, get(c)))
            .filter(|(_, n)| *n > 0)
            .collect();
        SimStats {
            requests: get(&self.requests),
            by_status,
            rate_limited: RateLimited {
                window: get(&self.limited[LimitCause::Window as usize]),
                daily: get(&self.limited[LimitCause::Daily as usize]),
                injected_too_many: get(&self.limited[LimitCause::InjectedTooMany as usize]),
                injected_code88: get(&self.limited[LimitCause::InjectedCode88 as usize]),
                usage_cap: get(&self.limited[LimitCause::UsageCap as usize]),
            },
            handles_answered: get(&self.handles),
            found: get(&self.found),
            not_found: get(&self.not_found),
            suspended: get(&self.suspended),
            faults: FaultsApplied {
                server_errors: get(&self.server_errors),
                slow: get(&self.slow),
                resets: get(&self.resets),
                truncated: get(&self.truncated),
                malformed: get(&self.malformed),
            },
            billing: Billing::default(),
            by_endpoint: {
                let of = |e: Endpoint| {
                    let c = &self.endpoints[e.index()];
                    EndpointCounts {
                        requests: get(&c[0]),
                        rate_limited: get(&c[1]),
                        users_returned: get(&c[2]),
                    }
                };
                ByEndpoint {
                    users_lookup: of(Endpoint::UsersLookup),
                    list: of(Endpoint::List),
                    list_members: of(Endpoint::ListMembers),
                    following: of(Endpoint::Following),
                }
            },
        }
    }
}

impl SimStats {
    /// Answers with this status so far.
    pub fn status(&self, status: u16) -> u64 {
        self.by_status.get(&status).copied().unwrap_or(0)
    }
}
