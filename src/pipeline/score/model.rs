//! The M2 model assembled from the frozen tables: a record in, its Activity, Quality, Relevance,
//! composite and calibrated score out (or the reason it cannot be scored). Pure: it reads the
//! record and writes nothing. Not here: what goes into `meta` (see `score.rs`) or the words of
//! the reasons (see `explain`).

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use crate::dataset::{AuthorView, Metrics};

use super::age::{AccountAge, account_age};
use super::features::{Component, Feature, FeatureInputs, QualityScale};
use super::knots::{interpolate, percentile, unit};
use super::lexicon::{Lexicon, RelevanceMatch};
use super::reference::{Calibration, Reference, ReferenceError};

pub(super) const ACTIVITY_WEIGHT: f64 = 0.30;
pub(super) const QUALITY_WEIGHT: f64 = 0.50;
pub(super) const RELEVANCE_WEIGHT: f64 = 0.20;

const REFERENCE_JSON: &str = include_str!("../../../assets/m2/reference.json");
const LEXICON_JSON: &str = include_str!("../../../assets/m2/lexicon.json");

/// Where `as_of` came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsOfFrom {
    /// The record's own metrics fetch time.
    Metrics,
    /// The record has none: the reference snapshot time stands in (fixed, never the clock).
    ReferenceSnapshot,
}

impl AsOfFrom {
    pub(crate) fn key(self) -> &'static str {
        match self {
            AsOfFrom::Metrics => "metrics",
            AsOfFrom::ReferenceSnapshot => "reference_snapshot",
        }
    }
}

/// Why a record gets no score.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unscored {
    pub reason: String,
}

/// What a record offers the model, before any reference is applied.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordInputs {
    pub inputs: FeatureInputs,
    pub as_of: DateTime<Utc>,
    pub as_of_from: AsOfFrom,
    pub metrics: Metrics,
}

/// One present feature, placed in the reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureScore {
    pub feature: Feature,
    /// In plain units (see `FeatureInputs::plain`).
    pub plain: f64,
    /// Reference percentile, 1 to 99.
    pub percentile: f64,
}

/// A scored record, everything it was scored from and on.
#[derive(Debug, Clone, PartialEq)]
pub struct Breakdown {
    /// Calibrated, 0-100, unrounded.
    pub score: f64,
    pub composite: f64,
    /// `None` when no activity feature could be computed (no counts, or no account age).
    pub activity: Option<f64>,
    /// With the verified bonus.
    pub quality: f64,
    pub relevance: RelevanceMatch,
    pub verified_bonus: f64,
    pub features: Vec<FeatureScore>,
    pub inputs: RecordInputs,
}

impl Breakdown {
    /// Share of the composite each component had (absent components' weight is spread over the rest).
    pub(crate) fn component_share(&self, component: Component) -> f64 {
        let total = QUALITY_WEIGHT
            + RELEVANCE_WEIGHT
            + if self.activity.is_some() {
                ACTIVITY_WEIGHT
            } else {
                0.0
            };
        let w = match component {
            Component::Activity => ACTIVITY_WEIGHT,
            Component::Quality => QUALITY_WEIGHT,
            Component::Relevance => RELEVANCE_WEIGHT,
        };
        w / total
    }

    /// Sum of the weights of the present features of `component`.
    pub(crate) fn present_weight(&self, component: Component) -> f64 {
        self.features
            .iter()
            .filter(|f| f.feature.component() == component)
            .map(|f| f.feature.weight())
            .sum()
    }
}

