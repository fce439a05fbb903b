//! One batch of a run, from budget to answer: waits for the budget, sends, retries 5xx and
//! transport errors with capped exponential backoff and jitter, waits out 429s, and stops at
//! answers that end the run (401, 402, 403, other 4xx, usage cap). Every answer is written to
//! responses.jsonl and priced in the ledger as it arrives. Not here: writing records or the
//! journal.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

use super::ledger::{RunLedger, billed_users};
use super::outputs::{ResponseLog, ResponsePlace, StopReason, Stopped};
use super::page::{Endpoint, PageAsk, next_token};
use crate::dataset::{Record, format_time};
use crate::pipeline::candidates::Judgement;
use crate::pipeline::harvest::budget::{Budget, Permit};
use crate::pipeline::harvest::events::HarvestEvent;
use crate::pipeline::harvest::xapi::{
    Answer, AnswerPlace, LookupBy, Reconciled, UserSource, UsersBody, XClient, author_record_owned,
    classify, reconcile_by, run_id,
};

/// How often and how patiently a batch is tried again.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Tries per batch for 5xx, malformed answers and transport errors (the first included).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// 429 answers a batch may meet before it is given up.
    pub max_throttled: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_throttled: 5,
        }
    }
}

impl RetryPolicy {
    /// Capped exponential backoff with jitter: between half and all of `base * 2^(n-1)`.
    pub(crate) fn delay(&self, failed_attempts: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << failed_attempts.saturating_sub(1).min(20));
        let cap = exp.min(self.max_delay);
        let half = cap / 2;
        half + half.mul_f64(rand::random::<f64>())
    }
}

/// One request of a run: handles looked up together, or one page of a paged source (list
/// members, a seed's followings), whose `handles` are empty until its answer names them.
#[derive(Debug, Clone)]
pub struct Batch {
    pub number: usize,
    pub handles: Vec<String>,
    pub page: Option<PageAsk>,
}

impl Batch {
    pub(crate) fn lookup(number: usize, handles: Vec<String>) -> Batch {
        Batch {
            number,
            handles,
            page: None,
        }
    }

    pub(crate) fn page(number: usize, page: PageAsk) -> Batch {
        Batch {
            number,
            handles: Vec::new(),
            page: Some(page),
        }
    }

    /// The endpoint whose rate window the request counts against.
    pub(crate) fn endpoint(&self) -> Endpoint {
        self.page
            .as_ref()
            .map_or(Endpoint::Lookup, |p| p.source.endpoint())
    }

    /// The most users the answer can bill: every handle of a lookup, `max_results` of a page.
    pub(crate) fn most_users(&self) -> u64 {
        match &self.page {
            None => self.handles.len() as u64,
            Some(p) => u64::from(p.max_results),
        }
    }
}

/// What the answer said about one handle, once its user object has moved into its record.
#[derive(Debug, Clone, PartialEq)]
pub enum HandleAnswer {
    Found { protected: bool },
    NotFound { detail: String },
    Suspended { detail: String },
    Failed { reason: String },
}

/// The records of one answer, built and serialised off the async workers.
#[derive(Debug, Default)]
pub struct AnsweredBatch {
    /// Every requested handle, in request order.
    pub answers: Vec<(String, HandleAnswer)>,
    /// The records of the found handles, in request order, scored when the run scores.
    pub records: Vec<Record>,
    /// `records` as records.jsonl lines (without their newline), so the writer only appends
    /// text. One string per record: small allocations are recycled, a growing batch-sized
    /// buffer was fresh pages (and page faults) every time.
    pub lines: Vec<String>,
    /// A page's answer: the page after it (`None` on the last page or for a lookup).
    pub next_page: Option<PageAsk>,
    /// A page's answer: the errors it carried about the source itself (an unknown or private
    /// list, an unknown seed), in words.
    pub source_errors: Vec<String>,
}

/// How a batch ended.
#[derive(Debug)]
pub(super) enum BatchEnd {
    Answered {
        /// Boxed: the records of a page are far larger than the other ends.
        batch: Box<AnsweredBatch>,
        latency: Duration,
    },
    /// Retries exhausted or the request refused: every handle of the batch failed.
    Failed { reason: String },
    /// The run cannot go on (bad token, no credits, usage cap, 24-hour budget spent), or may
    /// not (the request cap): the batch's handles stay pending.
    Stopped(Stopped),
    /// The run was cancelled before the batch was sent.
    Cancelled,
}

