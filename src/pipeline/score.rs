//! M2, the author score: `0.30 Activity + 0.50 Quality + 0.20 Relevance`, calibrated to 0-100,
//! written into a record's `meta` with its breakdown. Not here: reading or writing files (the
//! `influx score` command streams them) or deciding whether data is a placeholder (`placeholders`).
//!
//! # The model
//! - **Activity**: posts, likes given and media per day of account age at `as_of`.
//! - **Quality**: followers, list memberships, list memberships per 1,000 followers, followers
//!   per account followed, follower growth per day; plus a small badge bonus (business,
//!   government or org 6 points, legacy 4, blue 2: blue can be bought).
//! - **Relevance**: lexicon topics (assets/m2/lexicon.json) found in topic tags, description,
//!   name and handle, saturating in weighted hits (`100 (1 - e^-hits)`).
//!
//! Counts are taken in log10 and totals become rates per day of account age, the age floored at
//! one day. Each feature is placed against FROZEN reference knots (assets/m2/reference.json: its
//! value at the reference's p1, p5, p25, p50, p75, p95 and p99, interpolated linearly between,
//! winsorized below p1 and above p99, so "more" saturates), never against the batch being scored:
//! a record's score does not depend on what else is in the run. A component is the weighted mean
//! of its present features (0 at p1, 100 at p99). An absent metric is never taken as 0: its
//! feature is left out, the weights of the rest are renormalized, and the absence is listed in
//! `score_components.missing`. The composite is mapped through a monotone calibration that puts
//! the reference's p1 at 20 and p99 at 95 (evenly spaced targets at the knots between), a
//! composite of 0 at 1 and 100 at 100: a record with real metrics never scores 0.
//!
//! `as_of` is the metrics' fetch time (`Record::metrics().as_of`). When a record has none, the
//! reference snapshot time (`snapshot_as_of` in reference.json, 2025-11-14) stands in: a fixed
//! rule, so the score of the same record is the same tomorrow. Account ages without `created_at`
//! are derived from the account id (see `age`).
//!
//! # The reference population and its weakness
//! The tables are built from the 71 records of tests/fixtures/latest-2025-11-14.jsonl that carry
//! activity metrics, with the command in `reference`'s documentation. That is small and skewed: mostly well-known English-language tech
//! and venture accounts with blue badges, three of them twice, none with a description, 16 without
//! a creation date. With 71 accounts, p1 and p99 are close to the minimum and maximum, so a single
//! extreme account moves the outer knots; only seven knots are kept for that reason. Accounts far
//! outside this population (small, new or non-tech) all sit at the bottom knot of the features
//! they fall below, and the score separates them less well than it separates accounts inside it.
//! Rebuild the reference from a larger harvest once there is one: the score version changes with it.

mod age;
mod calibrate;
mod changes;
mod explain;
mod feature_table;
mod features;
// Shared with the audit's report writer: one escaper that writes serde_json's bytes.
pub(crate) mod json_text;
pub(crate) mod knots;
mod lexicon;
mod line;
mod model;
mod reference;
mod summary;

use crate::dataset::{AuthorView, Record};
use crate::pipeline::checks::placeholders;

pub use calibrate::build_reference;
pub use changes::{Components, MetaChange, MetaValue, Scoring};
pub use feature_table::FeatureRow;
pub use features::Feature;
pub use lexicon::Lexicon;
pub use line::{LineOutcome, LineScore, score_line, score_line_into, score_line_onto};
pub use model::{Breakdown, Model, Unscored, model, score_version};
pub use reference::{Reference, ReferenceError};
pub(crate) use summary::{ScoreSummary, ScoreTally};

/// `meta.score_state` of a record scored from its metrics.
pub(crate) const STATE_SCORED: &str = "scored";
/// `meta.score_state` of a record scored, but from data suspected to be placeholders.
pub(crate) const STATE_SUSPECT: &str = "suspect_placeholder";
/// `meta.score_state` of a record without the metrics to score it.
pub(crate) const STATE_UNSCORED: &str = "unscored";