/// Reads the metrics a record carries, or says which are missing. `id_knots` and `snapshot` come
/// from the reference: for account ages without `created_at`, and for records without `as_of`.
pub(super) fn record_inputs(
    record: &AuthorView<'_>,
    id_knots: &[(u64, i64)],
    snapshot: DateTime<Utc>,
) -> Result<RecordInputs, Unscored> {
    let metrics = record.metrics();
    if !metrics.has_activity() {
        let has = if metrics.followers.is_some() {
            "only a follower count is present"
        } else {
            "not even a follower count is present"
        };
        return Err(Unscored {
            reason: format!(
                "no activity metrics: {has}; posts, likes given, media, list memberships and \
                 following are missing"
            ),
        });
    }
    let (as_of, as_of_from) = match metrics.as_of {
        Some(t) => (t, AsOfFrom::Metrics),
        None => (snapshot, AsOfFrom::ReferenceSnapshot),
    };
    let age: Option<AccountAge> = account_age(metrics.created_at, record.id(), as_of, id_knots);
    let Some(inputs) = FeatureInputs::from_metrics(&metrics, age) else {
        return Err(Unscored {
            reason: "the follower count is missing (activity metrics without followers_count)"
                .into(),
        });
    };
    Ok(RecordInputs {
        inputs,
        as_of,
        as_of_from,
        metrics,
    })
}

/// Quality points for a verification badge: bought badges (blue) count least.
pub(super) fn verified_bonus(verified: Option<&str>) -> f64 {
    match verified.map(str::trim) {
        Some(v)
            if ["business", "government", "org"]
                .iter()
                .any(|k| v.eq_ignore_ascii_case(k)) =>
        {
            6.0
        }
        Some(v) if v.eq_ignore_ascii_case("legacy") => 4.0,
        Some(v) if v.eq_ignore_ascii_case("blue") => 2.0,
        _ => 0.0,
    }
}

/// The model: reference tables and lexicon, ready to score.
#[derive(Debug, Clone)]
pub struct Model {
    knots: [[f64; 7]; 8],
    /// The followers term's place at 1 follower (log 0), where Quality's search always looks.
    followers_unit_at_one: f64,
    calibration: Calibration,
    id_knots: Vec<(u64, i64)>,
    snapshot: DateTime<Utc>,
    lexicon: Lexicon,
    version: String,
}

/// The model built from the tables in assets/m2/, once per process.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let reference: Reference =
            serde_json::from_str(REFERENCE_JSON).expect("assets/m2/reference.json is valid");
        let lexicon = Lexicon::parse(LEXICON_JSON).expect("assets/m2/lexicon.json is valid");
        let version = score_version(REFERENCE_JSON.as_bytes(), LEXICON_JSON.as_bytes());
        Model::new(reference, lexicon, version).expect("assets/m2/reference.json is complete")
    })
}

/// `m2-` and the first 12 hex digits of the SHA-256 of the reference and lexicon files.
pub fn score_version(reference: &[u8], lexicon: &[u8]) -> String {
    let mut hasher = Sha256::new();
    hasher.update(reference);
    hasher.update(lexicon);
    format!("m2-{}", crate::digest::to_hex(&hasher.finalize()[..6]))
}

impl Model {
    pub(crate) fn new(
        reference: Reference,
        lexicon: Lexicon,
        version: String,
    ) -> Result<Self, ReferenceError> {
        let mut knots = [[0.0; 7]; 8];
        for f in Feature::ALL {
            knots[f.index()] = reference.knots_of(f)?;
        }
        Ok(Model {
            followers_unit_at_one: unit(percentile(&knots[Feature::Followers.index()], 0.0)),
            knots,
            snapshot: reference.snapshot()?,
            calibration: reference.calibration,
            id_knots: reference.id_age_knots,
            lexicon,
            version,
        })
    }

    pub fn version(&self) -> &str {
        &self.version
    }

