//! The HTTP side: routes, the users-lookup handlers, and the order every request goes through
//! (token, latency, credits, the endpoint's rate window, injected fault, validation, answer,
//! billing). The discovery handlers (see `discover`) go through the same gate and delivery.
//! Handlers hold no
//! lock across an await; the only shared state is atomics and short critical sections.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::billing::Ledger;
use super::bodies;
use super::config::SimConfig;
use super::conn::ConnHandle;
use super::directory::{Directory, Lookup};
use super::draw::hash_key;
use super::endpoints::{Endpoint, Windows};
use super::faults::{Fault, FaultControl};
use super::lists::World;
use super::profiles::ProfileKnobs;
use super::stats::{Counters, LimitCause};
use super::user_view::{UserFields, UserView};
use super::window::{RateWindow, WindowReading};

/// Handles and ids a request may carry.
const MAX_ITEMS: usize = 100;

/// Everything the handlers share.
pub(crate) struct Shared {
    pub(super) directory: Directory,
    /// Lists and followings.
    pub(super) world: World,
    windows: Windows,
    daily: Option<RateWindow>,
    faults: Arc<FaultControl>,
    counters: Arc<Counters>,
    ledger: Arc<Ledger>,
    /// The account named in 402 bodies, drawn from the seed.
    account_id: u64,
    token: Option<String>,
    latency: Duration,
    pub(super) seed: u64,
    single_missing_as_404: bool,
}

impl Shared {
    pub(super) fn new(
        config: &SimConfig,
        faults: Arc<FaultControl>,
        counters: Arc<Counters>,
        ledger: Arc<Ledger>,
    ) -> Shared {
        let knobs = ProfileKnobs::of(config);
        let world = World::new(knobs);
        Shared {
            directory: Directory::new(config, knobs, &world.accounts),
            world,
            windows: Windows::new(config),
            daily: config
                .daily_limit
                .map(|l| RateWindow::new(l, config.daily_window)),
            faults,
            counters,
            ledger,
            // 19 digits at most, like the real account ids.
            account_id: hash_key(config.seed, "account", b"") % 10_000_000_000_000_000_000,
            token: config.token.clone(),
            latency: config.latency,
            seed: config.seed,
            single_missing_as_404: config.single_missing_as_404,
        }
    }

    fn authorized(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        let Some(given) = value.strip_prefix("Bearer ") else {
            return false;
        };
        match &self.token {
            Some(expected) => given == expected,
            None => !given.trim().is_empty(),
        }
    }

    /// Which host problem `type` URIs name, varying per value as the real API does.
    pub(super) fn x_host(&self, value: &str) -> bool {
        hash_key(self.seed, "problem-host", value.as_bytes()) & 1 == 1
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct LookupQuery {
    usernames: Option<String>,
    ids: Option<String>,
    #[serde(rename = "user.fields")]
    user_fields: Option<String>,
}

/// What was asked.
enum Asked {
    Usernames(Option<String>),
    Ids(Option<String>),
    OneUsername(String),
    OneId(String),
}

impl Asked {
    fn parameter(&self) -> &'static str {
        match self {
            Asked::Usernames(_) => "usernames",
            Asked::Ids(_) => "ids",
            Asked::OneUsername(_) => "username",
            Asked::OneId(_) => "id",
        }
    }
}

pub(super) async fn users_by_usernames(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    Query(q): Query<LookupQuery>,
) -> Response {
    answer(
        &s,
        &conn,
        &headers,
        Asked::Usernames(q.usernames),
        q.user_fields,
    )
    .await
}

pub(super) async fn users_by_ids(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    Query(q): Query<LookupQuery>,
) -> Response {
    answer(&s, &conn, &headers, Asked::Ids(q.ids), q.user_fields).await
}

pub(super) async fn user_by_username(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    Path(username): Path<String>,
    Query(q): Query<LookupQuery>,
) -> Response {
    answer(
        &s,
        &conn,
        &headers,
        Asked::OneUsername(username),
        q.user_fields,
    )
    .await
}

pub(super) async fn user_by_id(
    State(s): State<Arc<Shared>>,
    ConnectInfo(conn): ConnectInfo<ConnHandle>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<LookupQuery>,
) -> Response {
    answer(&s, &conn, &headers, Asked::OneId(id), q.user_fields).await
}

pub(super) const JSON: &str = "application/json; charset=utf-8";
const PROBLEM: &str = "application/problem+json";

/// The rate-limit headers of one answer.
#[derive(Clone, Copy)]
pub(super) struct QuotaHeaders {
    window: WindowReading,
    daily: Option<WindowReading>,
}

pub(super) fn respond(
    s: &Shared,
    status: u16,
    content_type: &str,
    body: Vec<u8>,
    rate: Option<QuotaHeaders>,
) -> Response {
    s.counters.status(status);
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).unwrap_or(HeaderValue::from_static(JSON)),
    );
    if let Some(rate) = rate {
        let w = rate.window;
        h.insert("x-rate-limit-limit", HeaderValue::from(w.limit));
        h.insert("x-rate-limit-remaining", HeaderValue::from(w.remaining));
        h.insert("x-rate-limit-reset", HeaderValue::from(w.reset));
        if let Some(d) = rate.daily {
            h.insert("x-app-limit-24hour-limit", HeaderValue::from(d.limit));
            h.insert(
                "x-app-limit-24hour-remaining",
                HeaderValue::from(d.remaining),
            );
            h.insert("x-app-limit-24hour-reset", HeaderValue::from(d.reset));
        }
    }
    r
}

