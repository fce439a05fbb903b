//! The harvest engine: looks a list of handles up in batches through the X API v2, within the
//! rate-limit budget, and writes records, raw responses, a journal and a summary into a run dir.
//!
//! It is a library the console drives: [`plan`] says what a run would send and spend, [`start`]
//! returns a [`HarvestRun`] whose event stream (bounded) reports progress and spend and whose
//! command sender pauses, resumes, cancels or adds one handle. The headless `influx harvest` is
//! only one reader of those events. Money: every answer is priced in the data directory's ledger
//! (`ledger`), and no request is sent whose worst-case cost would pass `--max-spend`. Not here:
//! drawing, printing or exit codes.

mod batch;
pub mod budget;
pub(crate) mod cost_plan;
pub mod events;
pub mod handles;
pub(crate) mod journal;
pub mod ledger;
pub(crate) mod outputs;
pub(crate) mod page;
mod pending;
pub(crate) mod pricing;
mod rebuild;
pub(crate) mod setup;
pub mod xapi;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::pipeline::data_dir::DataDir;

pub use batch::{AnsweredBatch, Batch, HandleAnswer, RetryPolicy, build_answered};
pub use cost_plan::CostPlan;
pub use ledger::LedgerError;
pub use outputs::{
    FailedHandle, OutputError, RECORDS_FILE, RESPONSES_FILE, SUMMARY_FILE, StopReason, Stopped,
    Summary,
};
pub use page::{Endpoint, PageAsk, PageSource};
pub use pricing::{Micros, Plan, PlanLimits, Pricing};
pub(crate) use setup::HarvestSetup;

use self::batch::{BatchContext, BatchEnd, run_batch};
use self::budget::{Budget, BudgetConfig};
use self::events::{BatchFigures, HandleOutcome, HarvestCommand, HarvestEvent, SpendSnapshot};
use self::handles::{HandleList, normalize};
use self::journal::{Journal, JournalBatch, JournalError, Resumed, RunHeader, RunTotals};
use self::ledger::{HarvestLock, Ledger, RunLedger};
pub(crate) use self::outputs::count_lines;
use self::outputs::{BatchWriter, RecordLog, ResponseLog};
use self::pending::Pending;
use self::xapi::{ClientConfig, ClientError, MAX_BATCH, XClient};

/// Everything a run needs besides its handles.
#[derive(Debug, Clone)]
pub struct HarvestConfig {
    pub out_dir: PathBuf,
    pub client: ClientConfig,
    /// Handles per request, 1 to 100.
    pub batch_size: usize,
    pub budget: BudgetConfig,
    /// Requests in flight at once (when the budget allows).
    pub concurrency: usize,
    pub retry: RetryPolicy,
    /// Where the handles came from, kept in the journal so `--resume DIR` can find them again.
    pub handles_file: Option<PathBuf>,
    /// Finish the run recorded in `out_dir` instead of starting a new one.
    pub resume: bool,
    /// Capacity of the event channel: a slow watcher slows the run rather than losing events.
    pub event_capacity: usize,
    /// Score records with M2 as they are written (the default). Off leaves them unscored for a
    /// later `influx score`, where only lookup speed matters (pacing tests, benches).
    pub score: bool,
    /// The data directory whose ledger prices every answer (and whose harvest lock the run
    /// holds); `None` prices the run in memory only.
    pub data_dir: Option<DataDir>,
    pub pricing: Pricing,
    /// The most the run may spend over all its attempts: no request is sent whose worst case
    /// (every handle in it billed, less known free re-reads) would pass it.
    pub max_spend: Option<Micros>,
    /// The most requests the run may send over all its attempts (retries count).
    pub max_requests: Option<u64>,
    /// The paged sources the run reads besides its handles (a discovery's lists and seeds'
    /// followings), each page a request like a lookup batch, priced and journaled the same way.
    pub sources: Vec<PageSource>,
    /// The windows of the paged endpoints (X documents them per endpoint; headers win).
    pub page_budgets: std::collections::BTreeMap<Endpoint, BudgetConfig>,
    /// How every record is judged (`meta.admission`): the admission rules in force and the
    /// operator's words, which outrank them (`Judgement::of_data_dir`).
    pub judgement: crate::pipeline::candidates::Judgement,
}

impl HarvestConfig {
    /// Requests in flight at once unless the operator says otherwise.
    pub(crate) const DEFAULT_CONCURRENCY: usize = 4;

