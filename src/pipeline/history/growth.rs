//! What an author's snapshots say about growth: the change per day of each count between
//! consecutive snapshots, the score's path, and review flags (`follower_spike`,
//! `follower_drop`) with their reason in words and numbers. The thresholds are data, in
//! `assets/growth.json`; a flag asks for a look and never blocks a merge by itself.

use serde::{Deserialize, Serialize};

use super::snapshot::Snapshot;
use crate::pipeline::score::knots::quantile;

/// The growth rules as `assets/growth.json` gives them.
pub(crate) const GROWTH_RULES: &str = include_str!("../../../assets/growth.json");

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GrowthRules {
    pub follower_spike: SpikeRule,
    pub follower_drop: DropRule,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SpikeRule {
    /// A gain per day above this many times the author's median daily gain...
    pub median_gain_multiple: f64,
    /// ...and above this fraction of the followers at the interval's start, per day.
    pub daily_fraction: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DropRule {
    /// A fall of more than this fraction of the followers between two snapshots.
    pub fraction: f64,
}

impl GrowthRules {
    /// The bundled rules; the asset is checked by a test, so this cannot fail in a build.
    pub(crate) fn bundled() -> GrowthRules {
        serde_json::from_str(GROWTH_RULES).expect("assets/growth.json reads as growth rules")
    }
}

/// The change between two consecutive snapshots, per day where it is a count.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub from: String,
    pub to: String,
    pub days: f64,
    /// `None` when either snapshot lacks the count.
    pub followers_per_day: Option<f64>,
    pub following_per_day: Option<f64>,
    pub tweets_per_day: Option<f64>,
    pub listed_per_day: Option<f64>,
    pub score_delta: Option<f64>,
}

/// A review flag on one interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrowthFlag {
    /// One of [`GrowthFlag::KINDS`].
    pub kind: &'static str,
    pub from: String,
    pub to: String,
    pub reason: String,
}

impl GrowthFlag {
    /// Every kind of flag the rules raise.
    pub(crate) const KINDS: [&'static str; 2] = ["follower_spike", "follower_drop"];

    /// The kind a stored word names; `None` for a word no rule raises.
    pub(crate) fn kind_named(word: &str) -> Option<&'static str> {
        GrowthFlag::KINDS.into_iter().find(|k| *k == word)
    }
}

/// The growth of one author over their snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Growth {
    pub changes: Vec<Change>,
    /// Followers gained per day over the whole history (first to last snapshot with a count).
    pub followers_per_day: Option<f64>,
    /// The median of the intervals' follower gains per day.
    pub median_followers_per_day: Option<f64>,
    pub flags: Vec<GrowthFlag>,
}

pub(super) const DAY_MS: f64 = 86_400_000.0;

pub(super) fn per_day(a: Option<u64>, b: Option<u64>, days: f64) -> Option<f64> {
    Some((b? as f64 - a? as f64) / days)
}

/// The median (type 7 at p50, the score's own quantile rule).
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    quantile(&values, 50.0)
}

/// Analyses snapshots given oldest first. Snapshots at the same millisecond are one moment:
/// the interval between them is skipped rather than divided by zero.
pub fn analyse(snapshots: &[Snapshot], rules: &GrowthRules) -> Growth {
    let changes: Vec<Change> = snapshots
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (&w[0], &w[1]);
            let days = (b.fetched_unix_ms - a.fetched_unix_ms) as f64 / DAY_MS;
            (days > 0.0).then(|| Change {
                from: a.fetched_at.clone(),
                to: b.fetched_at.clone(),
                days,
                followers_per_day: per_day(a.followers_count, b.followers_count, days),
                following_per_day: per_day(a.following_count, b.following_count, days),
                tweets_per_day: per_day(a.tweet_count, b.tweet_count, days),
                listed_per_day: per_day(a.listed_count, b.listed_count, days),
                score_delta: a.score.zip(b.score).map(|(x, y)| y - x),
            })
        })
        .collect();
    let gains: Vec<f64> = changes.iter().filter_map(|c| c.followers_per_day).collect();
    let with_followers: Vec<&Snapshot> = snapshots
        .iter()
        .filter(|s| s.followers_count.is_some())
        .collect();
    let followers_per_day = match (with_followers.first(), with_followers.last()) {
        (Some(a), Some(b)) if b.fetched_unix_ms > a.fetched_unix_ms => per_day(
            a.followers_count,
            b.followers_count,
            (b.fetched_unix_ms - a.fetched_unix_ms) as f64 / DAY_MS,
        ),
        _ => None,
    };
    let mut flags = Vec::new();
    for (k, pair) in snapshots
        .windows(2)
        .filter(|w| w[1].fetched_unix_ms > w[0].fetched_unix_ms)
        .enumerate()
    {
        let (Some(before), Some(after)) = (pair[0].followers_count, pair[1].followers_count) else {
            continue;
        };
        let c = &changes[k];
        let gain = c.followers_per_day.unwrap_or(0.0);
        flags.extend(spike(before, after, gain, c, k, &changes, rules));
        let fell = before.saturating_sub(after) as f64;
        if before > 0 && fell / before as f64 > rules.follower_drop.fraction {
            flags.push(GrowthFlag {
                kind: "follower_drop",
                from: c.from.clone(),
                to: c.to.clone(),
                reason: format!(
                    "followers fell {before} -> {after} ({:.1}%, more than {:.0}%) in {:.1} days",
                    100.0 * fell / before as f64,
                    100.0 * rules.follower_drop.fraction,
                    c.days
                ),
            });
        }
    }
    Growth {
        median_followers_per_day: median(gains),
        changes,
        followers_per_day,
        flags,
    }
}

