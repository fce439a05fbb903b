//! The breakdown in words: the features that moved a score most, and what was missing, phrased
//! for a person reading the detail pane. Not here: computing anything that feeds the score.

use super::age::AgeFrom;
use super::features::Feature;
use super::lexicon::{Field, Lexicon, RelevanceMatch};
use super::model::Breakdown;

/// How many reasons a score carries.
const REASONS: usize = 3;

/// A candidate reason and how many composite points it moved the record away from a reference
/// account at the median of everything.
struct Mover {
    points: f64,
    text: String,
}

/// The 2-3 things that moved the score most, biggest first. When relevance is low and there is
/// no description, that is always said: it is the usual reason, and easy to fix.
pub fn reasons(b: &Breakdown, lexicon: &Lexicon) -> Vec<String> {
    let mut movers: Vec<Mover> = b
        .features
        .iter()
        .map(|f| {
            let component = f.feature.component();
            let within = f.feature.weight() / b.present_weight(component);
            let unit = ((f.percentile - 1.0) / 98.0).clamp(0.0, 1.0);
            Mover {
                points: b.component_share(Some(component)) * within * (unit - 0.5) * 100.0,
                text: feature_text(f.feature, f.plain, f.percentile),
            }
        })
        .collect();
    let relevance_points = b.component_share(None) * (b.relevance.value - 50.0);
    let relevance_text = relevance_text(&b.relevance, lexicon);
    // Stable order for equal movers: the feature order, then relevance.
    movers.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));

    let no_description_is_the_reason = !b.relevance.has_description && b.relevance.value < 50.0;
    let mut out: Vec<String> = Vec::with_capacity(REASONS);
    let mut relevance_said = false;
    let mut movers = movers.into_iter().peekable();
    while out.len() < REASONS {
        let relevance_next = !relevance_said
            && (movers
                .peek()
                .is_none_or(|m| relevance_points.abs() > m.points.abs())
                || (no_description_is_the_reason && out.len() == REASONS - 1));
        if relevance_next {
            out.push(relevance_text.clone());
            relevance_said = true;
        } else if let Some(m) = movers.next() {
            out.push(m.text);
        } else {
            break;
        }
    }
    out
}

/// The metrics and fields that were absent, and what was done instead, in words.
pub fn missing(b: &Breakdown) -> Vec<String> {
    let mut out = Vec::new();
    let age = b.inputs.inputs.age;
    for name in b.inputs.metrics.missing() {
        let text = match name {
            "following_count" => "following count: no followers-per-following ratio".to_string(),
            "tweet_count" => "post count: no posts per day".to_string(),
            "listed_count" => "list memberships: no listed or listed-per-follower".to_string(),
            "like_count" => "likes given: no likes per day".to_string(),
            "media_count" => "media count: no media per day".to_string(),
            "created_at" => match age {
                Some(a) if a.from == AgeFrom::IdSnowflake => {
                    "account creation date: age read from the account id, which encodes it"
                        .to_string()
                }
                Some(_) => "account creation date: age estimated from the account id, \
                            between reference accounts of known age"
                    .to_string(),
                None => "account creation date: no per-day rates".to_string(),
            },
            other => other.to_string(),
        };
        out.push(text);
    }
    if b.activity.is_none() {
        out.push("activity: no activity feature could be computed".into());
    }
    if !b.relevance.has_description {
        out.push("description: relevance from handle, name and topic tags only".into());
    }
    out
}

fn feature_text(feature: Feature, plain: f64, percentile: f64) -> String {
    let place = place(percentile);
    match feature {
        Feature::PostsPerDay => format!("posts {} times a day ({place})", amount(plain)),
        Feature::LikesPerDay => format!("gives {} likes a day ({place})", amount(plain)),
        Feature::MediaPerDay => {
            format!("shares {} photos or videos a day ({place})", amount(plain))
        }
        Feature::Followers => format!("{} followers ({place})", count(plain)),
        Feature::Listed => format!("listed on {} lists ({place})", count(plain)),
        Feature::ListedPer1kFollowers => {
            format!("on {} lists per 1,000 followers ({place})", amount(plain))
        }
        Feature::FollowerRatio => format!(
            "{} followers for each account it follows ({place})",
            amount(plain)
        ),
        Feature::FollowersPerDay => format!(
            "gained {} followers a day since joining ({place})",
            amount(plain)
        ),
    }
}

fn relevance_text(m: &RelevanceMatch, lexicon: &Lexicon) -> String {
    // Only a low relevance is blamed on the missing description.
    let no_description = if m.has_description || m.value >= 50.0 {
        ""
    } else {
        "no description; "
    };
    if m.found.is_empty() {
        let fields = if m.has_description {
            "description, handle, name and topic tags"
        } else {
            "handle, name and topic tags"
        };
        return format!("{no_description}{fields} match no topic of the lexicon (relevance 0)");
    }
    let mut topics: Vec<String> = Vec::new();
    let mut i = 0;
    while i < m.found.len() {
        let topic = m.found[i].0;
        let fields: Vec<&str> = m.found[i..]
            .iter()
            .take_while(|(t, _)| *t == topic)
            .map(|(_, f): &(usize, Field)| f.words())
            .collect();
        i += fields.len();
        topics.push(format!(
            "{} (in {})",
            lexicon.topic(topic).label,
            fields.join(", ")
        ));
    }
    format!(
        "{no_description}topics: {} (relevance {:.0})",
        topics.join("; "),
        m.value
    )
}

/// Where a reference percentile sits, in words.
fn place(percentile: f64) -> String {
    if percentile >= 50.0 {
        format!(
            "top {}% of reference",
            (100.0 - percentile).round().max(1.0)
        )
    } else {
        format!("bottom {}% of reference", percentile.round().max(1.0))
    }
}

/// A count with thousands separators: 13,433.
pub fn count(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0).round());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate or ratio with as many decimals as it needs to be read.
fn amount(x: f64) -> String {
    if x >= 100.0 {
        count(x)
    } else if x >= 1.0 {
        format!("{x:.1}")
    } else if x >= 0.01 {
        format!("{x:.2}")
    } else if x > 0.0 {
        "under 0.01".into()
    } else {
        "0".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(13_433.0), "13,433");
        assert_eq!(count(229_073_790.0), "229,073,790");
        assert_eq!(count(999.0), "999");
        assert_eq!(count(0.0), "0");
    }

    #[test]
    fn places_say_top_or_bottom_share_of_reference() {
        assert_eq!(place(96.0), "top 4% of reference");
        assert_eq!(place(99.0), "top 1% of reference");
        assert_eq!(place(20.0), "bottom 20% of reference");
        assert_eq!(place(1.0), "bottom 1% of reference");
    }

    #[test]
    fn small_rates_keep_enough_decimals() {
        assert_eq!(amount(2.74), "2.7");
        assert_eq!(amount(0.042), "0.04");
        assert_eq!(amount(0.0004), "under 0.01");
        assert_eq!(amount(1234.5), "1,235");
    }
}