    pub fn new(out_dir: &Path, client: ClientConfig) -> HarvestConfig {
        HarvestConfig {
            out_dir: out_dir.to_path_buf(),
            client,
            batch_size: MAX_BATCH,
            budget: BudgetConfig::default(),
            concurrency: HarvestConfig::DEFAULT_CONCURRENCY,
            retry: RetryPolicy::default(),
            handles_file: None,
            resume: false,
            event_capacity: 1024,
            score: true,
            data_dir: None,
            pricing: Pricing::default(),
            max_spend: None,
            max_requests: None,
            sources: Vec::new(),
            judgement: crate::pipeline::candidates::Judgement::bundled(),
            page_budgets: [Endpoint::ListMembers, Endpoint::Following]
                .into_iter()
                .map(|e| {
                    let (limit, secs) = e.documented_window();
                    let budget = BudgetConfig::new(
                        std::num::NonZeroU32::new(limit),
                        Duration::from_secs(secs),
                    );
                    (e, budget)
                })
                .collect(),
        }
    }

    /// The run directory as the ledger names it.
    fn run_dir(&self) -> PathBuf {
        ledger::run_key(&self.out_dir)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HarvestError {
    #[error("batch size {0} is out of range: 1 to {MAX_BATCH} handles per request")]
    BatchSize(usize),
    #[error("cannot create run directory {path}: {source}")]
    RunDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// How a run ended, in the terms of the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every handle answered (not found and suspended are answers).
    Complete,
    /// Some handles failed or were never asked (cancelled, or a cap the operator set).
    Incomplete,
    /// The run could not go on: bad token, no credits, usage cap, forbidden, an unwritable run dir.
    Stopped,
}

#[derive(Debug, Clone)]
pub struct RunReport {
    pub summary: Summary,
    pub outcome: RunOutcome,
}

/// A run in flight.
#[derive(Debug)]
pub struct HarvestRun {
    pub events: mpsc::Receiver<HarvestEvent>,
    pub commands: mpsc::Sender<HarvestCommand>,
    pub finished: tokio::task::JoinHandle<RunReport>,
}

/// A new run's directory in `data_dir`: `runs/<UTC time to the millisecond>`, which sorts in
/// the order runs started.
pub(crate) fn new_run_dir(data_dir: &DataDir) -> PathBuf {
    data_dir
        .runs_dir()
        .join(Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string())
}

/// What is left to ask of a run: the handles not answered in an earlier attempt.
struct Remaining {
    handles: Vec<String>,
    already_done: usize,
}

fn remaining(input: &HandleList, resumed: Option<&Resumed>) -> Remaining {
    let done: HashSet<String> = resumed
        .map(|r| {
            r.batches
                .iter()
                .flat_map(|b| b.answered().map(|h| h.to_ascii_lowercase()))
                .collect()
        })
        .unwrap_or_default();
    let handles: Vec<String> = input
        .handles
        .iter()
        .filter(|h| !done.contains(&h.to_ascii_lowercase()))
        .cloned()
        .collect();
    Remaining {
        already_done: input.handles.len() - handles.len(),
        handles,
    }
}

/// What `start` would send and spend, without sending, locking or writing anything (the
/// `--dry-run` and the console's confirmation).
pub fn plan(config: &HarvestConfig, input: &HandleList) -> Result<CostPlan, HarvestError> {
    if config.batch_size == 0 || config.batch_size > MAX_BATCH {
        return Err(HarvestError::BatchSize(config.batch_size));
    }
    let resumed = if config.resume {
        Some(Journal::read(&config.out_dir)?)
    } else {
        None
    };
    let left = remaining(input, resumed.as_ref());
    let now = Utc::now();
    let book = match &config.data_dir {
        Some(d) => ledger::read_book(d, now)?,
        None => ledger::LedgerBook::default(),
    };
    Ok(cost_plan(config, &left, &book, now))
}

/// The plan of `left` under the run's pricing, windows and caps, as `book` prices it on the
/// day of `now`: what `plan` answers and what `start` announces, from one place.
fn cost_plan(
    config: &HarvestConfig,
    left: &Remaining,
    book: &ledger::LedgerBook,
    now: chrono::DateTime<Utc>,
) -> CostPlan {
    let mut plan = CostPlan::new(
        &left.handles,
        config.batch_size,
        book,
        now.date_naive(),
        config.pricing,
        &config.budget,
    );
    plan.max_spend_micros = config.max_spend;
    plan.max_requests = config.max_requests;
    plan.spent_before_micros = book.run(&config.run_dir()).cost_micros;
    plan
}

/// Prepares the run dir (new, or resumed from its journal), takes the data directory's harvest
/// lock, repairs its ledger, and starts the run on the current tokio runtime. Errors here mean
/// nothing was sent.
pub fn start(config: HarvestConfig, input: HandleList) -> Result<HarvestRun, HarvestError> {
    if config.batch_size == 0 || config.batch_size > MAX_BATCH {
        return Err(HarvestError::BatchSize(config.batch_size));
    }
    let dir = config.out_dir.clone();
    std::fs::create_dir_all(&dir).map_err(|source| HarvestError::RunDir {
        path: dir.clone(),
        source,
    })?;
    let run_dir = config.run_dir();
    let client = XClient::new(&config.client)?;
    let now = Utc::now();
    let price = config.pricing.price_micros;
    // The lock first: a repair must not race another run that is still writing its answers.
    let (lock, book, file) = match &config.data_dir {
        Some(data) => {
            let lock = HarvestLock::take(data, &run_dir)?;
            let mut ledger = Ledger::open(data, &lock, now)?;
            ledger.repair_all(data)?;
            // A run outside DIR/runs is repaired at the price its journal gives.
            let own_price = Journal::read(&dir)
                .ok()
                .and_then(|r| r.header.price_micros)
                .unwrap_or(price);
            ledger.repair(&run_dir, own_price)?;
            let Ledger { book, file } = ledger;
            (Some(lock), book, Some(file))
        }
        None => (None, ledger::LedgerBook::default(), None),
    };

    let mut summary = Summary {
        requested: input.handles.len(),
        invalid: input.invalid.clone(),
        duplicates: input.duplicates,
        price_per_user_usd: pricing::micros_to_usd(price),
        ..Summary::default()
    };
    let finish = batch::Finish {
        judgement: config.judgement.clone(),
        score: config.score,
    };
    let (journal, records_len, base_totals, first_batch, left, pages, rebuilt) = if config.resume {
        let (journal, resumed) = Journal::resume(&dir)?;
        let journaled: HashSet<usize> = resumed.batches.iter().map(|b| b.batch).collect();
        let rebuilt = rebuild::unjournaled(&dir, &journaled, &finish).map_err(|source| {
            HarvestError::RunDir {
                path: dir.clone(),
                source,
            }
        })?;
        let same_page = |a: &PageAsk, b: &PageAsk| a.source == b.source && a.token == b.token;
        let pages: Vec<PageAsk> = resumed
            .pages_left()
            .into_iter()
            .filter(|p| {
                !rebuilt
                    .iter()
                    .any(|r| r.batch.page.as_ref().is_some_and(|q| same_page(p, q)))
            })
            .collect();
        for b in &resumed.batches {
            summary.harvested += b.found.len() + b.protected.len();
            summary.protected.extend(b.protected.iter().cloned());
            summary.not_found.extend(b.not_found.iter().cloned());
            summary.suspended.extend(b.suspended.iter().cloned());
        }
        let mut left = remaining(&input, Some(&resumed));
        // Handles a rebuilt answer settled are not asked again (failed ones are).
        let settled: HashSet<String> = rebuilt
            .iter()
            .flat_map(|r| &r.answered.answers)
            .filter(|(_, a)| !matches!(a, HandleAnswer::Failed { .. }))
            .map(|(h, _)| h.to_ascii_lowercase())
            .collect();
        let before = left.handles.len();
        left.handles
            .retain(|h| !settled.contains(&h.to_ascii_lowercase()));
        left.already_done += before - left.handles.len();
        let len = resumed.records_len();
        let next = rebuilt
            .iter()
            .map(|r| r.batch.number + 1)
            .fold(resumed.next_batch(), usize::max);
        (
            journal,
            len,
            resumed.last_totals(),
            next,
            left,
            pages,
            rebuilt,
        )
    } else {
        let header = RunHeader {
            kind: "run".into(),
            started_at: now,
            handles_file: config
                .handles_file
                .as_ref()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())),
            api_base: config.client.base_url.clone(),
            batch_size: config.batch_size,
            price_micros: Some(price),
            data_dir: config.data_dir.as_ref().map(|d| ledger::run_key(d.root())),
            sources: config.sources.clone(),
        };
        let left = remaining(&input, None);
        let pages = config.sources.iter().cloned().map(PageAsk::first).collect();
        (
            Journal::create(&dir, &header)?,
            0,
            RunTotals::default(),
            1,
            left,
            pages,
            Vec::new(),
        )
    };
    let records = RecordLog::open(&dir, records_len)?;
    let responses = ResponseLog::open(&dir)?;
    // Every request an earlier attempt sent is a line of responses.jsonl, journaled or not.
    let sent_before = responses.lines();
    let writer = BatchWriter::spawn(records, journal).map_err(|source| HarvestError::RunDir {
        path: dir.clone(),
        source,
    })?;

