//! How one dataset's scores compare with another's: each version's distribution (1-point score
//! bins, p5/p50/p95, and the zero, unscored and placeholder counts, every per-record fact from
//! `facts`), and the drift between two of them: the Kolmogorov-Smirnov distance of the score
//! distributions, the change of each quantile and count. The history keeps the distribution of
//! every merged version, so a comparison with an old version needs no second pass over it.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::facts::checks_of_view;
use crate::dataset::{AuthorView, DatasetError, Lines, ReadLine};
use crate::pipeline::score::knots::quantile;

/// Scores 0 to 100 in bins of one point (100 itself in the last): the resolution of the
/// Kolmogorov-Smirnov distance between two stored distributions.
pub const BINS: usize = 101;

/// The score distribution of one dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
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
pub struct DistributionBuilder {
    d: Distribution,
    scores: Vec<f64>,
}

impl DistributionBuilder {
    /// Counts one record read through its view.
    pub fn add(&mut self, view: &AuthorView<'_>) {
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
    pub fn absorb(&mut self, other: DistributionBuilder) {
        self.d.records += other.d.records;
        self.d.zero_scores += other.d.zero_scores;
        self.d.unscored += other.d.unscored;
        self.d.placeholders += other.d.placeholders;
        self.scores.extend(other.scores);
    }

    /// Counts one JSONL line (a line that is not a record is not counted).
    pub fn add_line(&mut self, text: &str) {
        if let Ok(read) = ReadLine::read_record(text) {
            self.add(&read.view);
        }
    }

    pub fn finish(mut self) -> Distribution {
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
    pub fn tens(&self) -> [u64; 10] {
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
pub fn distribution_of_file(path: &Path) -> Result<Distribution, DatasetError> {
    let mut b = DistributionBuilder::default();
    for item in Lines::open(path)? {
        let (_, text) = item?;
        if let Ok(text) = text {
            b.add_line(&text);
        }
    }
    Ok(b.finish())
}

/// The shift from `previous` to `current`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drift {
    /// What was compared with: a version number or a file.
    pub against: String,
    /// Largest distance between the two cumulative score distributions (0 to 1), at 1-point
    /// resolution.
    pub ks: f64,
    pub p5_delta: Option<f64>,
    pub p50_delta: Option<f64>,
    pub p95_delta: Option<f64>,
    pub records_delta: i64,
    pub zero_scores_delta: i64,
    pub unscored_delta: i64,
    pub placeholders_delta: i64,
    /// The `drift_ks` gate, when set, and whether it passed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_ks: Option<f64>,
    pub pass: bool,
}

/// Kolmogorov-Smirnov distance between two binned distributions (0 when either is empty).
pub fn ks_distance(a: &Distribution, b: &Distribution) -> f64 {
    let (na, nb) = (a.scored as f64, b.scored as f64);
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    let (mut ca, mut cb, mut d) = (0u64, 0u64, 0f64);
    for i in 0..BINS {
        ca += a.bins.get(i).copied().unwrap_or(0);
        cb += b.bins.get(i).copied().unwrap_or(0);
        d = d.max((ca as f64 / na - cb as f64 / nb).abs());
    }
    d
}

pub fn drift(
    current: &Distribution,
    previous: &Distribution,
    against: &str,
    max_ks: Option<f64>,
) -> Drift {
    let delta = |a: Option<f64>, b: Option<f64>| Some(((a? - b?) * 100.0).round() / 100.0);
    let count = |a: u64, b: u64| a as i64 - b as i64;
    let ks = (ks_distance(current, previous) * 10_000.0).round() / 10_000.0;
    Drift {
        against: against.to_string(),
        ks,
        p5_delta: delta(current.p5, previous.p5),
        p50_delta: delta(current.p50, previous.p50),
        p95_delta: delta(current.p95, previous.p95),
        records_delta: count(current.records, previous.records),
        zero_scores_delta: count(current.zero_scores, previous.zero_scores),
        unscored_delta: count(current.unscored, previous.unscored),
        placeholders_delta: count(current.placeholders, previous.placeholders),
        max_ks,
        pass: max_ks.is_none_or(|m| ks <= m),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of_scores(scores: &[f64]) -> Distribution {
        let mut b = DistributionBuilder::default();
        for s in scores {
            let line = format!(
                r#"{{"id":"1","handle":"a","public_metrics":{{"followers_count":10,"following_count":1,"tweet_count":5,"listed_count":0}},"meta":{{"score":{s}}}}}"#
            );
            b.add_line(&line);
        }
        b.finish()
    }

    #[test]
    fn the_same_scores_do_not_drift_and_a_shifted_distribution_does() {
        let base: Vec<f64> = (0..100).map(|i| 20.0 + i as f64 * 0.5).collect();
        let same = drift(&of_scores(&base), &of_scores(&base), "1", Some(0.15));
        assert_eq!(same.ks, 0.0);
        assert_eq!(same.p50_delta, Some(0.0));
        assert!(same.pass);
        let shifted: Vec<f64> = base.iter().map(|s| s + 10.0).collect();
        let d = drift(&of_scores(&shifted), &of_scores(&base), "1", Some(0.15));
        assert!((d.ks - 0.2).abs() < 0.011, "{d:?}");
        assert_eq!(d.p50_delta, Some(10.0));
        assert!(!d.pass, "a 10-point shift fails a 0.15 gate");
        assert_eq!(d.records_delta, 0);
    }

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
