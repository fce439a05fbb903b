//! What one record contributes to the audit, worked out on its own (so records can be checked in
//! parallel): its counters, schema violations, placeholder flags, provenance, and a small stand-in
//! record carrying only what the batch-level detectors read. Not here: anything that needs the
//! other records (duplicates, batch flags, the totals); see `tally`.

use chrono::SecondsFormat;
use serde_json::{Map, Value};

use crate::dataset::{Metrics, Record, StoredScore};
use crate::pipeline::placeholders::{self, PlaceholderFlag, SourceKind};
use crate::pipeline::schema;

/// One record's share of the audit.
#[derive(Debug)]
pub(crate) struct RecordFacts {
    /// The fields the batch-level detectors, precision and duplicate grouping read (see
    /// [`batch_record`]); the record itself is not kept.
    pub batch: Record,
    pub zero_score: bool,
    pub string_score: bool,
    pub has_activity: bool,
    /// The score the histogram places; `None` keeps the record off the scale.
    pub histogram_score: Option<f64>,
    pub source_kind: SourceKind,
    /// `meta.sources[].method`, as written.
    pub methods: Vec<String>,
    pub schema_errors: Vec<String>,
    pub flags: Vec<PlaceholderFlag>,
}

/// Checks one record, consuming it: the schema is validated on the record's own JSON value, so
/// no copy of it is ever made.
pub(crate) fn facts_of(record: Record) -> RecordFacts {
    let mut facts = facts_before_schema(&record);
    facts.schema_errors = schema::violations(&record.into_value());
    facts
}

/// Checks a record the caller keeps: the schema validator needs a JSON value, so this one copies it.
pub(crate) fn facts_of_borrowed(record: &Record) -> RecordFacts {
    let mut facts = facts_before_schema(record);
    facts.schema_errors = schema::violations(&Value::Object(record.fields().clone()));
    facts
}

fn facts_before_schema(r: &Record) -> RecordFacts {
    let score = r.stored_score();
    let metrics = r.metrics();
    let has_activity = metrics.has_activity();
    let scored_state = r
        .meta()
        .and_then(|m| m.get("score_state"))
        .and_then(Value::as_str)
        != Some("unscored");
    RecordFacts {
        zero_score: score.value() == Some(0.0),
        string_score: matches!(score, StoredScore::Text { .. }),
        has_activity,
        histogram_score: score.value().filter(|_| has_activity && scored_state),
        source_kind: placeholders::provenance::record_kind(r),
        methods: r.sources().into_iter().map(|s| s.method).collect(),
        schema_errors: Vec::new(),
        flags: placeholders::record_flags(r),
        batch: batch_record(r, &score, &metrics),
    }
}

/// A record reduced to what the batch-level detectors read through [`Record`]'s accessors: id,
/// handle, the stored score's value and the metrics (in the `public_metrics` layout when the record
/// has activity metrics, else the top-level follower count). Each accessor the detectors call gives
/// the same answer on it as on the full record, at a tenth of the memory.
fn batch_record(r: &Record, score: &StoredScore, m: &Metrics) -> Record {
    let mut f = Map::with_capacity(5);
    if let Some(id) = r.id() {
        f.insert("id".into(), Value::from(id));
    }
    if let Some(h) = r.handle() {
        f.insert("handle".into(), Value::from(h));
    }
    // A non-finite value is no score to a detector (and JSON cannot hold one).
    if let Some(n) = score.value().and_then(serde_json::Number::from_f64) {
        let mut meta = Map::with_capacity(1);
        meta.insert("score".into(), Value::Number(n));
        f.insert("meta".into(), Value::Object(meta));
    }
    if let Some(t) = m.created_at {
        // Nanoseconds kept: equal creation instants are a detector's evidence.
        let text = t.to_rfc3339_opts(SecondsFormat::AutoSi, true);
        f.insert("created_at".into(), Value::from(text));
    }
    if m.has_activity() {
        let columns = [
            ("followers_count", m.followers),
            ("following_count", m.following),
            ("tweet_count", m.tweets),
            ("listed_count", m.listed),
            ("like_count", m.likes),
            ("media_count", m.media),
        ];
        let mut pm = Map::with_capacity(columns.iter().filter(|(_, v)| v.is_some()).count());
        for (name, v) in columns {
            if let Some(v) = v {
                pm.insert(name.into(), Value::from(v));
            }
        }
        f.insert("public_metrics".into(), Value::Object(pm));
    } else if let Some(n) = m.followers {
        f.insert("followers_count".into(), Value::from(n));
    }
    Record::from_map(f)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stand_in(v: Value) -> (Record, Record) {
        let r = Record::from_value(v).unwrap();
        let b = batch_record(&r, &r.stored_score(), &r.metrics());
        (r, b)
    }

    #[test]
    fn the_stand_in_answers_every_batch_accessor_as_the_full_record_does() {
        let cases = [
            json!({"id":"1","handle":"A","followers_count":5,"created_at":"2019-01-01T00:00:00.123456789Z",
                "meta":{"score":"42.5","activity_metrics":{"tweet_count":3,"total_like_count":9,
                "account_created_at":"2010-02-03T04:05:06Z"}}}),
            json!({"username":"b","public_metrics":{"followers_count":10,"post_count":4},"meta":{"score":0}}),
            json!({"id":"7","followers_count":1000,"ext":{"activity_metrics":{}}}),
            json!({"handle":"c","followers_count":"12","meta":{"score":null}}),
            json!({"handle":"d"}),
        ];
        for v in cases {
            let (full, b) = stand_in(v.clone());
            let (fm, bm) = (full.metrics(), b.metrics());
            assert_eq!(
                (fm.followers, fm.following, fm.tweets, fm.listed),
                (bm.followers, bm.following, bm.tweets, bm.listed),
                "{v}"
            );
            assert_eq!(
                (fm.likes, fm.media, fm.created_at),
                (bm.likes, bm.media, bm.created_at)
            );
            assert_eq!(fm.has_activity(), bm.has_activity(), "{v}");
            assert_eq!(full.id(), b.id());
            assert_eq!(full.handle(), b.handle());
            assert_eq!(full.stored_score().value(), b.stored_score().value());
        }
    }
}