    let cost_plan = cost_plan(&config, &left, &book, now);
    let ledger = RunLedger::new(book, file, price, run_dir.clone());

    let mut queue = Pending::default();
    for (i, chunk) in left.handles.chunks(config.batch_size).enumerate() {
        let billable = ledger.billable(now.date_naive(), chunk);
        queue.push_back(Batch::lookup(first_batch + i, chunk.to_vec()), billable);
    }
    // A page may return any user: its worst case is every user it may return.
    for page in pages {
        let batch = Batch::page(first_batch + queue.len(), page);
        let most = batch.most_users();
        queue.push_back(batch, most);
    }

    let (event_tx, event_rx) = mpsc::channel(config.event_capacity.max(1));
    let (command_tx, command_rx) = mpsc::channel(64);
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let budget = Arc::new(Budget::new(config.budget.clone()));
    budget.set_scheduled(queue.len() as u64);
    let page_budgets = config
        .page_budgets
        .iter()
        .map(|(e, b)| (*e, Arc::new(Budget::new(b.clone()))))
        .collect();
    let ctx = Arc::new(BatchContext {
        client,
        budget,
        page_budgets,
        retry: config.retry.clone(),
        responses,
        events: event_tx.clone(),
        cancel: cancel_rx,
        paused: watch::channel(false).0,
        requests: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        finish,
        ledger,
        run_dir,
        halted: std::sync::atomic::AtomicBool::new(false),
        request_slots: config
            .max_requests
            .map(|m| AtomicU64::new(m.saturating_sub(sent_before))),
    });
    let known = input
        .handles
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let engine = Engine {
        started: RunStart {
            handles: input.handles.len(),
            batches: queue.len(),
            already_done: left.already_done,
            invalid: input.invalid.len(),
        },
        plan: cost_plan,
        next_batch: first_batch + queue.len(),
        queue,
        queue_day: now.date_naive(),
        ctx,
        writer: Some(writer),
        summary,
        events: event_tx,
        cancel: cancel_tx,
        base_totals,
        known,
        stopped: None,
        cancelled: false,
        reserved: HashMap::new(),
        rebuilt,
        config,
        _lock: lock,
    };
    let finished = tokio::spawn(engine.run(command_rx));
    Ok(HarvestRun {
        events: event_rx,
        commands: command_tx,
        finished,
    })
}

