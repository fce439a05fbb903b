//! What a re-harvest changed: the stored record against the one just built from a fresh
//! answer, metric by metric and for the score (before → after, and per day over the time
//! between the two fetches), with the raw answer the fresh record came from. The console's
//! detail pane shows it after `r` or `:harvest @x`; nothing here reads files.

use serde::Serialize;

use super::growth::{DAY_MS, per_day};
use super::snapshot::described_at;
use crate::dataset::{Record, format_time};
use crate::pipeline::custody::{Claim, CustodyRef};

/// One count before and after.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountMove {
    /// The API's name of the count (`followers_count`, ...).
    pub metric: &'static str,
    pub before: Option<u64>,
    pub after: Option<u64>,
    /// `None` when either side lacks the count, or the time between them is unknown.
    pub per_day: Option<f64>,
}

impl CountMove {
    /// `after - before`, when both are known.
    pub(crate) fn delta(&self) -> Option<i64> {
        Some(self.after? as i64 - self.before? as i64)
    }
}

/// The stored record against the re-harvested one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SinceStored {
    /// When each record's metrics were fetched (RFC 3339), when it says.
    pub before_at: Option<String>,
    pub after_at: Option<String>,
    /// Days between the two fetches; `None` when either time is unknown or they are the same
    /// moment (no per-day figure is divided by zero).
    pub days: Option<f64>,
    /// followers, following, posts, listed: in that order, always four.
    pub counts: Vec<CountMove>,
    pub score_before: Option<f64>,
    pub score_after: Option<f64>,
    pub score_per_day: Option<f64>,
    /// The raw answer the re-harvested record was built from (its newest custody reference).
    pub answer: Option<CustodyRef<'static>>,
}

impl SinceStored {
    /// `score_after - score_before`, when both are scored.
    pub(crate) fn score_delta(&self) -> Option<f64> {
        Some(self.score_after? - self.score_before?)
    }

    /// True when no count and not the score moved (the fetch times may still differ).
    pub(crate) fn unchanged(&self) -> bool {
        self.counts.iter().all(|c| c.before == c.after) && self.score_before == self.score_after
    }
}

/// Compares the stored record `before` with `after`, built from a fresh answer.
pub fn since_stored(before: &Record, after: &Record) -> SinceStored {
    let (b, a) = (before.view(), after.view());
    let (bm, am) = (b.metrics(), a.metrics());
    let (b_at, a_at) = (described_at(&b, &bm), described_at(&a, &am));
    let days = b_at
        .zip(a_at)
        .map(|(x, y)| (y - x).num_milliseconds() as f64 / DAY_MS)
        .filter(|d| *d > 0.0);
    let count = |metric, before: Option<u64>, after: Option<u64>| CountMove {
        metric,
        before,
        after,
        per_day: days.and_then(|d| per_day(before, after, d)),
    };
    let (score_before, score_after) = (b.stored_score().value(), a.stored_score().value());
    SinceStored {
        before_at: b_at.map(format_time),
        after_at: a_at.map(format_time),
        days,
        counts: vec![
            count("followers_count", bm.followers, am.followers),
            count("following_count", bm.following, am.following),
            count("tweet_count", bm.tweets, am.tweets),
            count("listed_count", bm.listed, am.listed),
        ],
        score_before,
        score_after,
        score_per_day: score_before
            .zip(score_after)
            .zip(days)
            .map(|((x, y), d)| (y - x) / d),
        answer: Claim::of_record(after)
            .refs
            .ok()
            .and_then(|refs| refs.into_iter().next())
            .map(CustodyRef::into_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::parse_line;

    fn record(line: &str) -> Record {
        parse_line(1, line).expect("a test record")
    }

    #[test]
    fn every_count_and_the_score_move_before_to_after_per_day_with_the_answer_named() {
        let before = record(
            r#"{"id":"7","handle":"ann","public_metrics":{"followers_count":1000,"following_count":10,"tweet_count":500},"meta":{"score":40.0,"last_refresh_at":"2026-01-01T00:00:00Z"}}"#,
        );
        let after = record(
            r#"{"id":"7","handle":"ann","public_metrics":{"followers_count":1100,"following_count":10,"tweet_count":520,"listed_count":3},"meta":{"score":42.5,"last_refresh_at":"2026-01-11T00:00:00Z","custody":[{"run":"20260111T000000Z","response_line":4,"sha256":"ab"}]}}"#,
        );
        let s = since_stored(&before, &after);
        assert_eq!(s.days, Some(10.0));
        assert_eq!(s.before_at.as_deref(), Some("2026-01-01T00:00:00.000Z"));
        let followers = &s.counts[0];
        assert_eq!(
            (followers.before, followers.after),
            (Some(1000), Some(1100))
        );
        assert_eq!(followers.delta(), Some(100));
        assert_eq!(followers.per_day, Some(10.0));
        assert_eq!(s.counts[1].per_day, Some(0.0));
        assert_eq!(s.counts[2].per_day, Some(2.0));
        // A count the stored record lacked has an "after" and no change per day: absent is
        // not zero.
        assert_eq!((s.counts[3].before, s.counts[3].after), (None, Some(3)));
        assert_eq!(s.counts[3].per_day, None);
        assert_eq!(s.score_delta(), Some(2.5));
        assert_eq!(s.score_per_day, Some(0.25));
        let answer = s.answer.clone().expect("the custody reference");
        assert_eq!(
            (&*answer.run, answer.response_line),
            ("20260111T000000Z", 4)
        );
        assert!(!s.unchanged());
    }

    #[test]
    fn without_both_fetch_times_there_is_no_per_day_figure() {
        let before = record(r#"{"id":"7","handle":"ann","public_metrics":{"followers_count":10}}"#);
        let after = record(
            r#"{"id":"7","handle":"ann","public_metrics":{"followers_count":10},"meta":{"last_refresh_at":"2026-01-11T00:00:00Z"}}"#,
        );
        let s = since_stored(&before, &after);
        assert_eq!(s.days, None);
        assert_eq!(s.counts[0].per_day, None);
        assert_eq!(s.counts[0].delta(), Some(0));
        assert!(s.unchanged());
        assert_eq!(s.answer, None);
    }
}