/// What every batch of a run shares.
#[derive(Debug)]
pub(super) struct BatchContext {
    pub client: XClient,
    /// The lookups' budget (the one the console shows).
    pub budget: Arc<Budget>,
    /// The budgets of the paged endpoints, each with its own window.
    pub page_budgets: std::collections::HashMap<Endpoint, Arc<Budget>>,
    pub retry: RetryPolicy,
    pub responses: ResponseLog,
    pub events: mpsc::Sender<HarvestEvent>,
    pub cancel: watch::Receiver<bool>,
    /// True while the operator has paused the run: a batch already spawned (waiting on the
    /// budget or its pacing slot) holds its request until the run resumes, so that a pause
    /// stops the spending at once rather than after every queued batch has gone out.
    pub paused: watch::Sender<bool>,
    pub requests: AtomicU64,
    pub retries: AtomicU64,
    /// How records are finished as they are built (admission verdict, M2 score).
    pub finish: Finish,
    pub ledger: RunLedger,
    /// The run directory, for messages that say how to resume.
    pub run_dir: PathBuf,
    /// Set by the first batch that meets an answer ending the run, so that no other batch
    /// sends a request after it (not even one that was already past the budget).
    pub halted: AtomicBool,
    /// Requests this run may still send (`--max-requests`), over all its attempts.
    pub request_slots: Option<AtomicU64>,
}

impl BatchContext {
    /// The budget of the endpoint `batch` is sent to.
    pub(super) fn budget_of(&self, batch: &Batch) -> &Arc<Budget> {
        match batch.endpoint() {
            Endpoint::Lookup => &self.budget,
            e => self.page_budgets.get(&e).unwrap_or(&self.budget),
        }
    }

    async fn emit(&self, event: HarvestEvent) {
        // A watcher that has gone away does not stop the run.
        let _ = self.events.send(event).await;
    }

    fn cancelled(&self) -> bool {
        *self.cancel.borrow() || self.halted.load(Ordering::SeqCst)
    }

    /// Ends the run from this batch: no batch sends another request.
    fn halt(&self, reason: StopReason, detail: String) -> BatchEnd {
        self.halted.store(true, Ordering::SeqCst);
        BatchEnd::Stopped(Stopped { reason, detail })
    }

    fn responses_failed(&self, why: String) -> BatchEnd {
        self.halt(
            StopReason::WriteFailed,
            format!(
                "{why}: an answer that is not kept cannot be proved or priced, so the run stops"
            ),
        )
    }

    /// Takes one of the requests `--max-requests` allows; false when none is left.
    fn take_request_slot(&self) -> bool {
        self.request_slots.as_ref().is_none_or(|slots| {
            slots
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        })
    }

    /// Prices an answer in the ledger; a ledger that cannot be written stops the run.
    fn charge(
        &self,
        sent_at: DateTime<Utc>,
        place: ResponsePlace,
        status: Option<u16>,
        users: Vec<(String, String)>,
    ) -> Result<super::ledger::LedgerEntry, BatchEnd> {
        self.ledger
            .charge(sent_at, place, status, users)
            .map_err(|e| {
                self.halt(
                    StopReason::WriteFailed,
                    format!("{e}: the ledger cannot count what is spent, so the run stops"),
                )
            })
    }

    /// Sleeps until `until`, or less when the run is cancelled; counts the time as waited.
    async fn wait_until(&self, until: DateTime<Utc>) {
        let Ok(span) = (until - Utc::now()).to_std() else {
            return;
        };
        let started = Instant::now();
        let mut cancel = self.cancel.clone();
        tokio::select! {
            () = tokio::time::sleep(span) => {}
            _ = cancel.wait_for(|c| *c) => {}
        }
        self.budget.add_waited(started);
    }

    /// Returns once the run is not paused (or is cancelled, which ends any wait).
    async fn wait_while_paused(&self) {
        let mut paused = self.paused.subscribe();
        let mut cancel = self.cancel.clone();
        tokio::select! {
            _ = paused.wait_for(|p| !*p) => {}
            _ = cancel.wait_for(|c| *c) => {}
        }
    }