struct RunStart {
    handles: usize,
    batches: usize,
    already_done: usize,
    invalid: usize,
}

struct Engine {
    config: HarvestConfig,
    started: RunStart,
    plan: CostPlan,
    queue: Pending,
    /// The day the queue's worst case was counted for (a handle read yesterday is billed today).
    queue_day: chrono::NaiveDate,
    next_batch: usize,
    ctx: Arc<BatchContext>,
    /// Taken when the run closes, to wait for the last writes.
    writer: Option<BatchWriter>,
    summary: Summary,
    events: mpsc::Sender<HarvestEvent>,
    cancel: watch::Sender<bool>,
    base_totals: RunTotals,
    /// Lower-cased handles of this run, so one asked for by hand is not looked up twice.
    known: HashSet<String>,
    /// Why no new request is sent: a stop (402, token, usage cap) or a cap the operator set.
    stopped: Option<Stopped>,
    cancelled: bool,
    /// The worst-case cost of each batch in flight, held against `--max-spend` until its answer
    /// says what it really cost.
    reserved: HashMap<usize, Micros>,
    /// Batches an earlier attempt had answers for but never journaled (see `rebuild`): written
    /// first, from their kept answers.
    rebuilt: Vec<rebuild::Rebuilt>,
    /// Held until the run ends: no other harvest writes to the data directory meanwhile.
    _lock: Option<HarvestLock>,
}

