//! The frozen reference (assets/m2/reference.json): per-feature percentile knots, the calibration
//! of the composite, and the id-to-creation-date knots. Not here: using the tables (see `model`),
//! rebuilding them from a dataset (see `calibrate`).
//!
//! ```text
//! cargo run --example m2_reference -- tests/fixtures/latest-2025-11-14.jsonl > assets/m2/reference.json
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dataset::parse_time;

use super::features::Feature;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    pub model: String,
    pub about: String,
    /// The dataset the tables were built from, as named on the command line.
    pub source: String,
    /// Reference accounts: records with activity metrics and a follower count.
    pub records: usize,
    /// Latest metrics time in the reference; the `as_of` of records that have none.
    pub snapshot_as_of: String,
    pub percentiles: Vec<f64>,
    pub features: Vec<FeatureKnots>,
    pub calibration: Calibration,
    /// (sequential account id, creation time in Unix seconds), for ages of accounts without `created_at`.
    pub id_age_knots: Vec<(u64, i64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureKnots {
    pub feature: String,
    /// The feature's value (log scale, see `features`) at each of `percentiles`.
    pub knots: [f64; 7],
}

/// Monotone map of the composite onto the score: reference quantiles of the composite onto
/// evenly spaced targets from 20 (p1) to 95 (p99), plus the ends 0 -> 1 and 100 -> 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    pub composite: Vec<f64>,
    pub score: Vec<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReferenceError {
    #[error("only {0} record(s) with activity metrics and followers: a reference needs at least 2")]
    TooFewRecords(usize),
    #[error("no reference record has a metrics time (as_of)")]
    NoAsOf,
    #[error("feature {0} is present in fewer than 2 reference records")]
    SparseFeature(&'static str),
    #[error("reference.json lacks knots for feature {0}")]
    MissingFeature(&'static str),
    #[error("reference.json knots for feature {0} are not finite and ascending")]
    UnorderedKnots(&'static str),
    #[error("reference.json snapshot_as_of {0:?} is not a time")]
    BadSnapshot(String),
}

impl Reference {
    pub(crate) fn knots_of(&self, feature: Feature) -> Result<[f64; 7], ReferenceError> {
        self.features
            .iter()
            .find(|k| k.feature == feature.key())
            .ok_or(ReferenceError::MissingFeature(feature.key()))
            .and_then(|k| {
                // Placing a value and Quality's bounded search both rely on the order.
                let ordered = k.knots.iter().all(|x| x.is_finite())
                    && k.knots.windows(2).all(|w| w[0] <= w[1]);
                if ordered {
                    Ok(k.knots)
                } else {
                    Err(ReferenceError::UnorderedKnots(feature.key()))
                }
            })
    }

    pub(crate) fn snapshot(&self) -> Result<DateTime<Utc>, ReferenceError> {
        parse_time(&self.snapshot_as_of)
            .ok_or_else(|| ReferenceError::BadSnapshot(self.snapshot_as_of.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knots_that_are_not_finite_and_ascending_are_refused() {
        let bundled: Reference =
            serde_json::from_str(include_str!("../../../assets/m2/reference.json")).unwrap();
        assert!(bundled.knots_of(Feature::Followers).is_ok());
        let at = bundled
            .features
            .iter()
            .position(|k| k.feature == Feature::Followers.key())
            .unwrap();
        let mut swapped = bundled.clone();
        swapped.features[at].knots.swap(2, 4);
        let mut infinite = bundled.clone();
        infinite.features[at].knots[6] = f64::INFINITY;
        for broken in [swapped, infinite] {
            assert!(matches!(
                broken.knots_of(Feature::Followers),
                Err(ReferenceError::UnorderedKnots("followers"))
            ));
        }
    }
}