    async fn backoff(&self, batch: usize, attempt: u32, reason: String) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        self.emit(HarvestEvent::Retrying {
            batch,
            attempt,
            reason,
        })
        .await;
        let delay = self.retry.delay(attempt);
        let mut cancel = self.cancel.clone();
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = cancel.wait_for(|c| *c) => {}
        }
    }
}

/// What every record built from an answer gets before it is written: the admission verdict on
/// the account as the answer shows it (`meta.admission`, see `Judgement`), so that a refresh
/// flags an author who turned into a brand, went inactive or fell below the threshold instead of
/// dropping it; and the M2 score when the run scores.
fn finish_record(record: &mut Record, fetched_at: DateTime<Utc>, finish: &Finish) {
    let admission = finish.judgement.admission(record, fetched_at);
    record.meta_mut().insert("admission".into(), admission);
    if finish.score {
        crate::pipeline::score::score_record(record);
    }
}

/// How a run finishes its records: judged as the data directory says, scored when it scores.
#[derive(Debug, Clone)]
pub struct Finish {
    pub judgement: Judgement,
    pub score: bool,
}

/// Reconciles an answer's users body against the requested handles and builds (and scores)
/// the record of every found handle, each user object moving into its record, which names the
/// answer it came from (`answer`: the run and its responses.jsonl line).
pub fn build_answered(
    requested: &[String],
    body: UsersBody,
    answer: &AnswerPlace,
    fetched_at: DateTime<Utc>,
    evidence: &str,
    finish: &Finish,
    by: LookupBy,
) -> AnsweredBatch {
    let mut built = AnsweredBatch {
        answers: Vec::with_capacity(requested.len()),
        ..AnsweredBatch::default()
    };
    for (handle, outcome) in reconcile_by(requested, body, by) {
        let answer = match outcome {
            Reconciled::Found {
                user,
                sha256,
                protected,
            } => {
                let source = UserSource {
                    answer,
                    sha256: &sha256,
                    fetched_at,
                    evidence,
                };
                let mut record = author_record_owned(*user, &source);
                finish_record(&mut record, fetched_at, finish);
                built.lines.push(record.to_line());
                built.records.push(record);
                HandleAnswer::Found { protected }
            }
            Reconciled::NotFound { detail } => HandleAnswer::NotFound { detail },
            Reconciled::Suspended { detail } => HandleAnswer::Suspended { detail },
            Reconciled::Failed { reason } => HandleAnswer::Failed { reason },
        };
        built.answers.push((handle, answer));
    }
    built
}

/// Builds (and scores) the record of every user object of a page, each naming the answer it
/// came from and the source it was found in (`meta.discovered`), and reads where the source
/// goes on. Errors about the source itself (an unknown or private list) are kept in words.
pub(super) fn build_page(
    page: &PageAsk,
    body: UsersBody,
    answer: &AnswerPlace,
    fetched_at: DateTime<Utc>,
    finish: &Finish,
) -> AnsweredBatch {
    let next_page = next_token(&body).map(|t| page.next(t));
    let source_errors = body
        .errors
        .iter()
        .filter(|e| e.resource_type.as_deref() != Some("user") || body.data.is_empty())
        .map(|e| {
            e.detail
                .clone()
                .or_else(|| e.title.clone())
                .or_else(|| e.message.clone())
                .unwrap_or_else(|| "an error about the source".into())
        })
        .collect();
    let evidence = format!("GET {} page", page.source.label());
    let mut discovered = page.source.discovered_entry();
    discovered.insert("at".into(), Value::from(format_time(fetched_at)));
    let discovered = Value::Array(vec![Value::Object(discovered)]);
    let mut built = AnsweredBatch {
        next_page,
        source_errors,
        ..AnsweredBatch::default()
    };
    for received in body.data {
        let sha256 = crate::digest::sha256_hex(received.text.get().as_bytes());
        let user = match received.user {
            Ok(user) => user,
            Err(reason) => {
                let id = serde_json::from_str::<Value>(received.text.get())
                    .ok()
                    .and_then(|v| v.get("id").and_then(Value::as_str).map(str::to_string))
                    .unwrap_or_else(|| "(no id)".into());
                built.answers.push((
                    format!("id:{id}"),
                    HandleAnswer::Failed {
                        reason: format!("user object not in the documented shape: {reason}"),
                    },
                ));
                continue;
            }
        };
        let handle = user.username.clone();
        let protected = user.protected == Some(true);
        let source = UserSource {
            answer,
            sha256: &sha256,
            fetched_at,
            evidence: &evidence,
        };
        let mut record = author_record_owned(user, &source);
        record
            .meta_mut()
            .insert("discovered".into(), discovered.clone());
        finish_record(&mut record, fetched_at, finish);
        built.lines.push(record.to_line());
        built.records.push(record);
        built
            .answers
            .push((handle, HandleAnswer::Found { protected }));
    }
    built
}