/// Whether the next batch fits under the spend cap.
enum Fit {
    Whole,
    /// Only the first handles fit; the rest goes back to the queue.
    Shrunk(Batch),
    /// Nothing fits until a batch in flight says what it really cost.
    WaitForAnswers,
    /// Nothing fits, and nothing in flight can free room.
    Spent {
        room: Micros,
    },
}

impl Engine {
    async fn emit(&self, event: HarvestEvent) {
        let _ = self.events.send(event).await;
    }

    fn stopping(&self) -> bool {
        self.cancelled || self.stopped.is_some()
    }

    fn totals(&self) -> RunTotals {
        let snap = self.ctx.budget.snapshot();
        RunTotals {
            requests: self.base_totals.requests + self.ctx.requests.load(Ordering::Relaxed),
            retries: self.base_totals.retries + self.ctx.retries.load(Ordering::Relaxed),
            waited_ms: self.base_totals.waited_ms + snap.waited.as_millis() as u64,
            throttled: self.base_totals.throttled + snap.throttled,
        }
    }

    fn price(&self) -> Micros {
        self.config.pricing.price_micros
    }

    fn today(&self) -> chrono::NaiveDate {
        Utc::now().date_naive()
    }

    /// How many users asking for `batch` now may bill: each handle of a lookup unless already
    /// read today, every user a page may return.
    fn billable(&self, batch: &Batch) -> u64 {
        match batch.page {
            None => self.ctx.ledger.billable(self.today(), &batch.handles),
            Some(_) => batch.most_users(),
        }
    }

    /// The worst case of asking for `batch` now.
    fn worst_case(&self, batch: &Batch) -> Micros {
        self.billable(batch) * self.price()
    }

    /// Puts a batch at the head of the queue, what it could cost counted as it is now.
    fn requeue(&mut self, batch: Batch) {
        let billable = self.billable(&batch);
        self.queue.push_front(batch, billable);
    }

    fn spend(&mut self) -> SpendSnapshot {
        let today = self.today();
        if today != self.queue_day {
            let ledger = &self.ctx.ledger;
            self.queue.recount(|b| match b.page {
                None => ledger.billable(today, &b.handles),
                Some(_) => b.most_users(),
            });
            self.queue_day = today;
        }
        let spent = self.ctx.ledger.spent();
        SpendSnapshot {
            price_micros: self.price(),
            run_micros: spent.cost_micros,
            today_micros: self.ctx.ledger.spent_on(today),
            cap_micros: self.config.max_spend,
            pending_micros: self.queue.billable() * self.price(),
            users_billed: spent.users_billed,
            free_rereads: spent.free_rereads,
            requests_cap: self.config.max_requests,
        }
    }

    /// Fits `batch` under `--max-spend`: what has been spent and what the batches in flight
    /// might still cost are held against the cap; the batch is cut to the handles that still
    /// fit, so the cap is used rather than left unspent.
    fn fit(&mut self, batch: &mut Batch) -> Fit {
        let Some(cap) = self.config.max_spend else {
            return Fit::Whole;
        };
        let price = self.price();
        if price == 0 {
            return Fit::Whole;
        }
        let committed =
            self.ctx.ledger.spent().cost_micros + self.reserved.values().sum::<Micros>();
        let room = cap.saturating_sub(committed);
        let mut affordable = room / price;
        if let Some(page) = &mut batch.page {
            // A page cannot be split by handle: it asks for fewer users instead, and the next
            // page goes on from its token.
            return match u32::try_from(affordable).unwrap_or(u32::MAX) {
                0 if !self.reserved.is_empty() => Fit::WaitForAnswers,
                0 => Fit::Spent { room },
                n => {
                    page.max_results = page.max_results.min(n);
                    Fit::Whole
                }
            };
        }
        let today = self.today();
        let mut fits = 0;
        for h in &batch.handles {
            if !self.ctx.ledger.read_on(today, h) {
                if affordable == 0 {
                    break;
                }
                affordable -= 1;
            }
            fits += 1;
        }
        if fits == batch.handles.len() {
            Fit::Whole
        } else if fits > 0 {
            let rest = batch.handles.split_off(fits);
            let number = self.next_batch;
            self.next_batch += 1;
            Fit::Shrunk(Batch::lookup(number, rest))
        } else if !self.reserved.is_empty() {
            Fit::WaitForAnswers
        } else {
            Fit::Spent { room }
        }
    }

