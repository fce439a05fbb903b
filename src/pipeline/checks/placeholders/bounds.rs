//! Hard bounds no real account breaks: created before X existed (2006-03-21) or after it was
//! fetched, negative counts, more media than posts; and a creation time at exactly midnight UTC,
//! which a real sign-up hits once in 86,400.

use std::sync::LazyLock;

use chrono::{DateTime, TimeZone, Timelike, Utc};

use super::PlaceholderFlag;
use crate::dataset::{AuthorView, Metrics, format_time};

/// The day X launched, worked out once: every record is compared with it.
fn x_launch() -> DateTime<Utc> {
    static LAUNCH: LazyLock<DateTime<Utc>> =
        LazyLock::new(|| Utc.with_ymd_and_hms(2006, 3, 21, 0, 0, 0).unwrap());
    *LAUNCH
}

pub(super) fn flags(record: &AuthorView<'_>, m: &Metrics, out: &mut Vec<PlaceholderFlag>) {
    let mut bound = |reason: String| {
        out.push(PlaceholderFlag {
            detector: "hard_bounds",
            reason,
        })
    };
    for (block, key, v) in record.raw_counts() {
        if v < 0.0 {
            let field = match block {
                Some(block) => format!("{block}.{key}"),
                None => key.to_string(),
            };
            bound(format!("{field} is negative ({v})"));
        }
    }
    if let (Some(media), Some(tweets)) = (m.media, m.tweets)
        && media > tweets
    {
        bound(format!(
            "media_count {media} is larger than tweet_count {tweets}: media come with posts"
        ));
    }
    let Some(created) = m.created_at else { return };
    if created < x_launch() {
        bound(format!(
            "created_at {} is before X existed (2006-03-21)",
            format_time(created)
        ));
    }
    if let Some(as_of) = m.as_of
        && created > as_of
    {
        bound(format!(
            "created_at {} is after the record was fetched ({})",
            format_time(created),
            format_time(as_of)
        ));
    }
    if created.num_seconds_from_midnight() == 0 && created.nanosecond() == 0 {
        out.push(PlaceholderFlag {
            detector: "midnight_created_at",
            reason: format!(
                "created_at {} is exactly midnight UTC, to the millisecond",
                format_time(created)
            ),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::Record;
    use serde_json::{Value, json};

    fn detectors(v: Value) -> Vec<&'static str> {
        let mut out = Vec::new();
        let record = Record::from_value(v).unwrap();
        let view = record.view();
        flags(&view, &view.metrics(), &mut out);
        out.iter().map(|f| f.detector).collect()
    }

    #[test]
    fn an_account_created_on_the_day_x_launched_is_within_bounds() {
        let jack = json!({"id":"12","created_at":"2006-03-21T20:50:14.000Z","followers_count":6415998,
            "public_metrics":{"tweet_count":30223,"media_count":2957}});
        assert_eq!(detectors(jack), Vec::<&str>::new());
    }

    #[test]
    fn negative_counts_too_many_media_and_prehistoric_dates_break_bounds() {
        let r = json!({"created_at":"2001-05-05T10:00:01.000Z","followers_count":-5,
            "public_metrics":{"tweet_count":3,"media_count":9}});
        assert_eq!(detectors(r), vec!["hard_bounds"; 3]);
    }

    #[test]
    fn a_creation_at_exact_midnight_is_flagged() {
        let r = json!({"created_at":"2020-01-01T00:00:00.000Z","public_metrics":{"tweet_count":3}});
        assert_eq!(detectors(r), vec!["midnight_created_at"]);
    }
}
