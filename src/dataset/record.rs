//! One author record: the JSON object as read, every field kept, with typed views onto it.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::AuthorView;
use super::LineError;
use super::author_view;
use super::canonical::{CANONICAL_META_ORDER, CANONICAL_ORDER, Canonical, reorder};

/// One author record: the JSON object as read, with typed views.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    fields: Map<String, Value>,
}

/// How `meta.score` is stored.
#[derive(Debug, Clone, PartialEq)]
pub enum StoredScore {
    Absent,
    Number(f64),
    /// Stored as a string, as the old pipeline sometimes did (`"100.0"`); `parsed` if it reads as a number.
    Text {
        raw: String,
        parsed: Option<f64>,
    },
    /// `null`, a bool, an array or an object.
    Other,
}

impl StoredScore {
    pub fn value(&self) -> Option<f64> {
        match self {
            StoredScore::Number(v) => Some(*v),
            StoredScore::Text { parsed, .. } => *parsed,
            _ => None,
        }
    }
}

/// Where a record's metrics came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricsOrigin {
    /// Top-level `public_metrics`, as the X API answers.
    PublicMetrics,
    /// `meta.activity_metrics` (the old pipeline's layout).
    MetaActivity,
    /// `ext.activity_metrics` (a later variant of the dataset).
    ExtActivity,
    /// Only the top-level `followers_count`, no activity metrics at all.
    FollowersOnly,
    None,
}

/// Account metrics in one vocabulary, whatever layout the record used. `None` = absent, never 0.
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
pub struct Metrics {
    pub followers: Option<u64>,
    pub following: Option<u64>,
    pub tweets: Option<u64>,
    pub listed: Option<u64>,
    /// Likes given by the account (`like_count`, `total_like_count`).
    pub likes: Option<u64>,
    pub media: Option<u64>,
    pub created_at: Option<DateTime<Utc>>,
    /// When the metrics were fetched: the moment the record describes.
    pub as_of: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub origin: Option<MetricsOrigin>,
}

impl Metrics {
    /// True when the record carries activity metrics (more than a follower count).
    pub fn has_activity(&self) -> bool {
        matches!(
            self.origin,
            Some(
                MetricsOrigin::PublicMetrics
                    | MetricsOrigin::MetaActivity
                    | MetricsOrigin::ExtActivity
            )
        )
    }

    /// The metric names that are absent, in the API's words (for "unscored because ..." reasons).
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        let pairs = [
            (self.followers.is_none(), "followers_count"),
            (self.following.is_none(), "following_count"),
            (self.tweets.is_none(), "tweet_count"),
            (self.listed.is_none(), "listed_count"),
            (self.likes.is_none(), "like_count"),
            (self.media.is_none(), "media_count"),
            (self.created_at.is_none(), "created_at"),
        ];
        for (absent, name) in pairs {
            if absent {
                out.push(name);
            }
        }
        out
    }
}

/// One entry of `meta.sources`, borrowing its text from the record or line it was read from
/// (a million lines read for scoring would otherwise copy two strings each).
#[derive(Debug, Clone, PartialEq)]
pub struct Source<'a> {
    pub method: Cow<'a, str>,
    pub fetched_at: Option<DateTime<Utc>>,
    pub evidence: Option<Cow<'a, str>>,
}