    pub(crate) fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Scores a record, or says why it cannot be scored.
    pub(crate) fn breakdown(&self, record: &AuthorView<'_>) -> Result<Breakdown, Unscored> {
        let found = record_inputs(record, &self.id_knots, self.snapshot)?;
        let inputs = &found.inputs;

        let mut features = Vec::with_capacity(Feature::ALL.len());
        let (mut activity_sum, mut activity_weight) = (0.0, 0.0);
        // The Quality features' places at the record's own count, for Quality's search below.
        let mut at_own = [None; 5];
        // The Quality features' logs are taken once, here and for Quality's search below.
        let scale = inputs.quality_scale();
        let own = inputs.log_followers();
        for feature in Feature::ALL {
            let scaled = match feature.component() {
                Component::Quality => scale.scaled_at(feature, own),
                _ => inputs.scaled(feature),
            };
            let (Some(x), Some(plain)) = (scaled, inputs.plain(feature)) else {
                continue;
            };
            let pct = percentile(&self.knots[feature.index()], x);
            match feature.component() {
                Component::Activity => {
                    activity_sum += feature.weight() * unit(pct);
                    activity_weight += feature.weight();
                }
                Component::Quality => at_own[quality_term(feature)] = Some(unit(pct)),
                Component::Relevance => unreachable!("relevance has no metric feature"),
            }
            features.push(FeatureScore {
                feature,
                plain,
                percentile: pct,
            });
        }
        let activity = (activity_weight > 0.0).then(|| 100.0 * activity_sum / activity_weight);
        let verified_bonus = verified_bonus(record.verified());
        let quality = (self.quality(&scale, own, &at_own) + verified_bonus).min(100.0);

        // Tags influx derived from the record's own words are Relevance's finding, not input.
        let tags: &[std::borrow::Cow<'_, str>] = if record.topics_derived() {
            &[]
        } else {
            &record.topic_tags
        };
        let relevance =
            self.lexicon
                .relevance_of(tags, record.handle(), record.name(), record.description());

        let (mut sum, mut weight) = (
            QUALITY_WEIGHT * quality + RELEVANCE_WEIGHT * relevance.value,
            QUALITY_WEIGHT + RELEVANCE_WEIGHT,
        );
        if let Some(a) = activity {
            sum += ACTIVITY_WEIGHT * a;
            weight += ACTIVITY_WEIGHT;
        }
        let composite = sum / weight;
        let score = interpolate(
            &self.calibration.composite,
            &self.calibration.score,
            composite,
        )
        .clamp(0.0, 100.0);
        Ok(Breakdown {
            score,
            composite,
            activity,
            quality,
            relevance,
            verified_bonus,
            features,
            inputs: found,
        })
    }

    /// Quality (without the badge bonus): the weighted reference position of the quality features.
    ///
    /// Listed per 1,000 followers falls as followers rise, so the plain weighted sum could drop
    /// when only followers grow. Quality is therefore the highest weighted sum over every follower
    /// count up to the record's own. All features are linear in log10(followers) between knots, so
    /// that maximum is reached at the record's own count, at 1 follower, or at a point where some
    /// feature crosses a knot: checking those points is exact, and "more followers never lowers
    /// Quality" holds by construction.
    ///
    /// Most of those points need no evaluation (see [`Model::dominated`]); the full search is kept
    /// in the tests, which pin this against it bit for bit.
    ///
    /// `at_own` are the places at the record's own count (`Model::quality_units` at `own`),
    /// which scoring has already worked out.
    fn quality(&self, scale: &QualityScale, own: f64, at_own: &[Option<f64>; 5]) -> f64 {
        let at_own = *at_own;
        let mut best = quality_of(&at_own);
        if own <= 0.0 {
            // No follower count below the record's own to look at.
            return best;
        }
        // The follower term at 1 follower is the same for every record.
        let at_one = self.moving_units(
            scale,
            0.0,
            &at_own,
            (FOLLOWERS_TERM, Some(self.followers_unit_at_one)),
        );
        best = best.max(quality_of(&at_one));
        let listed_share = Feature::ListedPer1kFollowers;
        let listed_share_capped = scale
            .scaled_at(listed_share, own)
            .is_none_or(|x| x >= self.knots[listed_share.index()][6]);
        if listed_share_capped {
            // That term is flat below the record's own count, every other one rises: own wins.
            return best;
        }
        for feature in QUALITY_FEATURES {
            // Each feature's crossings, lowest follower count first: listed per 1,000 followers
            // falls as followers rise, so its knots are met in reverse.
            let mut knots = self.knots[feature.index()];
            if feature == listed_share {
                knots.reverse();
            }
            for knot in knots {
                let Some(at) = scale.follower_breakpoint(feature, knot) else {
                    break;
                };
                if at >= own || at.is_nan() {
                    break;
                }
                if at < 0.0 || self.dominated(scale, at) {
                    continue;
                }
                // The rising terms are no higher here than at the own count: with them taken
                // there and only listed per 1,000 followers placed here, Quality here is bounded
                // by one interpolation instead of five.
                let mut bound = at_own;
                bound[LISTED_SHARE_TERM] = self.unit_at(scale, listed_share, at);
                if quality_of(&bound) <= best {
                    // That bound only falls at this feature's later crossings (listed per 1,000
                    // followers is lower there), and `best` only rises: none of them can win.
                    break;
                }
                let here = self.moving_units(
                    scale,
                    at,
                    &at_own,
                    (LISTED_SHARE_TERM, bound[LISTED_SHARE_TERM]),
                );
                best = best.max(quality_of(&here));
            }
        }
        best
    }