/// "cannot connect to 127.0.0.1:1: connection refused": the host of `base_url` and the last,
/// most specific cause of a transport error's chain, without the OS error number.
fn unreachable_words(base_url: &str, detail: &str) -> String {
    let host = base_url
        .split_once("://")
        .map_or(base_url, |(_, rest)| rest)
        .split('/')
        .next()
        .unwrap_or(base_url);
    let cause = detail.rsplit(": ").next().unwrap_or(detail);
    let cause = cause.split(" (os error").next().unwrap_or(cause);
    let mut chars = cause.chars();
    let cause = match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::from("no answer"),
    };
    format!("cannot connect to {host}: {cause}")
}

/// `meta.sources[].evidence` of a lookup batch's records: the endpoint and the batch.
pub(super) fn lookup_evidence(by: LookupBy, batch: usize) -> String {
    let endpoint = match by {
        LookupBy::Usernames => "/2/users/by",
        LookupBy::Ids => "/2/users",
    };
    format!("GET {endpoint} batch {batch}")
}

/// Builds an answer's records off the async workers (building and scoring them is the
/// CPU-heavy part of a batch).
async fn built_off_the_workers(
    latency: Duration,
    build: impl FnOnce() -> AnsweredBatch + Send + 'static,
) -> BatchEnd {
    match tokio::task::spawn_blocking(build).await {
        Ok(batch) => BatchEnd::Answered {
            batch: Box::new(batch),
            latency,
        },
        Err(e) => BatchEnd::Failed {
            reason: format!("building the records of the answer failed: {e}"),
        },
    }
}

