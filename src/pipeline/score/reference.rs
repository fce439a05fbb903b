//! The frozen reference (assets/m2/reference.json): per-feature percentile knots, the calibration
//! of the composite, and the id-to-creation-date knots, and how to rebuild all of it from a
//! dataset. Not here: using the tables (see `model`).
//!
//! ```text
//! cargo run --example m2_reference -- tests/fixtures/latest-2025-11-14.jsonl > assets/m2/reference.json
//! ```

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dataset::{Record, format_time, parse_time};

use super::age;
use super::features::Feature;
use super::knots::{PERCENTILES, quantile};
use super::lexicon::Lexicon;
use super::model::{Model, record_inputs};

/// Calibrated score at the reference's p1 and p99: the spread M2 is meant to have.
pub const TARGET_P1: f64 = 20.0;
pub const TARGET_P99: f64 = 95.0;
/// Calibrated score of a composite of exactly 0: low, never 0 (0 would read as "no metrics").
pub const FLOOR_SCORE: f64 = 1.0;

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
    pub fn knots_of(&self, feature: Feature) -> Result<[f64; 7], ReferenceError> {
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

    pub fn snapshot(&self) -> Result<DateTime<Utc>, ReferenceError> {
        parse_time(&self.snapshot_as_of)
            .ok_or_else(|| ReferenceError::BadSnapshot(self.snapshot_as_of.clone()))
    }
}

/// Builds the reference tables from `records` (the reference population is every record with
/// activity metrics and followers), with `lexicon` for the Relevance part of the calibration.
pub fn build_reference(
    source: &str,
    records: &[Record],
    lexicon: &Lexicon,
) -> Result<Reference, ReferenceError> {
    let population: Vec<&Record> = records
        .iter()
        .filter(|r| {
            let m = r.metrics();
            m.has_activity() && m.followers.is_some()
        })
        .collect();
    if population.len() < 2 {
        return Err(ReferenceError::TooFewRecords(population.len()));
    }
    let snapshot = population
        .iter()
        .filter_map(|r| r.metrics().as_of)
        .max()
        .ok_or(ReferenceError::NoAsOf)?;
    let id_age_knots = age::id_knots(population.iter().filter_map(|r| {
        let id = r.id()?.parse().ok()?;
        Some((id, r.metrics().created_at?))
    }));

    let mut reference = Reference {
        model: "m2".into(),
        about: "Frozen M2 reference: feature knots at the percentiles below (log scale), the \
                composite calibration and id-to-creation-date knots. Rebuild with `cargo run \
                --example m2_reference -- tests/fixtures/latest-2025-11-14.jsonl > \
                assets/m2/reference.json`."
            .into(),
        source: source.into(),
        records: population.len(),
        snapshot_as_of: format_time(snapshot),
        percentiles: PERCENTILES.to_vec(),
        features: Vec::new(),
        // Identity until the composite knots are known: the features alone decide the composite.
        calibration: Calibration {
            composite: vec![0.0, 100.0],
            score: vec![0.0, 100.0],
        },
        id_age_knots,
    };

    // Features need the id knots for ages; the calibration needs the feature knots.
    let inputs: Vec<_> = population
        .iter()
        .filter_map(|r| record_inputs(&r.view(), &reference.id_age_knots, snapshot).ok())
        .map(|found| found.inputs)
        .collect();
    for feature in Feature::ALL {
        let mut values: Vec<f64> = inputs.iter().filter_map(|i| i.scaled(feature)).collect();
        if values.len() < 2 {
            return Err(ReferenceError::SparseFeature(feature.key()));
        }
        values.sort_by(f64::total_cmp);
        let knots = PERCENTILES.map(|p| quantile(&values, p).expect("values are not empty"));
        reference.features.push(FeatureKnots {
            feature: feature.key().into(),
            knots,
        });
    }

    let uncalibrated = Model::new(reference.clone(), lexicon.clone(), String::new())?;
    let mut composites: Vec<f64> = population
        .iter()
        .filter_map(|r| uncalibrated.breakdown(&r.view()).ok())
        .map(|b| b.composite)
        .collect();
    composites.sort_by(f64::total_cmp);
    let mut composite = vec![0.0];
    let mut score = vec![FLOOR_SCORE];
    for p in PERCENTILES {
        composite.push(quantile(&composites, p).expect("population is not empty"));
        score.push(TARGET_P1 + (TARGET_P99 - TARGET_P1) * (p - 1.0) / 98.0);
    }
    composite.push(100.0);
    score.push(100.0);
    reference.calibration = Calibration { composite, score };
    Ok(reference)
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
