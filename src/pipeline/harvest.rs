//! The harvest engine: looks a list of handles up in batches through the X API v2, within the
//! rate-limit budget, and writes records, raw responses, a journal and a summary into a run dir.
//!
//! It is a library the console drives: [`start`] returns a [`HarvestRun`] whose event stream
//! (bounded) reports progress and whose command sender pauses, resumes, cancels or adds one
//! handle. The headless `influx harvest` is only one reader of those events. Not here: drawing,
//! printing or exit codes.

mod batch;
mod outputs;

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

pub use batch::{AnsweredBatch, Batch, HandleAnswer, RetryPolicy, build_answered};
pub use outputs::{FailedHandle, OutputError, RECORDS_FILE, RESPONSES_FILE, SUMMARY_FILE, Summary};

use self::batch::{BatchContext, BatchEnd, run_batch};
use self::outputs::{BatchWriter, RecordLog, ResponseLog, count_lines};
use super::budget::{Budget, BudgetConfig};
use super::events::{BatchFigures, HandleOutcome, HarvestCommand, HarvestEvent};
use super::handles::{HandleList, normalize};
use super::journal::{BatchEntry, Journal, JournalError, RunHeader, RunTotals};
use super::xapi::{ClientConfig, ClientError, MAX_BATCH, XClient};

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
}

impl HarvestConfig {
    pub fn new(out_dir: &Path, client: ClientConfig) -> HarvestConfig {
        HarvestConfig {
            out_dir: out_dir.to_path_buf(),
            client,
            batch_size: MAX_BATCH,
            budget: BudgetConfig::default(),
            concurrency: 4,
            retry: RetryPolicy::default(),
            handles_file: None,
            resume: false,
            event_capacity: 1024,
            score: true,
        }
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
}

/// How a run ended, in the terms of the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Every handle answered (not found and suspended are answers).
    Complete,
    /// Some handles failed or were never asked (cancelled).
    Incomplete,
    /// The run could not go on: bad token, usage cap, forbidden, an unwritable run dir.
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

/// Prepares the run dir (new, or resumed from its journal) and starts the run on the current
/// tokio runtime. Errors here mean nothing was sent.
pub fn start(config: HarvestConfig, input: HandleList) -> Result<HarvestRun, HarvestError> {
    if config.batch_size == 0 || config.batch_size > MAX_BATCH {
        return Err(HarvestError::BatchSize(config.batch_size));
    }
    let dir = config.out_dir.clone();
    std::fs::create_dir_all(&dir).map_err(|source| HarvestError::RunDir {
        path: dir.clone(),
        source,
    })?;
    let client = XClient::new(&config.client)?;

    let mut summary = Summary {
        requested: input.handles.len(),
        invalid: input.invalid.clone(),
        duplicates: input.duplicates,
        ..Summary::default()
    };
    let mut done: HashSet<String> = HashSet::new();
    let (journal, records_len, base_totals, first_batch) = if config.resume {
        let (journal, resumed) = Journal::resume(&dir)?;
        for b in &resumed.batches {
            summary.harvested += b.found.len() + b.protected.len();
            summary.protected += b.protected.len();
            summary.not_found += b.not_found.len();
            summary.suspended += b.suspended.len();
            done.extend(b.answered().map(|h| h.to_ascii_lowercase()));
        }
        let len = resumed.records_len();
        (journal, len, resumed.last_totals(), resumed.next_batch())
    } else {
        let header = RunHeader {
            kind: "run".into(),
            started_at: Utc::now(),
            handles_file: config
                .handles_file
                .as_ref()
                .map(|p| std::path::absolute(p).unwrap_or_else(|_| p.clone())),
            api_base: config.client.base_url.clone(),
            batch_size: config.batch_size,
        };
        (Journal::create(&dir, &header)?, 0, RunTotals::default(), 1)
    };
    let records = RecordLog::open(&dir, records_len)?;
    let responses = ResponseLog::open(&dir)?;
    let writer = BatchWriter::spawn(records, journal).map_err(|source| HarvestError::RunDir {
        path: dir.clone(),
        source,
    })?;

    let already_done = input
        .handles
        .iter()
        .filter(|h| done.contains(&h.to_ascii_lowercase()))
        .count();
    let remaining: Vec<String> = input
        .handles
        .iter()
        .filter(|h| !done.contains(&h.to_ascii_lowercase()))
        .cloned()
        .collect();
    let queue: VecDeque<Batch> = remaining
        .chunks(config.batch_size)
        .enumerate()
        .map(|(i, chunk)| Batch {
            number: first_batch + i,
            handles: chunk.to_vec(),
        })
        .collect();

    let (event_tx, event_rx) = mpsc::channel(config.event_capacity.max(1));
    let (command_tx, command_rx) = mpsc::channel(64);
    let (cancel_tx, cancel_rx) = watch::channel(false);
    let budget = Arc::new(Budget::new(config.budget.clone()));
    budget.set_scheduled(queue.len() as u64);
    let ctx = Arc::new(BatchContext {
        client,
        budget,
        retry: config.retry.clone(),
        responses,
        events: event_tx.clone(),
        cancel: cancel_rx,
        requests: AtomicU64::new(0),
        retries: AtomicU64::new(0),
        score: config.score,
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
            already_done,
            invalid: input.invalid.len(),
        },
        next_batch: first_batch + queue.len(),
        queue,
        ctx,
        writer: Some(writer),
        summary,
        events: event_tx,
        cancel: cancel_tx,
        base_totals,
        known,
        fatal: None,
        cancelled: false,
        config,
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
    queue: VecDeque<Batch>,
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
    fatal: Option<String>,
    cancelled: bool,
}

impl Engine {
    async fn emit(&self, event: HarvestEvent) {
        let _ = self.events.send(event).await;
    }

    fn stopping(&self) -> bool {
        self.cancelled || self.fatal.is_some()
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

    async fn run(mut self, mut commands: mpsc::Receiver<HarvestCommand>) -> RunReport {
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
        let mut tasks: JoinSet<BatchEnd> = JoinSet::new();
        let mut running: HashMap<tokio::task::Id, Batch> = HashMap::new();
        let mut paused = false;
        let mut commands_open = true;
        loop {
            while !paused && !self.stopping() && tasks.len() < self.config.concurrency.max(1) {
                let Some(batch) = self.queue.pop_front() else {
                    break;
                };
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
                        self.finish(batch, end).await;
                    }
                },
                else => break,
            }
        }
        self.close().await
    }

    async fn command(&mut self, command: HarvestCommand, paused: &mut bool) {
        match command {
            HarvestCommand::Pause => {
                *paused = true;
                self.emit(HarvestEvent::Paused).await;
            }
            HarvestCommand::Resume => {
                *paused = false;
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
                    self.queue.push_front(Batch {
                        number,
                        handles: vec![handle],
                    });
                }
            },
        }
    }

