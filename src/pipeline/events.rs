//! The contract between the harvest engine and whoever watches it (console, headless printer):
//! events flow up over a bounded channel, commands flow down. Neither side knows the other's code.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::dataset::Record;

/// What the engine is asked to do while a run is in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HarvestCommand {
    /// Stop dispatching new requests; answers already in flight are still recorded.
    Pause,
    Resume,
    /// Finish the request in flight, write the journal, end the run.
    Cancel,
    /// Look one more handle up as soon as budget allows (spends budget).
    HarvestOne(String),
}

/// The rate-limit budget as the engine sees it now.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct BudgetSnapshot {
    /// Requests allowed per window (configured, or what `x-rate-limit-limit` said).
    pub limit: u32,
    /// Requests left in the current window, from `x-rate-limit-remaining` when known.
    pub remaining: u32,
    /// When the window resets (`x-rate-limit-reset`).
    pub reset_at: Option<DateTime<Utc>>,
    /// Requests scheduled but not yet sent.
    pub scheduled: u64,
    pub sent: u64,
    pub finished: u64,
    /// 429 answers received, of any shape.
    pub throttled: u64,
    /// Time spent waiting for budget (kept out of latency figures).
    pub waited: Duration,
}

/// How one requested handle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HandleOutcome {
    Found,
    Protected,
    NotFound,
    Suspended,
    /// Neither in `data` nor in `errors`, or its batch failed after all retries.
    Failed,
}

/// Per-batch figures, for the batch table.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct BatchFigures {
    pub found: usize,
    pub protected: usize,
    pub not_found: usize,
    pub suspended: usize,
    pub failed: usize,
}

#[derive(Debug, Clone)]
pub enum HarvestEvent {
    RunStarted {
        run_dir: std::path::PathBuf,
        handles: usize,
        batches: usize,
        /// Handles already answered in an earlier attempt (resume), not asked again.
        already_done: usize,
        invalid: usize,
    },
    BatchStarted {
        batch: usize,
        handles: usize,
    },
    /// A batch was answered; `records` are the scored author records it produced.
    BatchDone {
        batch: usize,
        figures: BatchFigures,
        records: Vec<Record>,
        latency: Duration,
    },
    HandleFailed {
        handle: String,
        outcome: HandleOutcome,
        reason: String,
    },
    Budget(BudgetSnapshot),
    /// The engine is waiting; the console shows the countdown.
    Waiting {
        until: DateTime<Utc>,
        reason: String,
    },
    Retrying {
        batch: usize,
        attempt: u32,
        reason: String,
    },
    Paused,
    Resumed,
    /// Free text for the log pane.
    Log {
        level: tracing::Level,
        message: String,
    },
    RunDone {
        summary: serde_json::Value,
    },
    /// The run could not go on (bad token, usage cap); `reason` says why in words.
    RunFailed {
        reason: String,
    },
}