impl Record {
    /// Wraps a JSON object; anything else is not a record.
    pub fn from_value(v: Value) -> Result<Self, &'static str> {
        match v {
            Value::Object(fields) => Ok(Record { fields }),
            other => Err(json_kind(&other)),
        }
    }

    pub fn from_map(fields: Map<String, Value>) -> Self {
        Record { fields }
    }

    pub(crate) fn fields(&self) -> &Map<String, Value> {
        &self.fields
    }

    pub fn fields_mut(&mut self) -> &mut Map<String, Value> {
        &mut self.fields
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.fields)
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.fields.get(key)
    }

    pub fn set(&mut self, key: &str, value: Value) {
        self.fields.insert(key.to_string(), value);
    }

    fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }

    pub fn id(&self) -> Option<&str> {
        self.str_field("id")
    }

    /// The handle as stored; API-shaped objects say `username`.
    pub fn handle(&self) -> Option<&str> {
        self.str_field("handle")
            .or_else(|| self.str_field("username"))
    }

    /// The handle folded for matching: X matches usernames case-insensitively.
    /// When the record was last refreshed: `meta.last_refresh_at`, else its newest evidence
    /// (the refresh's staleness and the export's column read it here).
    pub(crate) fn last_refresh_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.meta()
            .and_then(|m| m.get("last_refresh_at"))
            .and_then(|v| v.as_str())
            .and_then(super::parse_time)
            .or_else(|| self.view().fetched_at())
    }

    pub fn handle_key(&self) -> Option<String> {
        self.handle()
            .map(|h| h.trim_start_matches('@').to_ascii_lowercase())
    }

    pub fn name(&self) -> Option<&str> {
        self.str_field("name")
    }

    pub(crate) fn description(&self) -> Option<&str> {
        self.str_field("description")
    }

    /// `verified` (bigv's enum) or, on API-shaped objects, `verified_type`.
    pub(crate) fn verified(&self) -> Option<&str> {
        self.str_field("verified_type")
            .or_else(|| self.str_field("verified"))
    }

    pub fn meta(&self) -> Option<&Map<String, Value>> {
        self.fields.get("meta").and_then(Value::as_object)
    }

    /// `meta`, created as an empty object when absent or not an object.
    pub fn meta_mut(&mut self) -> &mut Map<String, Value> {
        let entry = self
            .fields
            .entry("meta")
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry.as_object_mut().expect("meta was just made an object")
    }

    /// The typed view scoring and the placeholder detectors read (borrowing this record).
    pub fn view(&self) -> AuthorView<'_> {
        AuthorView::from_map(&self.fields)
    }

    pub fn stored_score(&self) -> StoredScore {
        StoredScore::from_scalar(&author_view::Scalar::from_value(
            self.meta().and_then(|m| m.get("score")),
        ))
    }

    pub fn sources(&self) -> Vec<Source<'_>> {
        author_view::sources_from_value(self.meta().and_then(|m| m.get("sources")))
    }

    /// The newest evidence for this record: latest `sources[].fetched_at`, else `meta.last_refresh_at`.
    pub(crate) fn fetched_at(&self) -> Option<DateTime<Utc>> {
        author_view::newest_evidence(
            &self.sources(),
            &author_view::Scalar::from_value(self.meta().and_then(|m| m.get("last_refresh_at"))),
        )
    }

    /// The record's metrics in one vocabulary: see [`AuthorView::metrics`], where the layouts
    /// are mapped.
    pub fn metrics(&self) -> Metrics {
        self.view().metrics()
    }

    /// The record as JSON with top-level and `meta` fields in canonical order; unknown fields
    /// follow in the order they were read, unchanged.
    pub fn to_canonical(&self) -> Value {
        Value::Object(reorder(&self.fields, CANONICAL_ORDER, |key, v| {
            if key == "meta"
                && let Value::Object(m) = v
            {
                return Value::Object(reorder(m, CANONICAL_META_ORDER, |_, v| v.clone()));
            }
            v.clone()
        }))
    }

    /// One JSONL line (no newline), canonical order. Serialised straight from the record, in
    /// the same order as [`Record::to_canonical`], without copying it first.
    pub fn to_line(&self) -> String {
        let mut out = Vec::with_capacity(1024);
        serde_json::to_writer(&mut out, &Canonical::top(&self.fields))
            .expect("a JSON object always serialises");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What is wrong with a line's JSON, in the line's own terms: serde's "at line 1 column 150"
/// would contradict the line number the error carries, and a line that stops before its JSON
/// closes is almost always a file cut off mid-write.
fn json_reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(what, _)| what);
    if e.is_eof() {
        format!(
            "the record stops at column {} before its JSON closes (the file ends mid-line)",
            e.column()
        )
    } else {
        format!("{what} at column {}", e.column())
    }
}

