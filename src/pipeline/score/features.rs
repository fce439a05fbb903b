//! The eight M2 features: what each measures, which component it feeds, and its value on the
//! log scale the reference knots are kept in. Absent inputs give absent features, never zeros.
//! Not here: normalization or weighting against the reference (see `model`).

use crate::dataset::Metrics;

use super::age::AccountAge;

/// Added to per-day rates before the log: one event per hundred days, so a count of 0 stays finite.
const RATE_FLOOR: f64 = 0.01;

/// The three parts of M2. Relevance has no reference-normalized features (see `lexicon`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Component {
    Activity,
    Quality,
    Relevance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Feature {
    PostsPerDay,
    LikesPerDay,
    MediaPerDay,
    Followers,
    Listed,
    ListedPer1kFollowers,
    FollowerRatio,
    FollowersPerDay,
}

impl Feature {
    pub const ALL: [Feature; 8] = [
        Feature::PostsPerDay,
        Feature::LikesPerDay,
        Feature::MediaPerDay,
        Feature::Followers,
        Feature::Listed,
        Feature::ListedPer1kFollowers,
        Feature::FollowerRatio,
        Feature::FollowersPerDay,
    ];

    /// The name used in reference.json and in the detail pane's feature table.
    pub fn key(self) -> &'static str {
        match self {
            Feature::PostsPerDay => "posts_per_day",
            Feature::LikesPerDay => "likes_given_per_day",
            Feature::MediaPerDay => "media_per_day",
            Feature::Followers => "followers",
            Feature::Listed => "listed",
            Feature::ListedPer1kFollowers => "listed_per_1k_followers",
            Feature::FollowerRatio => "followers_per_following",
            Feature::FollowersPerDay => "follower_growth_per_day",
        }
    }

    pub(crate) fn component(self) -> Component {
        match self {
            Feature::PostsPerDay | Feature::LikesPerDay | Feature::MediaPerDay => {
                Component::Activity
            }
            _ => Component::Quality,
        }
    }

    /// Weight inside its component. Listed carries the most of Quality: list memberships are the
    /// best endorsement signal in profile metadata (followers measure reach, not influence).
    pub(crate) fn weight(self) -> f64 {
        match self {
            Feature::PostsPerDay => 0.45,
            Feature::LikesPerDay => 0.25,
            Feature::MediaPerDay => 0.30,
            Feature::Followers => 0.25,
            Feature::Listed => 0.30,
            Feature::ListedPer1kFollowers => 0.15,
            Feature::FollowerRatio => 0.15,
            Feature::FollowersPerDay => 0.15,
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// The counts a record offers, as floats, with the account age. `None` = not reported.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureInputs {
    pub followers: f64,
    pub following: Option<f64>,
    pub tweets: Option<f64>,
    pub listed: Option<f64>,
    pub likes: Option<f64>,
    pub media: Option<f64>,
    pub age: Option<AccountAge>,
}

impl FeatureInputs {
    /// `None` when followers are absent: without them there is no Quality to speak of.
    pub(crate) fn from_metrics(m: &Metrics, age: Option<AccountAge>) -> Option<Self> {
        let f = |v: Option<u64>| v.map(|n| n as f64);
        Some(FeatureInputs {
            followers: m.followers? as f64,
            following: f(m.following),
            tweets: f(m.tweets),
            listed: f(m.listed),
            likes: f(m.likes),
            media: f(m.media),
            age,
        })
    }

    /// log10 of the follower count (floored at 1): the variable every follower-based feature is
    /// linear in, which is what lets `model` keep Quality monotone in followers exactly.
    pub(crate) fn log_followers(&self) -> f64 {
        self.followers.max(1.0).log10()
    }

    /// The feature on its knot scale, with the follower count taken as `10^log_followers`.
    pub(crate) fn scaled_at(&self, feature: Feature, log_followers: f64) -> Option<f64> {
        let days = self.age.map(|a| a.days);
        let rate = |count: Option<f64>| Some((count? / days? + RATE_FLOOR).log10());
        match feature {
            Feature::PostsPerDay => rate(self.tweets),
            Feature::LikesPerDay => rate(self.likes),
            Feature::MediaPerDay => rate(self.media),
            _ => self.quality_scale().scaled_at(feature, log_followers),
        }
    }

    /// The logs the Quality features are built from, taken once (see [`QualityScale`]).
    pub(crate) fn quality_scale(&self) -> QualityScale {
        QualityScale {
            log_listed: self.listed.map(log1),
            log_following: self.following.map(log1),
            log_days: self.age.map(|a| a.days.log10()),
        }
    }

    pub(crate) fn scaled(&self, feature: Feature) -> Option<f64> {
        self.scaled_at(feature, self.log_followers())
    }

    /// The feature in plain units (per day, per 1,000 followers, a count), for people to read.
    pub(crate) fn plain(&self, feature: Feature) -> Option<f64> {
        let days = self.age.map(|a| a.days);
        let per_day = |count: Option<f64>| Some(count? / days?);
        let f = self.followers.max(1.0);
        match feature {
            Feature::PostsPerDay => per_day(self.tweets),
            Feature::LikesPerDay => per_day(self.likes),
            Feature::MediaPerDay => per_day(self.media),
            Feature::Followers => Some(self.followers),
            Feature::Listed => self.listed,
            Feature::ListedPer1kFollowers => self.listed.map(|l| 1000.0 * l.max(1.0) / f),
            Feature::FollowerRatio => self.following.map(|g| f / g.max(1.0)),
            Feature::FollowersPerDay => per_day(Some(self.followers)),
        }
    }

    #[cfg(test)]
    /// The follower count (log10) at which `feature` reaches `knot`, for features that move with
    /// followers; `None` for the others or when an input is absent.
    pub(crate) fn follower_breakpoint(&self, feature: Feature, knot: f64) -> Option<f64> {
        self.quality_scale().follower_breakpoint(feature, knot)
    }
}

/// `log10(max(v, 1))`: counts of 0 and 1 both give 0.
fn log1(v: f64) -> f64 {
    v.max(1.0).log10()
}

/// The Quality features of one record as functions of log10(followers): the logs of the inputs
/// that do not move with followers, taken once, so that `model` can evaluate Quality at many
/// follower counts without taking them again. [`FeatureInputs::scaled_at`] and
/// [`FeatureInputs::follower_breakpoint`] use these formulas for the Quality features.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct QualityScale {
    log_listed: Option<f64>,
    log_following: Option<f64>,
    log_days: Option<f64>,
}

