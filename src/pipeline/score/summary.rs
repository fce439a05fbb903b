//! Counts and the score distribution of one scoring run, for the end-of-run report.
//! Not here: printing it (the command decides how).

use serde::Serialize;

use super::knots::quantile;

/// What a run produced.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ScoreTally {
    pub records: usize,
    pub unscored: usize,
    /// Scored, but from data suspected to be placeholders.
    pub flagged: usize,
    scores: Vec<f64>,
}

/// The figures of a run as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct ScoreSummary {
    pub records: usize,
    pub scored: usize,
    pub unscored: usize,
    pub flagged: usize,
    /// `None` when nothing was scored.
    pub min: Option<f64>,
    pub p5: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub max: Option<f64>,
}

impl ScoreTally {
    /// Counts one record: its score (`None` = unscored) and whether it was flagged.
    pub(crate) fn add(&mut self, score: Option<f64>, flagged: bool) {
        self.records += 1;
        match score {
            Some(s) => self.scores.push(s),
            None => self.unscored += 1,
        }
        if flagged {
            self.flagged += 1;
        }
    }

    pub(crate) fn summary(&self) -> ScoreSummary {
        let mut sorted = self.scores.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |p: f64| quantile(&sorted, p).map(|v| (v * 100.0).round() / 100.0);
        ScoreSummary {
            records: self.records,
            scored: sorted.len(),
            unscored: self.unscored,
            flagged: self.flagged,
            min: q(0.0),
            p5: q(5.0),
            p50: q(50.0),
            p95: q(95.0),
            max: q(100.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_counts_unscored_apart_and_spreads_the_scored() {
        let mut t = ScoreTally::default();
        for i in 0..=100 {
            t.add(Some(i as f64), i == 7);
        }
        t.add(None, false);
        let s = t.summary();
        assert_eq!(
            (s.records, s.scored, s.unscored, s.flagged),
            (102, 101, 1, 1)
        );
        assert_eq!(
            (s.min, s.p5, s.p50, s.p95, s.max),
            (Some(0.0), Some(5.0), Some(50.0), Some(95.0), Some(100.0))
        );
    }

    #[test]
    fn nothing_scored_has_no_distribution() {
        let mut t = ScoreTally::default();
        t.add(None, false);
        assert_eq!(t.summary().p50, None);
    }
}