    async fn run(mut self, mut commands: mpsc::Receiver<HarvestCommand>) -> RunReport {
        self.emit(HarvestEvent::Planned(self.plan.clone())).await;
        self.emit(HarvestEvent::RunStarted {
            run_dir: self.config.out_dir.clone(),
            handles: self.started.handles,
            batches: self.started.batches,
            already_done: self.started.already_done,
            invalid: self.started.invalid,
        })
        .await;
        self.emit(HarvestEvent::Budget(self.ctx.budget.snapshot()))
            .await;
        let spend = self.spend();
        self.emit(HarvestEvent::Spend(spend)).await;
        if self.ctx.responses.cut > 0 {
            self.emit(log(
                tracing::Level::WARN,
                format!(
                    "responses.jsonl ended mid-line: {} bytes of an answer the last attempt was writing when it stopped were cut (after line {}); that batch is asked again",
                    self.ctx.responses.cut,
                    self.ctx.responses.lines()
                ),
            ))
            .await;
        }
        for kept in std::mem::take(&mut self.rebuilt) {
            self.emit(log(
                tracing::Level::INFO,
                format!(
                    "batch {} rebuilt from responses.jsonl line {}: answered before the last attempt stopped, not asked again",
                    kept.batch.number, kept.response_line
                ),
            ))
            .await;
            self.answered(kept.batch, kept.answered, Duration::ZERO)
                .await;
        }
        let mut tasks: JoinSet<BatchEnd> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, Batch> = HashMap::new();
        let mut paused = false;
        let mut commands_open = true;
        loop {
            while !paused && !self.stopping() && tasks.len() < self.config.concurrency.max(1) {
                let Some(mut batch) = self.queue.pop_front() else {
                    break;
                };
                match self.fit(&mut batch) {
                    Fit::Whole => {}
                    Fit::Shrunk(rest) => self.requeue(rest),
                    Fit::WaitForAnswers => {
                        self.requeue(batch);
                        break;
                    }
                    Fit::Spent { room } => {
                        self.requeue(batch);
                        self.cap_reached(room).await;
                        break;
                    }
                }
                self.reserved.insert(batch.number, self.worst_case(&batch));
                self.ctx.budget.set_scheduled(self.queue.len() as u64);
                self.emit(HarvestEvent::BatchStarted {
                    batch: batch.number,
                    handles: batch.handles.len(),
                })
                .await;
                let handle = tasks.spawn(run_batch(self.ctx.clone(), batch.clone()));
                running.insert(handle.id(), batch);
            }
            if tasks.is_empty() && (self.queue.is_empty() || self.stopping()) {
                break;
            }
            tokio::select! {
                biased;
                command = commands.recv(), if commands_open => match command {
                    Some(c) => self.command(c, &mut paused).await,
                    None => commands_open = false,
                },
                Some(joined) = tasks.join_next_with_id() => {
                    let (id, end) = match joined {
                        Ok((id, end)) => (id, end),
                        Err(e) => {
                            let reason = format!("batch task ended abnormally: {e}");
                            (e.id(), BatchEnd::Failed { reason })
                        }
                    };
                    if let Some(batch) = running.remove(&id) {
                        self.reserved.remove(&batch.number);
                        self.finish(batch, end).await;
                    }
                },
                else => break,
            }
        }
        self.close().await
    }

    async fn cap_reached(&mut self, room: Micros) {
        use pricing::format_usd;
        let left = self.queue.handles();
        let cap = self.config.max_spend.unwrap_or(0);
        let detail = format!(
            "the spend cap {} is reached: {} spent, {} left, which no handle fits at {} a user; \
             {left} handles stay pending. Raise --max-spend and run influx harvest --resume {}",
            format_usd(cap),
            format_usd(self.ctx.ledger.spent().cost_micros),
            format_usd(room),
            format_usd(self.price()),
            self.ctx.run_dir.display()
        );
        self.stop(Stopped {
            reason: StopReason::SpendCap,
            detail,
        })
        .await;
    }

