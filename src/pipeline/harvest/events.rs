//! The contract between the harvest engine and whoever watches it (console, headless printer):
//! events flow up over a bounded channel, commands flow down. Neither side knows the other's code.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::dataset::Record;
pub use crate::pipeline::harvest::budget::BudgetSnapshot;
use crate::pipeline::harvest::cost_plan::CostPlan;
use crate::pipeline::harvest::outputs::{Stopped, Summary};

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

/// Money as the engine sees it now (micro-dollars; see `harvest::pricing`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpendSnapshot {
    pub price_micros: u64,
    /// This run, over all its attempts.
    pub run_micros: u64,
    /// Every run of the data directory today, this one included.
    pub today_micros: u64,
    /// `--max-spend`, when set.
    pub cap_micros: Option<u64>,
    /// The worst case of the handles still queued (each billed unless read today).
    pub pending_micros: u64,
    pub users_billed: u64,
    pub free_rereads: u64,
    pub requests_cap: Option<u64>,
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
    /// Before the first request: what the run will send and may spend.
    Planned(CostPlan),
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
    Spend(SpendSnapshot),
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
    /// The run has ended and its summary.json is written.
    RunDone {
        summary: Box<Summary>,
    },
    /// No new request is sent: the run could not go on (no credits, bad token, usage cap) or
    /// reached a cap the operator set; answers in flight are still recorded.
    RunStopped(Stopped),
}
