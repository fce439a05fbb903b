//! What a simulator run looks like: limits, window lengths, token, known dataset, faults, seed,
//! pay-per-use credits.
//! Plain data with defaults that mirror the real API (300 lookups / 15 minutes per app, and each
//! discovery endpoint's own window); tests and demos shorten the windows. Not here: the serving itself (see `server`).

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use super::faults::FaultPlan;
use crate::dataset::Record;

#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Requests allowed per window (the app-only limit of the users-lookup endpoints is 300).
    pub limit: u32,
    /// Length of the fixed rate-limit window (900 s on the real API).
    pub window: Duration,
    /// False turns the limit off for throughput benches: headers then report a limit that
    /// cannot be reached, so a client that trusts the headers does not slow down.
    pub rate_limit: bool,
    /// The undocumented `x-app-limit-24hour-*` budget, when set.
    pub daily_limit: Option<u32>,
    /// Length of the 24-hour window (shortened by tests).
    pub daily_window: Duration,
    /// The bearer token every request must carry; `None` accepts any `Bearer` token.
    pub token: Option<String>,
    /// Records whose handles are answered consistently with them (id, casing, name, metrics).
    pub known: Vec<Record>,
    /// Handles that always answer "not found" (case-insensitive).
    pub not_found: Vec<String>,
    /// Handles that always answer "suspended" (case-insensitive).
    pub suspended: Vec<String>,
    /// Share of other handles that do not exist, chosen by hash of (seed, handle).
    pub not_found_rate: f64,
    /// Share of other handles that are suspended, chosen by hash of (seed, handle).
    pub suspended_rate: f64,
    /// Share of found users that come with an `errors` entry about a deleted pinned post.
    pub tweet_error_rate: f64,
    /// Share of profiles that spell `tweet_count` as `post_count` (OpenAPI spec 2.167).
    pub post_count_rate: f64,
    /// Single-user lookups of a missing user answer 404 (as documented) instead of 200 with
    /// `errors` (as observed).
    pub single_missing_as_404: bool,
    /// Faults to inject: a queue of one-shot faults and per-request rates.
    pub faults: FaultPlan,
    /// Added to every answer.
    pub latency: Duration,
    /// Seed of every deterministic choice: profiles, statuses, fault draws.
    pub seed: u64,
    /// Generated accounts are created no later than this, so profiles do not change with the date.
    pub profiles_until: DateTime<Utc>,
    /// Starting balance in micro-USD (1 USD = 1_000_000). `None`: credits are not modelled (no
    /// 402 from the balance), but what would be billed is still counted.
    pub credits: Option<u64>,
    /// Charge per user returned, in micro-USD (X pay-per-use: $0.010 a user read).
    pub price_micros: u64,
    /// The window of `GET /2/lists/{id}` (75 requests / 15 minutes on the real API).
    pub list_window: EndpointWindow,
    /// The window of `GET /2/lists/{id}/members` (900 / 15 minutes).
    pub members_window: EndpointWindow,
    /// The window of `GET /2/users/{id}/following` (15 / 15 minutes).
    pub following_window: EndpointWindow,
    /// The moment last posts are dated back from; `None`: midnight UTC of the day the server
    /// starts, so an active account stays active whatever the date while its age stays fixed.
    pub posts_until: Option<DateTime<Utc>>,
}

/// The fixed rate-limit window of one discovery endpoint: `limit` requests per `length`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointWindow {
    pub limit: u32,
    pub length: Duration,
}

impl EndpointWindow {
    /// `limit` requests per 15 minutes, as the real API counts them.
    pub(crate) const fn per_15_minutes(limit: u32) -> EndpointWindow {
        EndpointWindow {
            limit,
            length: Duration::from_secs(900),
        }
    }
}

/// $0.010 per user, in micro-USD.
pub const DEFAULT_PRICE_MICROS: u64 = 10_000;

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            port: 0,
            limit: 300,
            window: Duration::from_secs(900),
            rate_limit: true,
            daily_limit: None,
            daily_window: Duration::from_secs(24 * 3600),
            token: None,
            known: Vec::new(),
            not_found: Vec::new(),
            suspended: Vec::new(),
            not_found_rate: 0.03,
            suspended_rate: 0.01,
            tweet_error_rate: 0.02,
            post_count_rate: 0.0,
            single_missing_as_404: false,
            faults: FaultPlan::default(),
            latency: Duration::ZERO,
            seed: 0,
            profiles_until: Utc
                .with_ymd_and_hms(2025, 11, 14, 0, 0, 0)
                .single()
                .unwrap_or_else(Utc::now),
            credits: None,
            price_micros: DEFAULT_PRICE_MICROS,
            list_window: EndpointWindow::per_15_minutes(75),
            members_window: EndpointWindow::per_15_minutes(900),
            following_window: EndpointWindow::per_15_minutes(15),
            posts_until: None,
        }
    }
}