pub(super) fn respond_json(
    s: &Shared,
    status: u16,
    content_type: &str,
    v: &Value,
    rate: Option<QuotaHeaders>,
) -> Response {
    respond(
        s,
        status,
        content_type,
        serde_json::to_vec(v).unwrap_or_default(),
        rate,
    )
}

/// What passed the gate: the quota headers every later answer carries, and the damage an
/// injected fault will do to the body.
pub(super) struct Admitted {
    pub rate: QuotaHeaders,
    damage: Option<Fault>,
}

/// The part every request goes through, whatever the endpoint: token, latency, credits, the
/// endpoint's window, the daily budget, an injected fault. `Err` is the answer already decided.
pub(super) async fn admit(
    s: &Shared,
    conn: &ConnHandle,
    headers: &HeaderMap,
    endpoint: Endpoint,
) -> Result<Admitted, Response> {
    s.counters.request();
    s.counters.endpoint_request(endpoint);
    if !s.authorized(headers) {
        return Err(respond_json(s, 401, PROBLEM, &bodies::unauthorized(), None));
    }
    if !s.latency.is_zero() {
        tokio::time::sleep(s.latency).await;
    }
    let own = s.windows.of(endpoint);
    // A spent balance is refused before the rate window: the real API does not count it.
    if s.ledger.blocked() {
        let rate = QuotaHeaders {
            window: own.peek(),
            daily: s.daily.as_ref().map(RateWindow::peek),
        };
        return Err(credits_depleted(s, rate));
    }
    let window = own.admit();
    if !window.admitted {
        s.counters.limited(LimitCause::Window);
        s.counters.endpoint_limited(endpoint);
        let rate = QuotaHeaders {
            window,
            daily: s.daily.as_ref().map(RateWindow::peek),
        };
        return Err(too_many(s, rate));
    }
    let daily = s.daily.as_ref().map(RateWindow::admit);
    let mut rate = QuotaHeaders { window, daily };
    if daily.is_some_and(|d| !d.admitted) {
        s.counters.limited(LimitCause::Daily);
        return Err(too_many(s, rate));
    }

    let mut damage = None;
    match s.faults.draw() {
        None => {}
        Some(Fault::TooManyRequests) => {
            s.counters.limited(LimitCause::InjectedTooMany);
            rate.window.remaining = 0;
            return Err(too_many(s, rate));
        }
        Some(Fault::RateLimitCode88) => {
            s.counters.limited(LimitCause::InjectedCode88);
            rate.window.remaining = 0;
            return Err(respond_json(
                s,
                429,
                JSON,
                &bodies::rate_limit_code88(),
                Some(rate),
            ));
        }
        Some(Fault::UsageCap) => {
            s.counters.limited(LimitCause::UsageCap);
            let body = bodies::usage_capped(s.x_host("usage-capped"));
            return Err(respond_json(s, 429, JSON, &body, Some(rate)));
        }
        Some(Fault::CreditsDepleted) => return Err(credits_depleted(s, rate)),
        Some(Fault::ServerError(code)) => {
            s.counters.server_error();
            return Err(server_error(s, code, rate));
        }
        Some(Fault::Slow(d)) => {
            s.counters.slow();
            tokio::time::sleep(d).await;
        }
        Some(Fault::Reset) => {
            s.counters.reset();
            conn.reset();
            // Never written: the connection is reset when hyper tries.
            return Err(Response::new(Body::empty()));
        }
        Some(f @ (Fault::Truncated | Fault::Malformed)) => damage = Some(f),
    }
    Ok(Admitted { rate, damage })
}

