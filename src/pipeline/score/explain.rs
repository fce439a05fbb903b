//! The breakdown in words: the features that moved a score most, and what was missing, phrased
//! for a person reading the detail pane. Not here: computing anything that feeds the score.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};

use super::age::AgeFrom;
use super::features::{Component, Feature};
use super::lexicon::{Lexicon, RelevanceMatch};
use super::model::{Breakdown, FeatureScore};

/// How many reasons a score carries.
const REASONS: usize = 3;

/// A feature as a candidate reason, with how many composite points it moved the record away
/// from a reference account at the median of everything.
struct Mover<'a> {
    points: f64,
    feature: &'a FeatureScore,
}

/// The 2-3 things that moved the score most, biggest first. When relevance is low and there is
/// no description, that is always said: it is the usual reason, and easy to fix.
pub(super) fn reasons(b: &Breakdown, lexicon: &Lexicon) -> Reasons {
    // Each component's present weight once, not once per feature.
    let (activity_weight, quality_weight) = (
        b.present_weight(Component::Activity),
        b.present_weight(Component::Quality),
    );
    let mut movers: Vec<Mover<'_>> = b
        .features
        .iter()
        .map(|f| {
            let component = f.feature.component();
            let present_weight = match component {
                Component::Activity => activity_weight,
                _ => quality_weight,
            };
            let within = f.feature.weight() / present_weight;
            let unit = ((f.percentile - 1.0) / 98.0).clamp(0.0, 1.0);
            Mover {
                points: b.component_share(component) * within * (unit - 0.5) * 100.0,
                feature: f,
            }
        })
        .collect();
    let relevance_points = b.component_share(Component::Relevance) * (b.relevance.value - 50.0);
    // Stable sort: equal movers keep the feature order.
    movers.sort_by(|a, b| b.points.abs().total_cmp(&a.points.abs()));

    let no_description_is_the_reason = !b.relevance.has_description && b.relevance.value < 50.0;
    let mut out = Reasons::default();
    let mut relevance_said = false;
    let mut movers = movers.into_iter().peekable();
    while out.len() < REASONS {
        let relevance_next = !relevance_said
            && (movers
                .peek()
                .is_none_or(|m| relevance_points.abs() > m.points.abs())
                || (no_description_is_the_reason && out.len() == REASONS - 1));
        if relevance_next {
            out.push_with(|text| write_relevance_text(text, &b.relevance, lexicon));
            relevance_said = true;
        } else if let Some(m) = movers.next() {
            out.push_with(|text| {
                write_feature_text(
                    text,
                    m.feature.feature,
                    m.feature.plain,
                    m.feature.percentile,
                )
            });
        } else {
            break;
        }
    }
    out
}

/// The metrics and fields that were absent, and what was done instead, in words.
pub(super) fn missing(b: &Breakdown) -> Vec<String> {
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

/// The reasons of one score, end to end in one string: every scored record carries 2-3, and one
/// string for all of them is one allocation instead of one each. Serialized as a list of strings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reasons {
    text: String,
    /// Where each reason ends in `text`.
    ends: [usize; REASONS],
    len: usize,
}

impl Reasons {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The reasons in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.ends[..self.len].iter().scan(0, |start, &end| {
            let reason = &self.text[*start..end];
            *start = end;
            Some(reason)
        })
    }

    /// Appends the reason `write` writes. A score carries at most [`REASONS`] of them.
    fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        assert!(
            self.len < REASONS,
            "a score carries at most {REASONS} reasons"
        );
        if self.text.capacity() == 0 {
            self.text.reserve(240);
        }
        write(&mut self.text);
        self.ends[self.len] = self.text.len();
        self.len += 1;
    }
}

impl<'a> FromIterator<&'a str> for Reasons {
    fn from_iter<I: IntoIterator<Item = &'a str>>(reasons: I) -> Self {
        let mut out = Reasons::default();
        for reason in reasons {
            out.push_with(|text| text.push_str(reason));
        }
        out
    }
}

impl Serialize for Reasons {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.len))?;
        for reason in self.iter() {
            seq.serialize_element(reason)?;
        }
        seq.end()
    }
}