/// Runs one batch to its end.
pub(super) async fn run_batch(ctx: Arc<BatchContext>, batch: Batch) -> BatchEnd {
    let budget = ctx.budget_of(&batch).clone();
    let mut failures = 0u32;
    let mut throttles = 0u32;
    loop {
        let ticket = loop {
            ctx.wait_while_paused().await;
            if ctx.cancelled() {
                return BatchEnd::Cancelled;
            }
            match budget.take(Utc::now()) {
                Permit::Send(ticket) => break ticket,
                Permit::Exhausted { reason } => {
                    return ctx.halt(
                        StopReason::DailyLimit,
                        format!(
                            "{reason}: the run stops; finish it then with influx harvest --resume {}",
                            ctx.run_dir.display()
                        ),
                    );
                }
                Permit::WaitUntil {
                    until,
                    reason,
                    skew_warning,
                } => {
                    if let Some(message) = skew_warning {
                        ctx.emit(HarvestEvent::Log {
                            level: tracing::Level::WARN,
                            message,
                        })
                        .await;
                    }
                    ctx.emit(HarvestEvent::Waiting { until, reason }).await;
                    ctx.emit(HarvestEvent::Budget(budget.snapshot())).await;
                    ctx.wait_until(until).await;
                }
            }
        };
        let paced = Instant::now();
        let mut cancel = ctx.cancel.clone();
        // A slow plan's pacing slot can be minutes long: a stop must not wait for it.
        tokio::select! {
            () = budget.pace() => {}
            _ = cancel.wait_for(|c| *c) => {}
        }
        budget.add_waited(paced);
        // The run may have been stopped (a 402 elsewhere) or cancelled while this one waited.
        if ctx.cancelled() {
            budget.abandon(ticket);
            return BatchEnd::Cancelled;
        }
        // Paused while it waited for its pacing slot: the request is not sent, and the batch
        // asks the budget again once the run resumes (the window may have moved meanwhile).
        if *ctx.paused.borrow() {
            budget.abandon(ticket);
            continue;
        }
        if !ctx.take_request_slot() {
            budget.abandon(ticket);
            return BatchEnd::Stopped(Stopped {
                reason: StopReason::RequestCap,
                detail: format!(
                    "the request cap is reached; raise --max-requests and run influx harvest --resume {}",
                    ctx.run_dir.display()
                ),
            });
        }
        let attempt = failures + throttles + 1;
        ctx.requests.fetch_add(1, Ordering::Relaxed);
        let sent = match &batch.page {
            None => ctx.client.lookup(&batch.handles).await,
            Some(page) => ctx.client.page(page).await,
        };
        let raw = match sent {
            Ok(raw) => raw,
            Err(e) => {
                budget.abandon(ticket);
                let written = ctx.responses.write(&json!({
                    "batch": batch.number,
                    "attempt": attempt,
                    "path": e.path,
                    "status": Value::Null,
                    "sent_at": format_time(e.sent_at),
                    "latency_ms": e.latency.as_millis() as u64,
                    "error": e.to_string(),
                }));
                let place = match written {
                    Ok(place) => place,
                    Err(why) => return ctx.responses_failed(why),
                };
                if let Err(end) = ctx.charge(e.sent_at, place, None, Vec::new()) {
                    return end;
                }
                // No connection and no answer yet this run: the address is wrong or the API is
                // down. Retrying every batch would only repeat the same refusal per handle, so
                // the run stops as it does on a fatal answer. Once answers have come, a refused
                // connection is a transient stumble and is retried.
                if e.kind == "connect failed" && !ctx.responses.has_answers() {
                    return ctx.halt(
                        StopReason::Unreachable,
                        unreachable_words(ctx.client.base_url(), &e.detail),
                    );
                }
                failures += 1;
                if failures >= ctx.retry.max_attempts {
                    return BatchEnd::Failed {
                        reason: format!("{e} (after {failures} attempts)"),
                    };
                }
                ctx.backoff(batch.number, failures, e.to_string()).await;
                continue;
            }
        };
        // responses.jsonl keeps each answer on one line, so a raw line break (in JSON only ever
        // whitespace) becomes a space; folded before reading, the user objects hashed are the
        // bytes anyone finds in responses.jsonl.
        let mut raw = raw;
        raw.body
            .iter_mut()
            .filter(|b| matches!(**b, b'\n' | b'\r'))
            .for_each(|b| *b = b' ');
        let answer = classify(raw.status, &raw.body);
        let mut meta = json!({
            "batch": batch.number,
            "attempt": attempt,
            "path": raw.path,
            "status": raw.status,
            "sent_at": format_time(raw.sent_at),
            "latency_ms": raw.latency.as_millis() as u64,
            "rate_limit": raw.rate,
        });
        // The page a batch read, so that a resume can rebuild it from this line alone.
        if let Some(page) = &batch.page {
            meta["page"] = json!(page);
        }
        // A JSON body goes in byte for byte; anything else as text.
        let body_is_json = matches!(answer, Answer::Users(_))
            || !matches!(answer, Answer::Malformed { .. })
                && serde_json::from_slice::<serde::de::IgnoredAny>(&raw.body).is_ok();
        let place = match ctx.responses.write_answer(&meta, &raw.body, body_is_json) {
            Ok(place) => place,
            Err(why) => {
                budget.abandon(ticket);
                return ctx.responses_failed(why);
            }
        };
        // X bills the users an answer returns; only a users body returns any.
        let users = match &answer {
            Answer::Users(body) => billed_users(Some(raw.status), body),
            _ => Vec::new(),
        };
        if let Err(end) = ctx.charge(raw.sent_at, place, Some(raw.status), users) {
            budget.abandon(ticket);
            return end;
        }
        let now = Utc::now();
        match answer {
            Answer::Users(body) if batch.page.is_some() => {
                budget.observe(ticket, &raw.rate, now);
                let page = batch.page.clone().expect("a page batch");
                let (fetched_at, finish) = (raw.sent_at, ctx.finish.clone());
                let answer = AnswerPlace {
                    run: run_id(&ctx.run_dir),
                    response_line: place.line,
                };
                return built_off_the_workers(raw.latency, move || {
                    build_page(&page, body, &answer, fetched_at, &finish)
                })
                .await;
            }
            Answer::Users(body) => {
                budget.observe(ticket, &raw.rate, now);
                let handles = batch.handles.clone();
                let by = ctx.client.lookup_by();
                let evidence = lookup_evidence(by, batch.number);
                let (fetched_at, finish) = (raw.sent_at, ctx.finish.clone());
                let answer = AnswerPlace {
                    run: run_id(&ctx.run_dir),
                    response_line: place.line,
                };
                return built_off_the_workers(raw.latency, move || {
                    build_answered(&handles, body, &answer, fetched_at, &evidence, &finish, by)
                })
                .await;
            }
            Answer::RateLimited { detail } => {
                let (until, skew_warning) = budget.throttled(ticket, &raw.rate, now);
                throttles += 1;
                if throttles > ctx.retry.max_throttled {
                    return BatchEnd::Failed {
                        reason: format!("429 {detail} ({throttles} times)"),
                    };
                }
                if let Some(message) = skew_warning {
                    ctx.emit(HarvestEvent::Log {
                        level: tracing::Level::WARN,
                        message,
                    })
                    .await;
                }
                ctx.retries.fetch_add(1, Ordering::Relaxed);
                ctx.emit(HarvestEvent::Waiting {
                    until,
                    reason: format!("429 {detail}: waiting for rate-limit reset"),
                })
                .await;
                ctx.wait_until(until).await;
            }
            Answer::UsageCapped { detail } => {
                budget.observe(ticket, &raw.rate, now);
                return ctx.halt(
                    StopReason::UsageCap,
                    format!(
                        "usage cap exceeded ({detail}): waiting does not help; the run stops. \
                         Finish it with influx harvest --resume {} once the cap has reset",
                        ctx.run_dir.display()
                    ),
                );
            }
            Answer::CreditsDepleted { detail } => {
                budget.observe(ticket, &raw.rate, now);
                return ctx.halt(
                    StopReason::CreditsDepleted,
                    format!(
                        "the account has no credits left (402 CreditsDepleted: {detail}): top up, \
                         then influx harvest --resume {}",
                        ctx.run_dir.display()
                    ),
                );
            }
            Answer::ClientError { status, detail } => {
                budget.observe(ticket, &raw.rate, now);
                return ctx.halt(
                    StopReason::ClientError,
                    format!(
                        "{status} {detail}: no retry can fix this answer (is --api-base right?); \
                         the run stops. Finish it with influx harvest --resume {}",
                        ctx.run_dir.display()
                    ),
                );
            }
            Answer::Unauthorized { detail } => {
                budget.abandon(ticket);
                return ctx.halt(
                    StopReason::Unauthorized,
                    format!(
                        "401 {detail}: the bearer token was refused; check X_BEARER_TOKEN or --token-file"
                    ),
                );
            }
            Answer::Forbidden { detail } => {
                budget.observe(ticket, &raw.rate, now);
                return ctx.halt(
                    StopReason::Forbidden,
                    format!(
                        "403 {detail}: this app may not use the users lookup (is it attached to a \
                         project with the right access level?)"
                    ),
                );
            }
            Answer::InvalidRequest { detail } => {
                budget.observe(ticket, &raw.rate, now);
                return BatchEnd::Failed {
                    reason: format!("400 invalid request: {detail}"),
                };
            }
            Answer::ServerError { status, detail } => {
                budget.observe(ticket, &raw.rate, now);
                failures += 1;
                let reason = format!("{status} {detail}");
                if failures >= ctx.retry.max_attempts {
                    return BatchEnd::Failed {
                        reason: format!("{reason} (after {failures} attempts)"),
                    };
                }
                ctx.backoff(batch.number, failures, reason).await;
            }
            Answer::Malformed { detail } => {
                budget.observe(ticket, &raw.rate, now);
                failures += 1;
                let reason = format!("malformed answer: {detail}");
                if failures >= ctx.retry.max_attempts {
                    return BatchEnd::Failed {
                        reason: format!("{reason} (after {failures} attempts)"),
                    };
                }
                ctx.backoff(batch.number, failures, reason).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_api_is_named_by_its_host_and_its_last_cause() {
        let detail = "error sending request for url (http://127.0.0.1:1/2/users/by?usernames=a,b): client error (Connect): tcp connect error: Connection refused (os error 111)";
        assert_eq!(
            unreachable_words("http://127.0.0.1:1", detail),
            "cannot connect to 127.0.0.1:1: connection refused"
        );
    }

    #[test]
    fn backoff_grows_exponentially_with_jitter_and_stays_under_the_cap() {
        let policy = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(700),
            max_throttled: 1,
        };
        for _ in 0..50 {
            let first = policy.delay(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.delay(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(policy.delay(30) <= Duration::from_millis(700));
        }
    }
}
