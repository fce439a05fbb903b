//! Sample-data placeholder detectors (../shared/reference/placeholders.md): record-level flags that
//! need only the record, and batch-level flags that need the records around it. Every flag carries
//! its rule and evidence in words. Flags never delete or change anything; the audit reports them
//! and the merge decides whether they block.

use rayon::prelude::*;
use serde::Serialize;

use crate::dataset::{AuthorView, Metrics, Record};

mod bounds;
mod collisions;
mod digits;
mod ids;
mod names;
pub(crate) mod provenance;
mod series;

pub(crate) use ids::snowflake_users_since;
pub(crate) use provenance::SourceKind;

/// One reason to suspect a record is sample data, in words, with the rule that fired.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlaceholderFlag {
    /// Short stable id of the detector (`placeholder_name`, `snowflake_mismatch`, ...).
    pub detector: &'static str,
    /// The reason in plain words, with the evidence.
    pub reason: String,
}

/// One reason to suspect a whole batch (or a group of records in it): a pattern that no single
/// record shows. `records` are positions in the slice given to [`batch_flags`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchFlag {
    /// Short stable id of the detector (`arithmetic_progression`, `round_number_heaping`, ...).
    pub detector: &'static str,
    /// How much weight the flag deserves.
    pub severity: Severity,
    /// The reason in plain words, with the numbers.
    pub reason: String,
    /// The records the evidence is about (positions in the batch); empty when it is the whole batch.
    pub records: Vec<usize>,
}

/// Batch flags differ in how far they can be trusted (placeholders.md, "false-positive risk").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Very low false-positive risk: almost never happens in real data.
    Strong,
    /// Moderate risk: flag the batch for a person to look at, never drop on it.
    Review,
    /// Only meaningful on large batches; a hint, not a verdict.
    Hint,
}

/// Record-level flags: detectors that need only the record itself.
pub fn record_flags(record: &Record) -> Vec<PlaceholderFlag> {
    view_flags(&record.view())
}

/// [`record_flags`] of a record read as a view (straight from its line, without a `Record`).
pub(crate) fn view_flags(record: &AuthorView<'_>) -> Vec<PlaceholderFlag> {
    view_flags_with_metrics(record, &record.metrics())
}

/// [`view_flags`] for a caller that has already read the record's metrics (scoring has): they
/// are read once per record instead of once per detector. `metrics` must be `record.metrics()`.
pub(crate) fn view_flags_with_metrics(
    record: &AuthorView<'_>,
    metrics: &Metrics,
) -> Vec<PlaceholderFlag> {
    let mut flags = Vec::new();
    provenance::flags(record, metrics, &mut flags);
    names::flags(record, &mut flags);
    ids::flags(record, metrics, &mut flags);
    bounds::flags(record, metrics, &mut flags);
    flags
}

/// What the batch-level detectors read of one record: a few hundred bytes instead of the whole
/// record, so a dataset of millions can be checked without holding it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DetectorRow {
    pub id: Option<String>,
    pub handle: Option<String>,
    /// The stored score's value (a numeric string counts), as [`crate::dataset::StoredScore::value`].
    pub score: Option<f64>,
    pub metrics: crate::dataset::Metrics,
}

impl DetectorRow {
    pub(crate) fn of(record: &Record) -> Self {
        DetectorRow {
            id: record.id().map(str::to_string),
            handle: record.handle().map(str::to_string),
            score: record.stored_score().value(),
            metrics: record.metrics(),
        }
    }

    /// The handle folded for matching, as [`Record::handle_key`].
    pub(crate) fn handle_key(&self) -> Option<String> {
        self.handle
            .as_deref()
            .map(|h| h.trim_start_matches('@').to_ascii_lowercase())
    }
}

/// Batch-level flags over records read together (a batch file, or a whole dataset).
pub fn batch_flags(records: &[Record]) -> Vec<BatchFlag> {
    let rows: Vec<DetectorRow> = records.iter().map(DetectorRow::of).collect();
    batch_row_flags(&rows)
}

/// [`batch_flags`] over rows already reduced to what the detectors read.
pub(crate) fn batch_row_flags(rows: &[DetectorRow]) -> Vec<BatchFlag> {
    type Detector = fn(&BatchView, &mut Vec<BatchFlag>);
    const DETECTORS: [Detector; 8] = [
        collisions::sequential_ids,
        collisions::duplicate_metric_vectors,
        collisions::shared_created_at,
        series::arithmetic_progressions,
        series::correlated_columns,
        series::low_variance,
        digits::round_number_heaping,
        digits::benford,
    ];
    let view = BatchView { rows };
    // The detectors are independent: run side by side, reported in this order.
    let found: Vec<Vec<BatchFlag>> = DETECTORS
        .par_iter()
        .map(|detect| {
            let mut flags = Vec::new();
            detect(&view, &mut flags);
            flags
        })
        .collect();
    found.into_iter().flatten().collect()
}

/// The metric columns batch detectors look at, in the API's names.
pub(crate) const COLUMNS: [&str; 6] = [
    "followers",
    "following",
    "tweets",
    "listed",
    "likes",
    "media",
];

/// The records of a batch as the detectors see them.
pub(crate) struct BatchView<'a> {
    pub rows: &'a [DetectorRow],
}

impl BatchView<'_> {
    pub(crate) fn len(&self) -> usize {
        self.rows.len()
    }

    pub(crate) fn metrics(&self, i: usize) -> &crate::dataset::Metrics {
        &self.rows[i].metrics
    }

    /// Column `c` (an index into [`COLUMNS`]) of record `i`.
    pub(crate) fn value(&self, i: usize, c: usize) -> Option<u64> {
        let m = &self.rows[i].metrics;
        match c {
            0 => m.followers,
            1 => m.following,
            2 => m.tweets,
            3 => m.listed,
            4 => m.likes,
            _ => m.media,
        }
    }

    /// A short way to name record `i` in a reason: its handle, else its id, else its position.
    pub(crate) fn label(&self, i: usize) -> String {
        let r = &self.rows[i];
        match (r.handle.as_deref(), r.id.as_deref()) {
            (Some(h), _) => format!("@{h}"),
            (None, Some(id)) => format!("id {id}"),
            _ => format!("record #{}", i + 1),
        }
    }

    /// Up to five labels, then "and N more".
    pub(crate) fn labels(&self, idx: &[usize]) -> String {
        let mut out: Vec<String> = idx.iter().take(5).map(|&i| self.label(i)).collect();
        if idx.len() > 5 {
            out.push(format!("and {} more", idx.len() - 5));
        }
        out.join(", ")
    }
}