    async fn command(&mut self, command: HarvestCommand, paused: &mut bool) {
        match command {
            HarvestCommand::Pause => {
                *paused = true;
                self.ctx.paused.send_replace(true);
                self.emit(HarvestEvent::Paused).await;
            }
            HarvestCommand::Resume => {
                *paused = false;
                self.ctx.paused.send_replace(false);
                self.emit(HarvestEvent::Resumed).await;
            }
            HarvestCommand::Cancel => {
                self.cancelled = true;
                let _ = self.cancel.send(true);
                self.emit(log(
                    tracing::Level::INFO,
                    "cancelled: finishing the requests in flight".into(),
                ))
                .await;
            }
            HarvestCommand::HarvestOne(input) => match normalize(&input) {
                Err(reason) => {
                    self.emit(log(
                        tracing::Level::WARN,
                        format!("{input:?} is not a handle: {reason}"),
                    ))
                    .await;
                }
                Ok(handle) if !self.known.insert(handle.to_ascii_lowercase()) => {
                    self.emit(log(
                        tracing::Level::INFO,
                        format!("{handle} is already part of this run"),
                    ))
                    .await;
                }
                Ok(handle) => {
                    self.summary.requested += 1;
                    let number = self.next_batch;
                    self.next_batch += 1;
                    self.requeue(Batch::lookup(number, vec![handle]));
                }
            },
        }
    }

    async fn finish(&mut self, batch: Batch, end: BatchEnd) {
        match end {
            BatchEnd::Answered {
                batch: answered,
                latency,
            } => self.answered(batch, *answered, latency).await,
            BatchEnd::Failed { reason } => {
                if let Some(page) = &batch.page {
                    self.fail(page.source.label(), reason.clone()).await;
                }
                for handle in batch.handles {
                    self.fail(handle, reason.clone()).await;
                }
            }
            BatchEnd::Stopped(stop) => {
                self.left_unasked(&batch);
                self.stop(stop).await;
            }
            BatchEnd::Cancelled => self.left_unasked(&batch),
        }
        self.emit(HarvestEvent::Budget(self.ctx.budget.snapshot()))
            .await;
        let spend = self.spend();
        self.emit(HarvestEvent::Spend(spend)).await;
    }

    /// Counts a batch that was never answered as pending.
    fn left_unasked(&mut self, batch: &Batch) {
        self.summary.pending += batch.handles.len();
        self.summary.pages_pending += usize::from(batch.page.is_some());
    }

    /// No new request goes out after this; answers in flight are still recorded.
    async fn stop(&mut self, stop: Stopped) {
        if self.stopped.is_none() {
            self.stopped = Some(stop.clone());
            let _ = self.cancel.send(true);
            self.emit(HarvestEvent::RunStopped(stop)).await;
        }
    }

    async fn write_failed(&mut self, detail: String) {
        self.stop(Stopped {
            reason: StopReason::WriteFailed,
            detail,
        })
        .await;
    }

    async fn fail(&mut self, handle: String, reason: String) {
        self.summary.failed.push(FailedHandle {
            handle: handle.clone(),
            reason: reason.clone(),
        });
        self.emit(HarvestEvent::HandleFailed {
            handle,
            outcome: HandleOutcome::Failed,
            reason,
        })
        .await;
    }

