//! How one dataset's scores compare with another's: the drift between two distributions (see
//! `pipeline::distribution`): the Kolmogorov-Smirnov distance of the score distributions, the
//! change of each quantile and count.

use serde::Serialize;

use crate::pipeline::distribution::{BINS, Distribution};

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
pub(crate) fn ks_distance(a: &Distribution, b: &Distribution) -> f64 {
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

pub(crate) fn drift(
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
    use crate::pipeline::distribution::DistributionBuilder;

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
}
