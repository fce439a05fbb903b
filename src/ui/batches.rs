//! The batch table's rows: pending batch files found on disk and the batches of the run in
//! flight, each with its outcome figures, score mean and spread, and batch-level flags in words.

use super::batch_file::BatchContents;
use crate::dataset::Record;
use crate::pipeline::harvest::events::BatchFigures;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchState {
    /// A file waiting to be merged.
    Pending,
    Running,
    Done,
    Merged,
    /// Merge refused because of flags.
    Blocked,
}

impl BatchState {
    pub(crate) fn word(self) -> &'static str {
        match self {
            BatchState::Pending => "pending",
            BatchState::Running => "running",
            BatchState::Done => "done",
            BatchState::Merged => "merged",
            BatchState::Blocked => "BLOCKED",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct BatchLine {
    pub name: String,
    /// The engine's batch number, for batches of the run in flight.
    pub run_batch: Option<usize>,
    pub state: BatchState,
    pub figures: BatchFigures,
    pub records: usize,
    pub score_mean: Option<f64>,
    /// Standard deviation of the scores; a tiny spread is the sample-data signature.
    pub score_spread: Option<f64>,
    /// Records of this batch with a record-level placeholder flag.
    pub placeholder_records: usize,
    /// Batch-level findings, each in words.
    pub flags: Vec<String>,
}

/// Below this spread (over at least [`LOW_SPREAD_MIN_RECORDS`] scores) a batch looks generated:
/// the old pipeline's sample batches scored 4.5-4.6 across the board.
const LOW_SPREAD: f64 = 0.5;
const LOW_SPREAD_MIN_RECORDS: usize = 5;

impl BatchLine {
    pub fn new(name: impl Into<String>, state: BatchState) -> BatchLine {
        BatchLine {
            name: name.into(),
            run_batch: None,
            state,
            figures: BatchFigures::default(),
            records: 0,
            score_mean: None,
            score_spread: None,
            placeholder_records: 0,
            flags: Vec::new(),
        }
    }

    /// Fills the figures that come from the batch's records (a run's batch, in memory).
    pub fn describe(&mut self, records: &[Record]) {
        self.describe_contents(&BatchContents::of_records(records));
    }

    /// Fills the figures from what a batch's records hold (see [`BatchContents`]).
    pub(crate) fn describe_contents(&mut self, contents: &BatchContents) {
        self.records = contents.records;
        let scores = &contents.scores;
        let (mean, spread) = mean_and_spread(scores);
        self.score_mean = mean;
        self.score_spread = spread;
        self.placeholder_records = contents.placeholder_records;
        self.flags.clear();
        if self.placeholder_records > 0 {
            self.flags
                .push(format!("{} placeholders", self.placeholder_records));
        }
        if let Some(s) = spread
            && scores.len() >= LOW_SPREAD_MIN_RECORDS
            && s < LOW_SPREAD
        {
            self.flags.push(format!(
                "low spread: sd {s:.2} over {} scores",
                scores.len()
            ));
        }
    }

    pub(crate) fn is_flagged(&self) -> bool {
        !self.flags.is_empty()
    }
}

fn mean_and_spread(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n;
    (Some(mean), Some(var.sqrt()))
}
