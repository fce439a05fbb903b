//! What the batch table needs of a batch's records (how many, their stored scores, how many carry
//! a placeholder flag), one record at a time: of the records of a run in flight, and (through the
//! console's `Operations`, `cli::console_ops::batch_file`) of a pending batch file's lines, so
//! both are counted by one rule. Not here: reading the file, or what the figures mean
//! (`BatchLine::describe`).

use crate::dataset::{AuthorView, Record};
use crate::pipeline::audit::is_placeholder;

/// The figures of a batch's records, in file order.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct BatchContents {
    pub records: usize,
    /// The stored scores that are numbers (or numeric text), unscored records left out.
    pub scores: Vec<f64>,
    /// Records with a record-level placeholder flag.
    pub placeholder_records: usize,
}

/// One record's share of the figures.
pub(crate) struct RecordFigures {
    score: Option<f64>,
    flagged: bool,
}

impl RecordFigures {
    pub(crate) fn of(view: &AuthorView<'_>) -> RecordFigures {
        RecordFigures {
            score: view.stored_score().value(),
            flagged: is_placeholder(view),
        }
    }
}

impl BatchContents {
    /// The figures of records already in memory (the batches of a run in flight).
    pub(crate) fn of_records(records: &[Record]) -> BatchContents {
        let mut out = BatchContents::default();
        for r in records {
            out.add(RecordFigures::of(&r.view()));
        }
        out
    }

    /// Counts one more record.
    pub(crate) fn add(&mut self, facts: RecordFigures) {
        self.records += 1;
        self.scores.extend(facts.score);
        self.placeholder_records += usize::from(facts.flagged);
    }
}