/// Appends the words for one feature (written piece by piece: a reason is built for every
/// scored record).
fn write_feature_text(out: &mut String, feature: Feature, plain: f64, percentile: f64) {
    let (before, value, after): (&str, fn(&mut String, f64), &str) = match feature {
        Feature::PostsPerDay => ("posts ", write_amount, " times a day ("),
        Feature::LikesPerDay => ("gives ", write_amount, " likes a day ("),
        Feature::MediaPerDay => ("shares ", write_amount, " photos or videos a day ("),
        Feature::Followers => ("", write_count, " followers ("),
        Feature::Listed => ("listed on ", write_count, " lists ("),
        Feature::ListedPer1kFollowers => ("on ", write_amount, " lists per 1,000 followers ("),
        Feature::FollowerRatio => ("", write_amount, " followers for each account it follows ("),
        Feature::FollowersPerDay => ("gained ", write_amount, " followers a day since joining ("),
    };
    out.push_str(before);
    value(out, plain);
    out.push_str(after);
    write_place(out, percentile);
    out.push(')');
}

/// Appends the words for what Relevance found.
fn write_relevance_text(out: &mut String, m: &RelevanceMatch, lexicon: &Lexicon) {
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
        out.push_str(no_description);
        out.push_str(fields);
        out.push_str(" match no topic of the lexicon (relevance 0)");
        return;
    }
    out.push_str(no_description);
    out.push_str("topics: ");
    let mut i = 0;
    while i < m.found.len() {
        let topic = m.found[i].0;
        if i > 0 {
            out.push_str("; ");
        }
        out.push_str(&lexicon.topic(topic).label);
        out.push_str(" (in ");
        let mut fields = 0;
        for (_, field) in m.found[i..].iter().take_while(|(t, _)| *t == topic) {
            if fields > 0 {
                out.push_str(", ");
            }
            out.push_str(field.words());
            fields += 1;
        }
        i += fields;
        out.push(')');
    }
    out.push_str(" (relevance ");
    write_rounded(out, m.value);
    out.push(')');
}

/// Where a reference percentile sits, in words.
#[cfg(test)]
fn place(percentile: f64) -> String {
    let mut out = String::new();
    write_place(&mut out, percentile);
    out
}

fn write_place(out: &mut String, percentile: f64) {
    let (side, share) = if percentile >= 50.0 {
        ("top ", (100.0 - percentile).round().max(1.0))
    } else {
        ("bottom ", percentile.round().max(1.0))
    };
    out.push_str(side);
    // `share` is a whole number: as an integer it prints as `{}` prints the float.
    write_whole(out, share);
    out.push_str("% of reference");
}

/// A count with thousands separators: 13,433.
#[cfg(test)]
fn count(n: f64) -> String {
    let mut out = String::new();
    write_count(&mut out, n);
    out
}