    /// Whether Quality at `log_followers` (between 0 and the record's own count) is known to be no
    /// higher than at a count already evaluated, without evaluating it. Every term but listed per
    /// 1,000 followers is non-decreasing in followers, and that one is non-increasing, all of them
    /// also after rounding (each place is monotone in its input, and `quality_of` in each place). So:
    /// - below the first knot of listed per 1,000 followers, that term sits at p1 from here up to
    ///   the record's own count, where every other term is at least as high: own count wins;
    ///   (a record without list memberships, or above the last knot at its own count, has that
    ///   term flat everywhere below its count: the caller checks that once);
    /// - with every rising term below its first knot, they sit at p1 from 1 follower up to here,
    ///   where listed per 1,000 followers is at least as high: 1 follower wins.
    ///
    /// The comparisons are strict, so a value at a knot (where tied knots jump) is evaluated.
    fn dominated(&self, scale: &QualityScale, log_followers: f64) -> bool {
        let below_first_knot = |feature: Feature| {
            scale
                .scaled_at(feature, log_followers)
                .map(|x| x < self.knots[feature.index()][0])
        };
        if below_first_knot(Feature::ListedPer1kFollowers) != Some(false) {
            return true;
        }
        [
            Feature::Followers,
            Feature::FollowerRatio,
            Feature::FollowersPerDay,
        ]
        .into_iter()
        .all(|feature| below_first_knot(feature) != Some(false))
    }

    #[cfg(test)]
    fn quality_at(&self, scale: &QualityScale, log_followers: f64) -> f64 {
        quality_of(&self.quality_units(scale, log_followers))
    }

    /// Each Quality feature's 0-1 place in the reference at `log_followers` (`None` = absent).
    #[cfg(test)]
    fn quality_units(&self, scale: &QualityScale, log_followers: f64) -> [Option<f64>; 5] {
        QUALITY_FEATURES.map(|feature| self.unit_at(scale, feature, log_followers))
    }

    /// `Model::quality_units` at `log_followers`, with the list memberships term, which does not
    /// move with followers, taken from `at_own`, and the term `known` names already worked out
    /// by the caller: neither is placed again.
    fn moving_units(
        &self,
        scale: &QualityScale,
        log_followers: f64,
        at_own: &[Option<f64>; 5],
        known: (usize, Option<f64>),
    ) -> [Option<f64>; 5] {
        let mut units = [None; 5];
        for (term, feature) in QUALITY_FEATURES.into_iter().enumerate() {
            units[term] = if term == known.0 {
                known.1
            } else if feature == Feature::Listed {
                at_own[term]
            } else {
                self.unit_at(scale, feature, log_followers)
            };
        }
        units
    }

