//! M2 scoring (contract only; the model lands from the `score` branch).

use crate::dataset::Record;

/// Scores one record in place (meta.score, meta.score_state, breakdown, version, as_of).
/// Returns the score, or None when the record is unscored (metrics missing): never 0 for that.
pub fn score_record(_record: &mut Record) -> Option<f64> {
    None
}
