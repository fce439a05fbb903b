//! The per-feature table of a record (each present feature's plain value and reference
//! percentile), recomputed on demand from the record and the current model. It is derived data,
//! so scored records do not store it: the detail pane asks for it when a person opens one.
//! Not here: the score itself (see `model`) or how the table is shown (see `ui::panes::detail`).

use crate::dataset::AuthorView;

use super::features::Feature;
use super::model::{Model, Unscored};
use super::{round2, round4};

/// One row of the table: a feature present in the record, rounded as people read it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureRow {
    pub feature: Feature,
    /// In plain units: per day, per 1,000 followers, a ratio or a count (4 decimals).
    pub value: f64,
    /// Where the value sits in the reference population, 1 to 99 (2 decimals).
    pub reference_percentile: f64,
}

impl Model {
    /// The features `record` offers, in model order, placed against this model's tables; absent
    /// features have no row. `Err` when the record cannot be scored at all.
    pub fn feature_table(&self, record: &AuthorView<'_>) -> Result<Vec<FeatureRow>, Unscored> {
        let breakdown = self.breakdown(record)?;
        Ok(breakdown
            .features
            .iter()
            .map(|f| FeatureRow {
                feature: f.feature,
                value: round4(f.plain),
                reference_percentile: round2(f.percentile),
            })
            .collect())
    }
}