/// The spike flag of interval `k`, judged against the author's other intervals.
fn spike(
    before: u64,
    after: u64,
    gain: f64,
    c: &Change,
    k: usize,
    changes: &[Change],
    rules: &GrowthRules,
) -> Option<GrowthFlag> {
    let rule = &rules.follower_spike;
    let fraction = gain / (before.max(1) as f64);
    if fraction <= rule.daily_fraction {
        return None;
    }
    let others: Vec<f64> = changes
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != k)
        .filter_map(|(_, o)| o.followers_per_day)
        .collect();
    let typical = median(others);
    // With no other interval to compare, the size rule alone speaks; a negative or zero
    // median makes any large gain far beyond the author's own.
    let limit = typical.map(|m| m.max(0.0) * rule.median_gain_multiple);
    if let Some(limit) = limit
        && gain <= limit
    {
        return None;
    }
    let own = match typical {
        Some(m) if m > 0.0 => format!(
            "{:.0}x the author's median of {m:.1}/day (limit {:.0}x)",
            gain / m,
            rule.median_gain_multiple
        ),
        // No ratio to a median that is not a gain: say the median itself.
        Some(m) => format!("the author's median is {m:.1}/day, not a gain"),
        None => "no earlier interval to compare".to_string(),
    };
    Some(GrowthFlag {
        kind: "follower_spike",
        from: c.from.clone(),
        to: c.to.clone(),
        reason: format!(
            "followers {before} -> {after} in {:.1} days: +{gain:.0}/day, {:.1}% of followers a day (limit {:.0}%), {own}",
            c.days,
            100.0 * fraction,
            100.0 * rule.daily_fraction
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap(day: i64, followers: Option<u64>, score: Option<f64>) -> Snapshot {
        super::super::snapshot::test_snapshot("1", "ann", day * DAY_MS as i64, followers, score)
    }

    #[test]
    fn the_bundled_rules_read() {
        let rules = GrowthRules::bundled();
        assert_eq!(rules.follower_spike.median_gain_multiple, 10.0);
        assert_eq!(rules.follower_drop.fraction, 0.2);
    }

    #[test]
    fn a_steady_gain_is_not_flagged_and_its_rate_is_per_day() {
        let history: Vec<Snapshot> = (0..6)
            .map(|w| snap(w * 7, Some(100_000 + 700 * w as u64), Some(50.0 + w as f64)))
            .collect();
        let g = analyse(&history, &GrowthRules::bundled());
        assert!(g.flags.is_empty(), "{:?}", g.flags);
        assert_eq!(g.changes.len(), 5);
        assert_eq!(g.changes[0].followers_per_day, Some(100.0));
        assert_eq!(g.changes[0].score_delta, Some(1.0));
        assert_eq!(g.followers_per_day, Some(100.0));
        assert_eq!(g.median_followers_per_day, Some(100.0));
    }

    #[test]
    fn a_jump_after_a_fall_names_the_median_instead_of_an_infinite_ratio() {
        let history = vec![
            snap(0, Some(100_000), None),
            snap(7, Some(30_000), None),
            snap(14, Some(100_000), None),
        ];
        let g = analyse(&history, &GrowthRules::bundled());
        let spike = g.flags.iter().find(|f| f.kind == "follower_spike").unwrap();
        assert!(
            spike
                .reason
                .contains("the author's median is -10000.0/day, not a gain"),
            "{}",
            spike.reason
        );
        assert!(!spike.reason.contains("inf"), "{}", spike.reason);
    }

    #[test]
    fn a_bought_jump_is_flagged_with_its_numbers() {
        let mut history: Vec<Snapshot> = (0..5)
            .map(|w| snap(w * 7, Some(10_000 + 70 * w as u64), None))
            .collect();
        // 20,000 followers in a week on 10,280: about 28% a day, 286x the usual 10/day.
        history.push(snap(35, Some(30_280), None));
        let g = analyse(&history, &GrowthRules::bundled());
        assert_eq!(g.flags.len(), 1, "{:?}", g.flags);
        let flag = &g.flags[0];
        assert_eq!(flag.kind, "follower_spike");
        assert!(flag.reason.contains("10280 -> 30280"), "{}", flag.reason);
        assert!(
            flag.reason.contains("median of 10.0/day"),
            "{}",
            flag.reason
        );
    }

    #[test]
    fn a_fast_gain_the_author_always_has_is_not_a_spike() {
        // 5% a day every week: large for the account's size, but the author's own pace.
        let mut followers = 1_000u64;
        let history: Vec<Snapshot> = (0..5)
            .map(|w| {
                let s = snap(w * 7, Some(followers), None);
                followers += followers * 35 / 100;
                s
            })
            .collect();
        assert!(analyse(&history, &GrowthRules::bundled()).flags.is_empty());
    }

    #[test]
    fn a_purge_is_a_drop_and_a_missing_count_is_no_change() {
        let history = vec![
            snap(0, Some(50_000), None),
            snap(7, None, None),
            snap(14, Some(50_500), None),
            snap(21, Some(30_000), None),
        ];
        let g = analyse(&history, &GrowthRules::bundled());
        assert_eq!(g.changes[0].followers_per_day, None);
        assert_eq!(g.changes[1].followers_per_day, None);
        let kinds: Vec<&str> = g.flags.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, ["follower_drop"]);
        assert!(
            g.flags[0].reason.contains("50500 -> 30000 (40.6%"),
            "{}",
            g.flags[0].reason
        );
    }
}