fn too_many(s: &Shared, rate: QuotaHeaders) -> Response {
    respond_json(s, 429, PROBLEM, &bodies::too_many_requests(), Some(rate))
}

/// Reads `user.fields`; `Err` is the 400 answer naming the first unknown field (boxed: an
/// answer is large beside the fields).
pub(super) fn user_fields(
    s: &Shared,
    raw: Option<&str>,
    rate: QuotaHeaders,
) -> Result<UserFields, Box<Response>> {
    UserFields::parse(raw).map_err(|bad| {
        let msg = format!(
            "The `user.fields` query parameter value [{bad}] is not one of [{}]",
            UserFields::names().join(",")
        );
        let body = bodies::invalid_request("user.fields", &[bad], &msg, s.x_host("user.fields"));
        Box::new(respond_json(s, 400, JSON, &body, Some(rate)))
    })
}

/// Sends a 200-class body, damaged if a fault said so; intact answers are counted and billed.
pub(super) fn deliver(
    s: &Shared,
    conn: &ConnHandle,
    admitted: Admitted,
    endpoint: Endpoint,
    status: u16,
    mut body: Vec<u8>,
    tally: RequestTally,
) -> Response {
    match admitted.damage {
        Some(Fault::Truncated) => {
            s.counters.truncated();
            conn.truncate_body(body.len() / 2);
        }
        Some(_) => {
            s.counters.malformed();
            // A trailing comma: complete, well-framed, and not JSON.
            body.pop();
            body.extend_from_slice(b",}");
        }
        None => {
            s.counters
                .answered(tally.found, tally.not_found, tally.suspended);
            s.counters.users_returned(endpoint, tally.ids.len() as u64);
            // Only users the client can actually read are billed, so damaged answers are free.
            // One ledger for every endpoint: a user read via a list is free to look up that day.
            s.ledger.charge(Utc::now().date_naive(), tally.ids);
        }
    }
    respond(s, status, JSON, body, Some(admitted.rate))
}

/// One users-lookup request, start to finish.
async fn answer(
    s: &Shared,
    conn: &ConnHandle,
    headers: &HeaderMap,
    asked: Asked,
    user_fields_raw: Option<String>,
) -> Response {
    let admitted = match admit(s, conn, headers, Endpoint::UsersLookup).await {
        Ok(a) => a,
        Err(answer) => return answer,
    };
    let fields = match user_fields(s, user_fields_raw.as_deref(), admitted.rate) {
        Ok(f) => f,
        Err(answer) => return *answer,
    };
    let (body, tally) = match lookup(s, &asked, fields) {
        Ok(found) => found,
        Err(invalid) => return respond_json(s, 400, JSON, &invalid, Some(admitted.rate)),
    };
    let status = if tally.found == 0
        && s.single_missing_as_404
        && matches!(asked, Asked::OneUsername(_) | Asked::OneId(_))
    {
        404
    } else {
        200
    };
    deliver(
        s,
        conn,
        admitted,
        Endpoint::UsersLookup,
        status,
        body,
        tally,
    )
}

fn credits_depleted(s: &Shared, rate: QuotaHeaders) -> Response {
    s.ledger.depleted();
    let body = bodies::credits_depleted(s.account_id);
    respond_json(s, 402, PROBLEM, &body, Some(rate))
}

fn server_error(s: &Shared, code: u16, rate: QuotaHeaders) -> Response {
    match code {
        // Gateways in front of the API answer with HTML, not JSON.
        502 | 504 => {
            let title = if code == 502 {
                "Bad Gateway"
            } else {
                "Gateway Timeout"
            };
            let html = format!(
                "<html><head><title>{code} {title}</title></head><body><h1>{code} {title}</h1></body></html>"
            );
            respond(
                s,
                code,
                "text/html; charset=utf-8",
                html.into_bytes(),
                Some(rate),
            )
        }
        _ => respond_json(s, code, PROBLEM, &bodies::server_error(code), Some(rate)),
    }
}

/// What an answer holds, for the counters and the ledger.
#[derive(Default)]
pub(super) struct RequestTally {
    /// Looked-up handles or ids found, missing or suspended (lookups only).
    pub found: u64,
    pub not_found: u64,
    pub suspended: u64,
    /// Ids of the users in `data`, the ones billed.
    pub ids: Vec<u64>,
}