impl QualityScale {
    /// A Quality feature on its knot scale at `log_followers`; `None` for the activity features
    /// or when an input is absent.
    pub(crate) fn scaled_at(&self, feature: Feature, log_followers: f64) -> Option<f64> {
        match feature {
            Feature::Followers => Some(log_followers),
            Feature::Listed => self.log_listed,
            Feature::ListedPer1kFollowers => self.log_listed.map(|l| 3.0 + l - log_followers),
            Feature::FollowerRatio => self.log_following.map(|g| log_followers - g),
            Feature::FollowersPerDay => self.log_days.map(|d| log_followers - d),
            Feature::PostsPerDay | Feature::LikesPerDay | Feature::MediaPerDay => None,
        }
    }

    /// The follower count (log10) at which `feature` reaches `knot` (see
    /// [`FeatureInputs::follower_breakpoint`]).
    pub(crate) fn follower_breakpoint(&self, feature: Feature, knot: f64) -> Option<f64> {
        match feature {
            Feature::Followers => Some(knot),
            Feature::ListedPer1kFollowers => self.log_listed.map(|l| 3.0 + l - knot),
            Feature::FollowerRatio => self.log_following.map(|g| knot + g),
            Feature::FollowersPerDay => self.log_days.map(|d| knot + d),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::score::age::AgeFrom;

    fn inputs() -> FeatureInputs {
        FeatureInputs {
            followers: 657_137.0,
            following: Some(1352.0),
            tweets: Some(19_912.0),
            listed: Some(13_433.0),
            likes: None,
            media: Some(617.0),
            age: Some(AccountAge {
                days: 1000.0,
                from: AgeFrom::CreatedAt,
            }),
        }
    }

    #[test]
    fn absent_counts_give_absent_features_not_zero() {
        let i = inputs();
        assert_eq!(i.scaled(Feature::LikesPerDay), None);
        assert_eq!(i.plain(Feature::LikesPerDay), None);
        let no_age = FeatureInputs { age: None, ..i };
        assert_eq!(no_age.scaled(Feature::PostsPerDay), None);
        assert_eq!(no_age.scaled(Feature::FollowersPerDay), None);
        assert!(no_age.scaled(Feature::Listed).is_some());
    }

    #[test]
    fn plain_values_read_as_rates_and_ratios() {
        let i = inputs();
        assert!((i.plain(Feature::PostsPerDay).unwrap() - 19.912).abs() < 1e-9);
        assert!((i.plain(Feature::ListedPer1kFollowers).unwrap() - 20.44).abs() < 0.01);
        assert!((i.plain(Feature::FollowerRatio).unwrap() - 486.05).abs() < 0.01);
    }

    #[test]
    fn the_quality_scale_gives_the_bits_of_the_features_themselves() {
        let full = inputs();
        let bare = FeatureInputs {
            following: None,
            listed: None,
            age: None,
            ..full
        };
        let odd = FeatureInputs {
            followers: 0.0,
            following: Some(0.0),
            listed: Some(1.0),
            ..full
        };
        for i in [full, bare, odd] {
            let scale = i.quality_scale();
            for f in Feature::ALL {
                for at in [0.0, 1.7, i.log_followers(), 9.3] {
                    let expected = match f.component() {
                        Component::Quality => i.scaled_at(f, at),
                        _ => None,
                    };
                    assert_eq!(
                        scale.scaled_at(f, at).map(f64::to_bits),
                        expected.map(f64::to_bits),
                        "{f:?} at {at}"
                    );
                    assert_eq!(
                        scale.follower_breakpoint(f, at).map(f64::to_bits),
                        i.follower_breakpoint(f, at).map(f64::to_bits),
                        "{f:?} at {at}"
                    );
                }
            }
        }
    }

    #[test]
    fn breakpoints_are_where_the_feature_meets_the_knot() {
        let i = inputs();
        for f in [
            Feature::Followers,
            Feature::ListedPer1kFollowers,
            Feature::FollowerRatio,
            Feature::FollowersPerDay,
        ] {
            let knot = 1.234;
            let at = i.follower_breakpoint(f, knot).unwrap();
            assert!((i.scaled_at(f, at).unwrap() - knot).abs() < 1e-12, "{f:?}");
        }
        assert_eq!(i.follower_breakpoint(Feature::Listed, 1.0), None);
    }
}
