//! Rebuilding the frozen reference (assets/m2/reference.json) from a dataset: the feature knots
//! from the reference population, then the calibration of the composite that the uncalibrated
//! model gives it. It needs the model, which needs the reference's types: so the types live in
//! `reference`, and building them here.
//!
//! ```text
//! cargo run --example m2_reference -- tests/fixtures/latest-2025-11-14.jsonl > assets/m2/reference.json
//! ```

use crate::dataset::{Record, format_time};

use super::age;
use super::features::Feature;
use super::knots::{PERCENTILES, quantile};
use super::lexicon::Lexicon;
use super::model::{Model, record_inputs};
use super::reference::{Calibration, FeatureKnots, Reference, ReferenceError};

/// Calibrated score at the reference's p1 and p99: the spread M2 is meant to have.
pub(super) const TARGET_P1: f64 = 20.0;
pub(super) const TARGET_P99: f64 = 95.0;
/// Calibrated score of a composite of exactly 0: low, never 0 (0 would read as "no metrics").
pub(super) const FLOOR_SCORE: f64 = 1.0;

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
