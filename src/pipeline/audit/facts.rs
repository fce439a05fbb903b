//! What one record contributes to the audit, worked out on its own (so records can be checked in
//! parallel): its counters, schema violations, placeholder flags, provenance, and a small stand-in
//! record carrying only what the batch-level detectors read. Not here: anything that needs the
//! other records (duplicates, batch flags, the totals); see `tally`.

use serde_json::Value;

use crate::dataset::{Record, StoredScore};
use crate::pipeline::placeholders::{self, BatchRow, PlaceholderFlag, SourceKind};
use crate::pipeline::schema;

/// One record's share of the audit.
#[derive(Debug)]
pub(crate) struct RecordFacts {
    /// The fields the batch-level detectors, precision and duplicate grouping read; the record
    /// itself is not kept.
    pub batch: BatchRow,
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
        batch: BatchRow {
            id: r.id().map(str::to_string),
            handle: r.handle().map(str::to_string),
            score: score.value(),
            metrics,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_row_the_batch_detectors_get_is_the_one_they_would_read_from_the_full_record() {
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
            let record = Record::from_value(v.clone()).unwrap();
            assert_eq!(
                facts_of_borrowed(&record).batch,
                BatchRow::of(&record),
                "{v}"
            );
        }
    }
}