/// `meta.topic_source` of a record whose `topic_tags` influx derived from the author's own words
/// with the lexicon ([`derived_topic_tags`]). Such tags are what Relevance found, not evidence
/// for it: Relevance does not read them again, so a record scores the same however often its
/// tags are derived and it is scored.
pub(crate) const TOPIC_SOURCE: &str = "m2-lexicon";

/// The record's `topic_tags` as influx derives them: the ids of the topics M2's Relevance finds
/// in the handle, name and description (one rule for the score's `topics` and the tags).
pub fn derived_topic_tags(
    handle: Option<&str>,
    name: Option<&str>,
    description: Option<&str>,
) -> Vec<String> {
    model()
        .lexicon()
        .topics_of_text(handle, name, description)
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The lexicon as shipped in assets/m2/lexicon.json (for rebuilding the reference).
pub fn bundled_lexicon() -> Lexicon {
    Lexicon::parse(include_str!("../../assets/m2/lexicon.json"))
        .expect("assets/m2/lexicon.json is valid")
}

/// Scores one record in place (meta.score, meta.score_state, breakdown, version, as_of, and
/// bigv's meta.quality_score = the Quality component and meta.entry_threshold_passed = scored
/// from real, unflagged metrics).
/// Returns the score, or None when the record is unscored (metrics missing): never 0 for that.
pub fn score_record(record: &mut Record) -> Option<f64> {
    let scoring = score_view(&record.view());
    scoring.apply(record.meta_mut());
    scoring.score
}

/// What scoring a record means for its `meta`, decided from its view: [`score_record`] applies
/// it to a record in memory, [`score_line`] splices it into a line without parsing the rest.
pub fn score_view(view: &AuthorView<'_>) -> Scoring {
    let model = model();
    let mut changes = Vec::with_capacity(10);
    match model.breakdown(view) {
        Ok(breakdown) => {
            let flags = placeholders::view_flags_with_metrics(view, &breakdown.inputs.metrics);
            let score = round2(breakdown.score);
            let mut components = Components::new(&breakdown, model);
            let flagged = !flags.is_empty();
            if flagged {
                components.placeholder_flags = Some(flags.into_iter().map(|f| f.reason).collect());
            }
            let state = if flagged { STATE_SUSPECT } else { STATE_SCORED };
            if !view.meta_score.number().is_some_and(|old| old == score) {
                // A numeric score equal to the new one stays put: re-scoring changes nothing.
                changes.push(MetaChange::ScoreToPrevious);
            }
            changes.extend([
                MetaChange::Set("score", MetaValue::Number(score)),
                MetaChange::Set("score_state", MetaValue::Static(state)),
                MetaChange::Set("score_version", MetaValue::Static(model.version())),
                MetaChange::Set(
                    "score_components",
                    MetaValue::Components(Box::new(components)),
                ),
                MetaChange::Set("as_of", MetaValue::Time(breakdown.inputs.as_of)),
                MetaChange::Remove("unscored_reason"),
                // The two bigv v1.1.0 fields that belong to scoring: without them no harvested
                // record would pass the schema, and every merge of one would be blocked.
                MetaChange::Set(
                    "quality_score",
                    MetaValue::Number(round2(breakdown.quality)),
                ),
                MetaChange::Set(
                    "entry_threshold_passed",
                    MetaValue::Bool(state == STATE_SCORED),
                ),
            ]);
            Scoring {
                score: Some(score),
                flagged,
                changes,
            }
        }
        Err(Unscored { reason }) => {
            changes.extend([
                MetaChange::ScoreToPrevious,
                MetaChange::Remove("score_components"),
                MetaChange::Set("score_state", MetaValue::Static(STATE_UNSCORED)),
                MetaChange::Set("unscored_reason", MetaValue::Text(reason)),
                MetaChange::Set("score_version", MetaValue::Static(model.version())),
                // Not scored, so not admitted; a quality score is not invented for it.
                MetaChange::Set("entry_threshold_passed", MetaValue::Bool(false)),
            ]);
            Scoring {
                score: None,
                // The audit's placeholder check, whatever the score: an unscored record that
                // looks like sample data is counted as such by `score` and `audit` alike.
                flagged: !placeholders::view_flags(view).is_empty(),
                changes,
            }
        }
    }
}

pub(crate) fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

pub(crate) fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}