    async fn finish(&mut self, batch: Batch, end: BatchEnd) {
        match end {
            BatchEnd::Answered {
                batch: answered,
                latency,
            } => self.answered(batch, answered, latency).await,
            BatchEnd::Failed { reason } => {
                for handle in batch.handles {
                    self.fail(handle, reason.clone()).await;
                }
            }
            BatchEnd::Fatal { reason } => {
                self.summary.pending += batch.handles.len();
                self.stop(reason).await;
            }
            BatchEnd::Cancelled => self.summary.pending += batch.handles.len(),
        }
        self.emit(HarvestEvent::Budget(self.ctx.budget.snapshot()))
            .await;
    }

    async fn stop(&mut self, reason: String) {
        if self.fatal.is_none() {
            self.fatal = Some(reason.clone());
            let _ = self.cancel.send(true);
            self.emit(HarvestEvent::RunFailed { reason }).await;
        }
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
        } = answered;
        let mut entry = BatchEntry {
            kind: "batch".into(),
            batch: batch.number,
            ..BatchEntry::default()
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
        let writer = self.writer.as_ref().expect("writer lives until close");
        if let Err(e) = writer.submit(lines, entry) {
            self.summary.pending += batch.handles.len();
            return self
                .stop(format!(
                    "{e}: the run stops; nothing already written is lost"
                ))
                .await;
        }
        self.summary.harvested += figures.found + figures.protected;
        self.summary.protected += figures.protected;
        self.summary.not_found += figures.not_found;
        self.summary.suspended += figures.suspended;
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
                self.stop(format!(
                    "{e}: the run stops; nothing already written is lost"
                ))
                .await;
            }
        }
        self.summary.pending += self.queue.iter().map(|b| b.handles.len()).sum::<usize>();
        let totals = self.totals();
        self.summary.requests = count_lines(&self.config.out_dir.join(RESPONSES_FILE));
        self.summary.retries = totals.retries;
        self.summary.waited_s = totals.waited_ms as f64 / 1000.0;
        self.summary.throttled = totals.throttled;
        self.summary.cancelled = self.cancelled;
        if let Some(e) = self.ctx.responses.error() {
            self.emit(log(tracing::Level::ERROR, e)).await;
        }
        self.summary.stopped = self.fatal.clone();
        if let Err(e) = self.summary.write(&self.config.out_dir) {
            self.stop(e.to_string()).await;
            self.summary.stopped = self.fatal.clone();
        }
        let outcome = if self.fatal.is_some() {
            RunOutcome::Stopped
        } else if !self.summary.failed.is_empty() || self.summary.pending > 0 {
            RunOutcome::Incomplete
        } else {
            RunOutcome::Complete
        };
        let summary = serde_json::to_value(&self.summary).unwrap_or_default();
        self.emit(HarvestEvent::RunDone { summary }).await;
        RunReport {
            summary: self.summary,
            outcome,
        }
    }
}

fn log(level: tracing::Level, message: String) -> HarvestEvent {
    HarvestEvent::Log { level, message }
}