#[derive(Serialize)]
struct ManyBody<'a> {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    data: Vec<UserView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Value>,
}

#[derive(Serialize)]
struct OneBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<UserView<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<Value>,
}

fn valid_handle(h: &str) -> bool {
    (1..=15).contains(&h.len()) && h.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

pub(super) fn valid_id(id: &str) -> bool {
    (1..=19).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_digit())
}

/// Splits and validates the asked values; the error is the 400 body.
fn values(s: &Shared, asked: &Asked) -> Result<Vec<String>, Value> {
    let parameter = asked.parameter();
    let (raw, many) = match asked {
        Asked::Usernames(v) | Asked::Ids(v) => (v.as_deref().unwrap_or(""), true),
        Asked::OneUsername(v) | Asked::OneId(v) => (v.as_str(), false),
    };
    let x_host = s.x_host(raw);
    let items: Vec<String> = if many {
        raw.split(',').map(str::to_string).collect()
    } else {
        vec![raw.to_string()]
    };
    if raw.is_empty() {
        let msg = format!("The `{parameter}` query parameter can not be empty");
        return Err(bodies::invalid_request(parameter, &[], &msg, x_host));
    }
    if items.len() > MAX_ITEMS {
        let msg = format!(
            "The number of values in the `{parameter}` query parameter list [{}] is not between 1 and {MAX_ITEMS}",
            items.len()
        );
        return Err(bodies::invalid_request(parameter, &items, &msg, x_host));
    }
    let by_id = matches!(asked, Asked::Ids(_) | Asked::OneId(_));
    let (check, pattern): (fn(&str) -> bool, &str) = if by_id {
        (valid_id, "^[0-9]{1,19}$")
    } else {
        (valid_handle, "^[A-Za-z0-9_]{1,15}$")
    };
    let bad: Vec<String> = items.iter().filter(|v| !check(v)).cloned().collect();
    if let Some(first) = bad.first() {
        let msg =
            format!("The `{parameter}` query parameter value [{first}] does not match {pattern}");
        return Err(bodies::invalid_request(parameter, &bad, &msg, x_host));
    }
    Ok(items)
}

/// Looks every asked value up and writes the 200 body.
fn lookup(s: &Shared, asked: &Asked, fields: UserFields) -> Result<(Vec<u8>, RequestTally), Value> {
    let parameter = asked.parameter();
    let items = values(s, asked)?;
    let by_id = matches!(asked, Asked::Ids(_) | Asked::OneId(_));
    let mut seen = std::collections::HashSet::with_capacity(items.len());
    let mut results = Vec::with_capacity(items.len());
    for item in items {
        // The API answers each distinct account once, however often or in whatever case it was asked.
        if !seen.insert(item.to_ascii_lowercase()) {
            continue;
        }
        let found = if by_id {
            item.parse::<u64>()
                .map_or(Lookup::NotFound, |id| s.directory.by_id(id))
        } else {
            s.directory.by_handle(&item)
        };
        results.push((item, found));
    }
    let mut tally = RequestTally::default();
    let mut data = Vec::new();
    let mut errors = Vec::new();
    for (item, found) in &results {
        match found {
            Lookup::Found(p) => {
                tally.found += 1;
                tally.ids.push(p.id);
                data.push(UserView { profile: p, fields });
                if p.pinned_tweet_deleted
                    && let Some(t) = p.pinned_tweet_id
                {
                    errors.push(bodies::deleted_pinned_tweet_entry(t, s.x_host(item)));
                }
            }
            Lookup::NotFound => {
                tally.not_found += 1;
                errors.push(bodies::not_found_entry(item, parameter, s.x_host(item)));
            }
            Lookup::Suspended(canonical) => {
                tally.suspended += 1;
                errors.push(bodies::suspended_entry(
                    item,
                    canonical,
                    parameter,
                    s.x_host(item),
                ));
            }
        }
    }
    let body = match asked {
        Asked::Usernames(_) | Asked::Ids(_) => serde_json::to_vec(&ManyBody { data, errors }),
        Asked::OneUsername(_) | Asked::OneId(_) => serde_json::to_vec(&OneBody {
            data: data.into_iter().next(),
            errors,
        }),
    };
    Ok((body.unwrap_or_default(), tally))
}