/// Appends `n` as a count with thousands separators: 13,433.
fn write_count(out: &mut String, n: f64) {
    let x = n.max(0.0).round();
    let mut buf = itoa::Buffer::new();
    let formatted;
    let digits = match whole_digits(x, &mut buf) {
        Some(d) => d,
        None => {
            formatted = format!("{x:.0}");
            &formatted
        }
    };
    out.reserve(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
}

/// A rate or ratio with as many decimals as it needs to be read.
#[cfg(test)]
fn amount(x: f64) -> String {
    let mut out = String::new();
    write_amount(&mut out, x);
    out
}

fn write_amount(out: &mut String, x: f64) {
    if x >= 100.0 {
        write_count(out, x);
    } else if x >= 1.0 {
        write_decimals(out, x, 1);
    } else if x >= 0.01 {
        write_decimals(out, x, 2);
    } else if x > 0.0 {
        out.push_str("under 0.01");
    } else {
        out.push('0');
    }
}

/// `{x:.1}` or `{x:.2}` of `0 <= x < 100`. The formatter rounds the exact binary value (ties to
/// even) on a slow exact path; scaled to whole hundredths the product is within 10^-11 of exact,
/// so unless it lies within 10^-6 of a half the nearest whole number is the formatter's digit.
/// Near a half the formatter decides.
fn write_decimals(out: &mut String, x: f64, decimals: u32) {
    debug_assert!((0.0..100.0).contains(&x) && (1..=2).contains(&decimals));
    let scale = 10u64.pow(decimals);
    let scaled = x * scale as f64;
    if (scaled - scaled.floor() - 0.5).abs() < 1e-6 {
        use std::fmt::Write;
        write!(out, "{x:.prec$}", prec = decimals as usize)
            .expect("writing to a String cannot fail");
        return;
    }
    let n = scaled.round() as u64;
    let mut buf = itoa::Buffer::new();
    out.push_str(whole_digits((n / scale) as f64, &mut buf).expect("below 2^53"));
    out.push('.');
    let fraction = n % scale;
    if decimals == 2 {
        out.push(char::from(b'0' + (fraction / 10) as u8));
    }
    out.push(char::from(b'0' + (fraction % 10) as u8));
}

/// `{:.0}` of `x`: the nearest whole number, ties to even, as the formatter rounds.
fn write_rounded(out: &mut String, x: f64) {
    write_whole(out, x.round_ties_even());
}

/// A whole number as `{}` and `{:.0}` print it.
fn write_whole(out: &mut String, x: f64) {
    let mut buf = itoa::Buffer::new();
    match whole_digits(x, &mut buf) {
        Some(digits) => out.push_str(digits),
        None => {
            use std::fmt::Write;
            write!(out, "{x:.0}").expect("writing to a String cannot fail");
        }
    }
}

/// The digits of a whole, non-negative `x` below 2^53 (every count and percentage here), as an
/// integer: float formatting with a precision takes its slow exact path for these.
/// `None` for anything else (negative zero, a fraction, huge, not finite): the float formatter's.
fn whole_digits(x: f64, buf: &mut itoa::Buffer) -> Option<&str> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if !(x.is_sign_positive() && x < EXACT && x.fract() == 0.0) {
        return None;
    }
    Some(buf.format(x as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_back_in_order_and_serialize_as_a_list_of_strings() {
        let texts = [
            "posts 2.7 times a day (top 4% of reference)",
            "",
            "a \"quoted\" one",
        ];
        let reasons: Reasons = texts.into_iter().collect();
        assert_eq!(reasons.len(), 3);
        assert_eq!(reasons.iter().collect::<Vec<_>>(), texts);
        assert_eq!(
            serde_json::to_string(&reasons).unwrap(),
            serde_json::to_string(&texts).unwrap()
        );
        let none = Reasons::default();
        assert!(none.is_empty());
        assert_eq!(serde_json::to_string(&none).unwrap(), "[]");
    }

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
    fn whole_numbers_print_as_the_float_formatter_prints_them() {
        for x in [
            0.0,
            1.0,
            4.0,
            9.0,
            10.0,
            99.0,
            100.0,
            12_345.0,
            657_137.0,
            229_073_790.0,
            9.007e15,
        ] {
            let mut out = String::new();
            write_whole(&mut out, x);
            assert_eq!(out, format!("{x}"));
            assert_eq!(out, format!("{x:.0}"));
        }
        for x in [
            0.0, 0.4, 0.5, 1.5, 2.5, 62.5, 63.21, 77.69, 96.98, 99.5, 100.0, 1e20, -0.0,
        ] {
            let mut out = String::new();
            write_rounded(&mut out, x);
            assert_eq!(out, format!("{x:.0}"), "{x}");
        }
    }

    #[test]
    fn decimals_are_those_the_formatter_writes_ties_and_carries_included() {
        let mut checked = 0;
        // Ten-thousandths up to 100 (a hair off them either way), and every exact binary tie.
        let near_decimals = (0..1_000_000u64).step_by(7).flat_map(|k| {
            let x = k as f64 / 10_000.0;
            [x, x * (1.0 + 1e-15), x * (1.0 - 1e-15)]
        });
        let ties = (0..102_400u64).map(|k| k as f64 / 1024.0);
        for x in near_decimals.chain(ties) {
            if !(0.0..100.0).contains(&x) {
                continue;
            }
            for decimals in [1, 2] {
                let mut out = String::new();
                write_decimals(&mut out, x, decimals);
                assert_eq!(
                    out,
                    format!("{x:.prec$}", prec = decimals as usize),
                    "{x:e}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1_000_000, "{checked}");
    }

    #[test]
    fn small_rates_keep_enough_decimals() {
        assert_eq!(amount(2.74), "2.7");
        assert_eq!(amount(0.042), "0.04");
        assert_eq!(amount(0.0004), "under 0.01");
        assert_eq!(amount(1234.5), "1,235");
    }
}