/// Parses one line of a JSONL file into a record (`line` is 1-based, for the error).
pub fn parse_line(line: usize, text: &str) -> Result<Record, LineError> {
    let value: Value = serde_json::from_str(text).map_err(|e| LineError::InvalidJson {
        line,
        reason: json_reason(&e),
    })?;
    Record::from_value(value).map_err(|found| LineError::NotAnObject { line, found })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        Record::from_value(v).unwrap()
    }

    #[test]
    fn metrics_from_meta_activity_use_the_old_pipeline_names() {
        let r = rec(json!({"handle":"a","followers_count":657137,
            "meta":{"activity_metrics":{"tweet_count":19912,"total_like_count":50294,"media_count":617,
            "listed_count":13433,"following_count":1352,"last_captured_at":"2025-11-14T06:42:01.143076+00:00",
            "account_created_at":"2009-01-01T00:00:00Z"}}}));
        let m = r.metrics();
        assert_eq!(m.origin, Some(MetricsOrigin::MetaActivity));
        assert_eq!(m.followers, Some(657137));
        assert_eq!(m.likes, Some(50294));
        assert_eq!(m.tweets, Some(19912));
        assert!(m.created_at.is_some() && m.as_of.is_some());
        assert!(m.has_activity());
    }

    #[test]
    fn metrics_from_public_metrics_accept_post_count_and_keep_absent_as_none() {
        let r = rec(
            json!({"username":"b","created_at":"2013-12-14T04:35:55.000Z",
            "public_metrics":{"followers_count":10,"following_count":2,"post_count":5,"listed_count":1,"like_count":null}}),
        );
        let m = r.metrics();
        assert_eq!(m.tweets, Some(5));
        assert_eq!(m.likes, None, "null is absent, not zero");
        assert_eq!(m.media, None);
        assert_eq!(m.missing(), vec!["like_count", "media_count"]);
        assert_eq!(r.handle(), Some("b"));
    }

    #[test]
    fn a_record_with_only_followers_has_no_activity() {
        let m = rec(json!({"followers_count": 5})).metrics();
        assert_eq!(m.origin, Some(MetricsOrigin::FollowersOnly));
        assert!(!m.has_activity());
    }

    #[test]
    fn string_scores_are_seen_as_strings() {
        let r = rec(json!({"meta":{"score":"100.0"}}));
        assert_eq!(
            r.stored_score(),
            StoredScore::Text {
                raw: "100.0".into(),
                parsed: Some(100.0)
            }
        );
    }

    #[test]
    fn canonical_order_puts_known_fields_first_and_keeps_unknown_ones() {
        let r = rec(json!({"zeta":1,"meta":{"x":1,"score":2.5},"handle":"h","id":"1"}));
        assert_eq!(
            r.to_line(),
            r#"{"id":"1","handle":"h","meta":{"score":2.5,"x":1},"zeta":1}"#
        );
    }

    #[test]
    fn a_line_is_the_canonical_record_serialised() {
        let r = rec(
            json!({"zeta":1,"meta":{"x":[1,{"b":2,"a":1}],"score":2.5,"as_of":"t"},
            "ext":{"meta":{"score":1,"a":2}},"handle":"h","id":"1"}),
        );
        assert_eq!(
            r.to_line(),
            serde_json::to_string(&r.to_canonical()).unwrap()
        );
    }

    #[test]
    fn a_cut_off_line_says_the_file_ends_mid_line_and_never_quotes_serdes_line_1() {
        let e = parse_line(20, "{\"handle\":\"a\",\"meta\":{\"sc").unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with("line 20: "), "{text}");
        assert!(text.contains("(the file ends mid-line)"), "{text}");
        assert!(!text.contains("line 1 column"), "{text}");
        let e = parse_line(3, "{\"a\": nope}").unwrap_err().to_string();
        assert!(e.contains(" at column ") && !e.contains("line 1"), "{e}");
    }

    #[test]
    fn bad_lines_name_their_line_and_reason() {
        assert!(matches!(
            parse_line(3, "{\"a\":"),
            Err(LineError::InvalidJson { line: 3, .. })
        ));
        assert_eq!(
            parse_line(4, "[1,2]"),
            Err(LineError::NotAnObject {
                line: 4,
                found: "array"
            })
        );
    }
}
