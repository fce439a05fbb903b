//! The score distribution of one dataset: 1-point score bins, p5/p50/p95, and the zero,
//! unscored and placeholder counts (every per-record fact from `audit::facts`). The history keeps
//! the distribution of every merged version, and the audit's drift compares two of them, so both
//! read it from here rather than from each other.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::dataset::{AuthorView, DatasetError, Lines, ReadLine};
use crate::pipeline::audit::checks_of_view;
use crate::pipeline::score::knots::quantile;

/// Scores 0 to 100 in bins of one point (100 itself in the last): the resolution of the
/// Kolmogorov-Smirnov distance between two stored distributions.
pub(crate) const BINS: usize = 101;

/// The score distribution of one dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Distribution {
    pub records: u64,
    /// Records with a usable score (not unscored).
    pub scored: u64,
    pub zero_scores: u64,
    pub unscored: u64,
    pub placeholders: u64,
    pub p5: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    /// Scored records per 1-point bin, `BINS` of them.
    pub bins: Vec<u64>,
}

/// Builds a [`Distribution`] one record at a time.
#[derive(Debug, Default)]
pub(crate) struct DistributionBuilder {
    d: Distribution,
    scores: Vec<f64>,
}

impl DistributionBuilder {
    /// Counts one record read through its view.
    pub(crate) fn add(&mut self, view: &AuthorView<'_>) {
        let checks = checks_of_view(view, true);
        self.d.records += 1;
        self.d.zero_scores += u64::from(checks.zero_score);
        self.d.unscored += u64::from(checks.unscored);
        self.d.placeholders += u64::from(checks.placeholder);
        if let Some(s) = view.stored_score().value().filter(|_| !checks.unscored) {
            self.scores.push(s);
        }
    }

    /// Folds in what another builder counted (records read on another core).
    pub(crate) fn absorb(&mut self, other: DistributionBuilder) {
        self.d.records += other.d.records;
        self.d.zero_scores += other.d.zero_scores;
        self.d.unscored += other.d.unscored;
        self.d.placeholders += other.d.placeholders;
        self.scores.extend(other.scores);
    }

    /// Counts one JSONL line (a line that is not a record is not counted).
    pub(crate) fn add_line(&mut self, text: &str) {
        if let Ok(read) = ReadLine::read_record(text) {
            self.add(&read.view);
        }
    }

    pub(crate) fn finish(mut self) -> Distribution {
        self.scores.sort_by(f64::total_cmp);
        let mut bins = vec![0u64; BINS];
        for &s in &self.scores {
            bins[bin_of(s)] += 1;
        }
        self.d.scored = self.scores.len() as u64;
        self.d.p5 = quantile(&self.scores, 5.0);
        self.d.p50 = quantile(&self.scores, 50.0);
        self.d.p95 = quantile(&self.scores, 95.0);
        self.d.bins = bins;
        self.d
    }
}

impl Distribution {
    /// The scored records in bins of ten points (`tens[i]`: scores from 10*i up to 10*(i+1),
    /// 100 in the last), at the 1-point resolution the distribution is kept at.
    pub(crate) fn tens(&self) -> [u64; 10] {
        let mut out = [0u64; 10];
        for (i, n) in self.bins.iter().enumerate() {
            out[(i / 10).min(9)] += n;
        }
        out
    }
}

fn bin_of(score: f64) -> usize {
    (score.clamp(0.0, 100.0).floor() as usize).min(BINS - 1)
}

/// The distribution of a JSONL file, read once.
pub(crate) fn distribution_of_file(path: &Path) -> Result<Distribution, DatasetError> {
    let mut b = DistributionBuilder::default();
    for item in Lines::open(path)? {
        let (_, text) = item?;
        if let Ok(text) = text {
            b.add_line(&text);
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_follow_the_audits_facts() {
        let mut b = DistributionBuilder::default();
        b.add_line(r#"{"id":"1","handle":"a","meta":{"score":0}}"#);
        b.add_line("not json");
        let d = b.finish();
        assert_eq!(
            (d.records, d.zero_scores, d.unscored, d.scored),
            (1, 1, 1, 0)
        );
    }
}