    async fn answered(&mut self, batch: Batch, answered: AnsweredBatch, latency: Duration) {
        let AnsweredBatch {
            answers,
            records,
            lines,
            next_page,
            source_errors,
        } = answered;
        let mut entry = JournalBatch {
            kind: "batch".into(),
            batch: batch.number,
            page: batch.page.clone(),
            next_page: next_page.clone(),
            ..JournalBatch::default()
        };
        let mut figures = BatchFigures::default();
        let mut notes = Vec::new();
        for (handle, outcome) in answers {
            match outcome {
                HandleAnswer::Found { protected } => {
                    if protected {
                        figures.protected += 1;
                        entry.protected.push(handle);
                    } else {
                        figures.found += 1;
                        entry.found.push(handle);
                    }
                }
                HandleAnswer::NotFound { detail } => {
                    figures.not_found += 1;
                    notes.push((handle.clone(), HandleOutcome::NotFound, detail));
                    entry.not_found.push(handle);
                }
                HandleAnswer::Suspended { detail } => {
                    figures.suspended += 1;
                    notes.push((handle.clone(), HandleOutcome::Suspended, detail));
                    entry.suspended.push(handle);
                }
                HandleAnswer::Failed { reason } => {
                    figures.failed += 1;
                    entry.failed.push((handle, reason));
                }
            }
        }
        entry.totals = self.totals();
        let failed = entry.failed.clone();
        let (protected, not_found, suspended) = (
            entry.protected.clone(),
            entry.not_found.clone(),
            entry.suspended.clone(),
        );
        let writer = self.writer.as_ref().expect("writer lives until close");
        if let Err(e) = writer.submit(lines, entry) {
            self.left_unasked(&batch);
            return self
                .write_failed(format!(
                    "{e}: the run stops; nothing already written is lost"
                ))
                .await;
        }
        if let Some(page) = &batch.page {
            for error in source_errors {
                self.fail(page.source.label(), error).await;
            }
            // The next page is asked only once this one is journaled: a resume goes on from it.
            if let Some(next) = next_page {
                let number = self.next_batch;
                self.next_batch += 1;
                let next = Batch::page(number, next);
                let most = next.most_users();
                self.queue.push_back(next, most);
                self.ctx.budget.set_scheduled(self.queue.len() as u64);
            }
        }
        self.summary.harvested += figures.found + figures.protected;
        self.summary.protected.extend(protected);
        self.summary.not_found.extend(not_found);
        self.summary.suspended.extend(suspended);
        for (handle, outcome, reason) in notes {
            self.emit(HarvestEvent::HandleFailed {
                handle,
                outcome,
                reason,
            })
            .await;
        }
        for (handle, reason) in failed {
            self.fail(handle, reason).await;
        }
        self.emit(HarvestEvent::BatchDone {
            batch: batch.number,
            figures,
            records,
            latency,
        })
        .await;
    }

    async fn close(mut self) -> RunReport {
        if let Some(writer) = self.writer.take() {
            let finished = tokio::task::spawn_blocking(move || writer.finish()).await;
            let result = finished.unwrap_or_else(|e| Err(format!("the record writer failed: {e}")));
            if let Err(e) = result {
                self.write_failed(format!(
                    "{e}: the run stops; nothing already written is lost"
                ))
                .await;
            }
        }
        // Every batch task has ended, so this is the only handle left on the context.
        let ledger_done = match Arc::get_mut(&mut self.ctx) {
            Some(ctx) => ctx.ledger.finish(),
            None => Ok(()),
        };
        if let Err(e) = ledger_done {
            self.write_failed(format!("{e}: the last answers are repaired from responses.jsonl by the next harvest of this data directory"))
                .await;
        }
        self.summary.pending += self.queue.handles();
        self.summary.pages_pending += self.queue.pages();
        let totals = self.totals();
        self.summary.requests = count_lines(&self.config.out_dir.join(RESPONSES_FILE));
        self.summary.retries = totals.retries;
        self.summary.waited_s = totals.waited_ms as f64 / 1000.0;
        self.summary.throttled = totals.throttled;
        self.summary.cancelled = self.cancelled;
        let spent = self.ctx.ledger.spent();
        self.summary.cost_usd = pricing::micros_to_usd(spent.cost_micros);
        self.summary.cost_micros = spent.cost_micros;
        self.summary.users_billed = spent.users_billed;
        self.summary.free_rereads = spent.free_rereads;
        if let Some(e) = self.ctx.responses.error() {
            self.emit(log(tracing::Level::ERROR, e)).await;
        }
        self.summary.stopped = self.stopped.clone();
        if let Err(e) = self.summary.write(&self.config.out_dir) {
            self.write_failed(e.to_string()).await;
            self.summary.stopped = self.stopped.clone();
        }
        let outcome = match &self.stopped {
            Some(s) if !s.reason.is_cap() => RunOutcome::Stopped,
            _ if !self.summary.failed.is_empty()
                || self.summary.pending > 0
                || self.summary.pages_pending > 0 =>
            {
                RunOutcome::Incomplete
            }
            _ => RunOutcome::Complete,
        };
        let spend = self.spend();
        self.emit(HarvestEvent::Spend(spend)).await;
        self.emit(HarvestEvent::RunDone {
            summary: Box::new(self.summary.clone()),
        })
        .await;
        RunReport {
            summary: self.summary,
            outcome,
        }
    }
}

fn log(level: tracing::Level, message: String) -> HarvestEvent {
    HarvestEvent::Log { level, message }
}