    fn unit_at(&self, scale: &QualityScale, feature: Feature, log_followers: f64) -> Option<f64> {
        let x = scale.scaled_at(feature, log_followers)?;
        Some(unit(percentile(&self.knots[feature.index()], x)))
    }
}

/// Quality from its features' places (see `Model::quality_units`): the weighted mean of the
/// present ones, 0-100. Non-decreasing in every place, also after rounding.
fn quality_of(units: &[Option<f64>; 5]) -> f64 {
    let (mut sum, mut weight) = (0.0, 0.0);
    for (feature, u) in QUALITY_FEATURES.into_iter().zip(units) {
        if let Some(u) = u {
            sum += feature.weight() * u;
            weight += feature.weight();
        }
    }
    // Followers are always present, so weight > 0.
    100.0 * sum / weight
}

/// Where followers sit in [`QUALITY_FEATURES`].
const FOLLOWERS_TERM: usize = 0;
/// Where listed per 1,000 followers sits in [`QUALITY_FEATURES`].
const LISTED_SHARE_TERM: usize = 2;

/// Where a Quality feature sits in [`QUALITY_FEATURES`]: they close the model order.
fn quality_term(feature: Feature) -> usize {
    feature.index() - Feature::Followers.index()
}

/// The features of Quality, in model order (the order their terms are summed in).
const QUALITY_FEATURES: [Feature; 5] = [
    Feature::Followers,
    Feature::Listed,
    Feature::ListedPer1kFollowers,
    Feature::FollowerRatio,
    Feature::FollowersPerDay,
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::Strategy;
    use proptest::prop_oneof;
    use proptest::strategy::Just;

    #[test]
    fn organisation_badges_earn_more_than_bought_ones_and_none_earns_nothing() {
        let org = verified_bonus(Some("business"));
        assert_eq!(org, verified_bonus(Some("government")));
        assert_eq!(org, verified_bonus(Some("org")));
        assert!(org > verified_bonus(Some("legacy")));
        assert!(verified_bonus(Some("legacy")) > verified_bonus(Some("blue")));
        assert!(verified_bonus(Some("blue")) > 0.0);
        assert_eq!(verified_bonus(Some("none")), 0.0);
        assert_eq!(verified_bonus(None), 0.0);
    }

    #[test]
    fn the_version_names_the_model_and_changes_with_the_tables() {
        let v = score_version(b"ref", b"lex");
        assert_eq!(v.len(), "m2-".len() + 12);
        assert!(v.starts_with("m2-"));
        assert_ne!(v, score_version(b"ref", b"lex2"));
        assert_eq!(
            model().version(),
            score_version(REFERENCE_JSON.as_bytes(), LEXICON_JSON.as_bytes())
        );
    }

    #[test]
    fn quality_holds_when_followers_grow_past_the_top_knot_and_dilute_listed_per_follower() {
        let m = model();
        let inputs = |followers: f64| FeatureInputs {
            followers,
            following: Some(1.0),
            tweets: Some(10_000.0),
            listed: Some(600_000.0),
            likes: Some(10.0),
            media: Some(10.0),
            age: Some(AccountAge {
                days: 1000.0,
                from: super::super::age::AgeFrom::CreatedAt,
            }),
        };
        let (small, large) = (inputs(30e6), inputs(60e6));
        let at_own = |i: &FeatureInputs| m.quality_at(&i.quality_scale(), i.log_followers());
        // The plain weighted sum falls here; Quality must not.
        assert!(at_own(&large) < at_own(&small));
        assert!(quality(m, &large) >= quality(m, &small));
    }

    fn quality(m: &Model, inputs: &FeatureInputs) -> f64 {
        let (scale, own) = (inputs.quality_scale(), inputs.log_followers());
        m.quality(&scale, own, &m.quality_units(&scale, own))
    }

    /// Quality as first defined: the weighted sum at the record's own count, at 1 follower and at
    /// every knot crossing below the own count, each evaluated from the features themselves.
    fn quality_by_full_search(m: &Model, inputs: &FeatureInputs) -> f64 {
        let at = |log_followers: f64| {
            let (mut sum, mut weight) = (0.0, 0.0);
            for feature in Feature::ALL {
                if feature.component() != Component::Quality {
                    continue;
                }
                if let Some(x) = inputs.scaled_at(feature, log_followers) {
                    sum += feature.weight() * unit(percentile(&m.knots[feature.index()], x));
                    weight += feature.weight();
                }
            }
            100.0 * sum / weight
        };
        let own = inputs.log_followers();
        let mut best = at(own);
        let mut consider = |point: f64| {
            if (0.0..own).contains(&point) {
                best = best.max(at(point));
            }
        };
        consider(0.0);
        for feature in Feature::ALL {
            if feature.component() != Component::Quality {
                continue;
            }
            for knot in m.knots[feature.index()] {
                if let Some(point) = inputs.follower_breakpoint(feature, knot) {
                    consider(point);
                }
            }
        }
        best
    }

    #[test]
    fn the_quality_features_are_those_of_the_component_in_model_order() {
        let of_quality: Vec<Feature> = Feature::ALL
            .into_iter()
            .filter(|f| f.component() == Component::Quality)
            .collect();
        assert_eq!(of_quality, QUALITY_FEATURES);
        assert_eq!(
            QUALITY_FEATURES[LISTED_SHARE_TERM],
            Feature::ListedPer1kFollowers
        );
        assert_eq!(QUALITY_FEATURES[FOLLOWERS_TERM], Feature::Followers);
        for (term, feature) in QUALITY_FEATURES.into_iter().enumerate() {
            assert_eq!(quality_term(feature), term);
        }
    }

    /// A count spread evenly on the log scale from 1 to `10^max_log10`, or 0.
    fn count(max_log10: f64) -> impl Strategy<Value = f64> {
        prop_oneof![
            1 => Just(0.0),
            1 => Just(1.0),
            12 => (0.0..max_log10).prop_map(|e: f64| 10f64.powf(e).floor()),
        ]
    }

    /// Inputs around the reference population and far outside it: list memberships from none to
    /// more than followers, so listed per 1,000 followers runs from below p1 to above p99.
    fn feature_inputs() -> impl Strategy<Value = FeatureInputs> {
        (
            count(9.5),
            proptest::option::weighted(0.9, count(8.0)),
            proptest::option::weighted(0.9, count(7.0)),
            proptest::option::weighted(0.9, 1.0..8_000.0f64),
        )
            .prop_map(|(followers, listed, following, days)| FeatureInputs {
                followers,
                following,
                tweets: Some(100.0),
                listed,
                likes: None,
                media: None,
                age: days.map(|days| AccountAge {
                    days,
                    from: super::super::age::AgeFrom::CreatedAt,
                }),
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4_000))]
        #[test]
        fn quality_skipping_dominated_counts_is_the_full_search_bit_for_bit(
            inputs in feature_inputs()
        ) {
            let m = model();
            proptest::prop_assert_eq!(
                quality(m, &inputs).to_bits(),
                quality_by_full_search(m, &inputs).to_bits()
            );
        }
    }

    #[test]
    fn quality_of_generated_records_is_the_full_search_bit_for_bit() {
        let m = model();
        for n in 0..5_000 {
            let record = crate::generate::record(7, n);
            let view = record.view();
            let found = record_inputs(&view, &m.id_knots, m.snapshot).expect("generated metrics");
            assert_eq!(
                quality(m, &found.inputs).to_bits(),
                quality_by_full_search(m, &found.inputs).to_bits(),
                "record {n}: {:?}",
                found.inputs
            );
            // Scoring hands Quality the places it has already worked out: the same bits.
            let bonus = verified_bonus(view.verified());
            let by_full_search = (quality_by_full_search(m, &found.inputs) + bonus).min(100.0);
            let scored = m.breakdown(&view).expect("generated metrics").quality;
            assert_eq!(scored.to_bits(), by_full_search.to_bits(), "record {n}");
        }
    }
}
