//! One author as one stored version describes them at one moment: the row the history keeps.
//! Read from a dataset line with the same typed view the audit and score read, so that the
//! metric-layout rules (which block holds the counts) exist once, in `AuthorView::metrics`.

use serde::Serialize;

use crate::dataset::raw_object::RawObject;
use chrono::{DateTime, Utc};

#[cfg(test)]
use crate::dataset::ReadLine;
use crate::dataset::{AuthorView, Metrics, format_time};
use crate::pipeline::custody::newest_ref;
use crate::pipeline::merge::fold_aliases;

/// An author's metrics and score at `fetched_at`. A metric the record did not carry is `None`
/// (NULL in the store), never 0: a missing count is not a count of zero.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    pub author_id: String,
    pub handle: Option<String>,
    /// When the metrics were fetched, RFC 3339 in milliseconds (the store's key with the id).
    pub fetched_at: String,
    #[serde(skip)]
    pub fetched_unix_ms: i64,
    pub followers_count: Option<u64>,
    pub following_count: Option<u64>,
    pub tweet_count: Option<u64>,
    pub listed_count: Option<u64>,
    pub score: Option<f64>,
    pub score_state: Option<String>,
    pub score_version: Option<String>,
    /// The dataset version that first held this snapshot (0: imported from a file that no
    /// version holds, such as a run's records).
    pub version: u64,
    /// The answer the record was built from (the newest custody reference), when it names one.
    pub run: Option<String>,
    pub response_line: Option<u64>,
    /// `meta.aliases` of the record, folded: the handles the author had before a rename, by
    /// which the history joins this snapshot to the author stored under one of them (the
    /// merge's rule, `merge::joins_id_owner`). Read from the record; not stored.
    #[serde(skip)]
    pub aliases: Vec<String>,
}

/// The moment a record describes: when its metrics were fetched, else its newest evidence.
pub(super) fn described_at(view: &AuthorView<'_>, metrics: &Metrics) -> Option<DateTime<Utc>> {
    metrics.as_of.or_else(|| view.fetched_at())
}

impl Snapshot {
    #[cfg(test)]
    /// The snapshot a dataset line holds; `None` when the line is not a record with an id and a
    /// time its metrics were fetched (such a line says nothing about a moment).
    pub(crate) fn of_line(text: &str, version: u64) -> Option<Snapshot> {
        let read = ReadLine::read_record(text).ok()?;
        Snapshot::of_view(&read.view, read.meta.as_ref(), version)
    }

    /// The snapshot of a line already read raw: its view and its `meta` (the caller counts the
    /// same view into a version's distribution, so the line is parsed once for both).
    pub(crate) fn of_view(
        view: &AuthorView<'_>,
        meta: Option<&RawObject<'_>>,
        version: u64,
    ) -> Option<Snapshot> {
        let author_id = view.id()?.to_string();
        let metrics = view.metrics();
        let at = described_at(view, &metrics)?;
        let meta_text = |key: &str| {
            meta.and_then(|m| m.get(key))
                .and_then(|raw| serde_json::from_str::<String>(raw.get()).ok())
        };
        let aliases = meta
            .and_then(|m| m.get("aliases"))
            .and_then(|raw| serde_json::from_str::<serde_json::Value>(raw.get()).ok())
            .map(|v| fold_aliases(&v))
            .unwrap_or_default();
        let newest_ref = meta
            .and_then(|m| m.get("custody"))
            .and_then(|raw| newest_ref(raw.get()));
        Some(Snapshot {
            author_id,
            handle: view.handle().map(str::to_string),
            fetched_at: format_time(at),
            fetched_unix_ms: at.timestamp_millis(),
            followers_count: metrics.followers,
            following_count: metrics.following,
            tweet_count: metrics.tweets,
            listed_count: metrics.listed,
            score: view.stored_score().value(),
            score_state: meta_text("score_state"),
            score_version: meta_text("score_version"),
            version,
            run: newest_ref.as_ref().map(|r| r.run.to_string()),
            response_line: newest_ref.map(|r| r.response_line),
            aliases,
        })
    }
}

/// A snapshot of author `id` under `handle` at `unix_ms` with only followers and a score, for
/// the history's tests.
#[cfg(test)]
pub(crate) fn test_snapshot(
    id: &str,
    handle: &str,
    unix_ms: i64,
    followers: Option<u64>,
    score: Option<f64>,
) -> Snapshot {
    let at = DateTime::from_timestamp_millis(unix_ms).expect("a test time");
    Snapshot {
        author_id: id.into(),
        handle: Some(handle.into()),
        fetched_at: format_time(at),
        fetched_unix_ms: unix_ms,
        followers_count: followers,
        following_count: None,
        tweet_count: None,
        listed_count: None,
        score,
        score_state: None,
        score_version: None,
        version: 1,
        run: None,
        response_line: None,
        aliases: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metric_the_record_lacks_stays_absent_not_zero() {
        let line = r#"{"id":"7","handle":"ann","public_metrics":{"followers_count":120,"tweet_count":0},"meta":{"score":41.5,"score_version":"m2-1","last_refresh_at":"2026-01-02T03:04:05Z"}}"#;
        let s = Snapshot::of_line(line, 3).expect("a record with an id and a time");
        assert_eq!(s.followers_count, Some(120));
        assert_eq!(s.tweet_count, Some(0));
        assert_eq!(s.following_count, None);
        assert_eq!(s.listed_count, None);
        assert_eq!(s.score, Some(41.5));
        assert_eq!(s.score_version.as_deref(), Some("m2-1"));
        assert_eq!(s.fetched_at, "2026-01-02T03:04:05.000Z");
        assert_eq!(s.version, 3);
    }

    #[test]
    fn a_merged_record_is_recorded_with_its_newest_answer_not_its_first() {
        // A merge writes the references oldest first.
        let line = r#"{"id":"7","handle":"ann","public_metrics":{"followers_count":1},"meta":{"last_refresh_at":"2026-02-01T00:00:00Z","custody":[{"run":"old","response_line":3,"sha256":"a","fetched_at":"2026-01-01T00:00:00.000Z"},{"run":"new","response_line":9,"sha256":"b","fetched_at":"2026-02-01T00:00:00.000Z"}]}}"#;
        let s = Snapshot::of_line(line, 2).expect("a snapshot");
        assert_eq!((s.run.as_deref(), s.response_line), (Some("new"), Some(9)));
    }

    #[test]
    fn a_line_without_an_id_or_a_time_is_no_snapshot() {
        assert_eq!(Snapshot::of_line(r#"{"handle":"x"}"#, 1), None);
        assert_eq!(Snapshot::of_line(r#"{"id":"1","handle":"x"}"#, 1), None);
        assert_eq!(Snapshot::of_line("not json", 1), None);
    }
}
