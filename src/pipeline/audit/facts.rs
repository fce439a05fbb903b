//! What one record contributes to the audit, worked out on its own (so records can be checked in
//! parallel): its counters, schema violations, placeholder flags, provenance, and a small stand-in
//! record carrying only what the batch-level detectors read. A line is checked raw when that gives
//! the same facts ([`facts_of_line`]), and parsed into a record otherwise. Not here: anything that
//! needs the other records (duplicates, batch flags, the totals); see `tally`.

use serde_json::Value;

use super::error_lists::SchemaErrors;

use crate::dataset::raw_object::RawObject;
use crate::dataset::{AuthorView, Metrics, ReadLine, Record, StoredScore};
use crate::pipeline::checks::placeholders::{self, DetectorRow, PlaceholderFlag, SourceKind};
use crate::pipeline::checks::schema;
use crate::pipeline::custody::{self, AnswerIndex, Claim, Custody};

/// What every front end says about one record, each fact decided here and nowhere else:
/// `influx audit` counts these, the console flags its rows and fills its counters with them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RecordChecks {
    /// A stored score of exactly 0.
    pub zero_score: bool,
    /// See [`is_unscored`].
    pub unscored: bool,
    /// At least one sample-data placeholder detector fired.
    pub placeholder: bool,
    /// The record breaks the bigv schema.
    pub schema_violation: bool,
}

/// Unscored: no usable score (absent, text, not a number), or a score with no activity metrics
/// behind it, which measures nothing whatever number it carries. Never folded into 0.
pub(crate) fn is_unscored(score: &StoredScore, has_activity: bool) -> bool {
    score.value().is_none() || !has_activity
}

/// The checks of a record read through its view; the schema is the caller's (it needs the
/// record's JSON value, or its raw text: see [`checks_of_record`] and [`raw_schema_clean`]).
pub(crate) fn checks_of_view(view: &AuthorView<'_>, schema_clean: bool) -> RecordChecks {
    checks_with_metrics(view, &view.metrics(), schema_clean)
}

/// [`checks_of_view`] for a caller that has read the record's metrics already (they are read
/// once per record on a million-row load). `metrics` must be `view.metrics()`.
pub(crate) fn checks_with_metrics(
    view: &AuthorView<'_>,
    metrics: &Metrics,
    schema_clean: bool,
) -> RecordChecks {
    let score = view.stored_score();
    RecordChecks {
        zero_score: score.value() == Some(0.0),
        unscored: is_unscored(&score, metrics.has_activity()),
        placeholder: !placeholders::view_flags_with_metrics(view, metrics).is_empty(),
        schema_violation: !schema_clean,
    }
}

/// Whether a parsed record keeps to the bigv schema.
pub(crate) fn schema_clean_record(record: &Record) -> bool {
    schema::violations(&Value::Object(record.fields().clone())).is_empty()
}

/// Whether a line read raw breaks the schema, when the raw check can tell (`None`: parse the
/// line and use [`checks_of_record`]).
pub(crate) fn raw_schema_clean(top: &RawObject<'_>, meta: Option<&RawObject<'_>>) -> Option<bool> {
    Some(schema::raw_violations(top, meta)?.is_empty())
}

/// Whether any sample-data placeholder detector fires on a record (the `placeholder` check).
pub(crate) fn is_placeholder(view: &AuthorView<'_>) -> bool {
    !placeholders::view_flags(view).is_empty()
}

/// The words behind a record's checks, for a person reading one record: each placeholder
/// detector that fired with its reason, and each schema violation.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckDetails {
    pub placeholder_flags: Vec<PlaceholderFlag>,
    pub schema_violations: Vec<String>,
}

pub(crate) fn check_details(record: &Record) -> CheckDetails {
    CheckDetails {
        placeholder_flags: placeholders::record_flags(record),
        schema_violations: schema::violations(&Value::Object(record.fields().clone())),
    }
}

/// One record's share of the audit.
#[derive(Debug, PartialEq)]
pub(crate) struct RecordFacts {
    /// The fields the batch-level detectors, precision and duplicate grouping read; the record
    /// itself is not kept.
    pub batch: DetectorRow,
    pub zero_score: bool,
    pub string_score: bool,
    pub has_activity: bool,
    /// See [`is_unscored`].
    pub unscored: bool,
    /// `lang_primary` is `und`: the profile's text could not tell its language.
    pub lang_undetermined: bool,
    /// The score the histogram places; `None` keeps the record off the scale.
    pub histogram_score: Option<f64>,
    pub source_kind: SourceKind,
    /// `meta.sources[].method`, as written.
    pub methods: Vec<String>,
    pub schema_errors: SchemaErrors,
    pub flags: Vec<PlaceholderFlag>,
    /// What custody proved (`None`: the audit was given no runs to prove against).
    pub custody: Option<Custody>,
}

/// Checks one line without building a `serde_json::Value`. `None` when that could give other
/// facts than [`facts_of`] on the parsed record: the line is not an object a value parse takes,
/// or the raw schema check cannot tell (see `schema::raw_missing`); the caller parses it then.
pub(crate) fn facts_of_line(text: &str, answers: Option<&AnswerIndex>) -> Option<RecordFacts> {
    let ReadLine { top, meta, view } = ReadLine::read_record(text).ok()?;
    let missing = schema::raw_missing(&top, meta.as_ref())?;
    let custody = answers.map(|a| custody::verify(&Claim::of_view(&view, &top, meta.as_ref()), a));
    let mut facts = facts_of_view(view);
    facts.schema_errors = SchemaErrors::Missing(missing);
    facts.custody = custody;
    Some(facts)
}

/// Checks one record, consuming it: the schema is validated on the record's own JSON value, so
/// no copy of it is ever made.
pub(crate) fn facts_of(record: Record, answers: Option<&AnswerIndex>) -> RecordFacts {
    let custody = answers.map(|a| custody::verify_record(&record, a));
    let mut facts = facts_of_view(record.view());
    facts.custody = custody;
    facts.schema_errors = SchemaErrors::Words(schema::violations(&record.into_value()));
    facts
}

/// Checks a record the caller keeps: the schema validator needs a JSON value, so this one copies it.
pub(crate) fn facts_of_borrowed(record: &Record) -> RecordFacts {
    let mut facts = facts_of_view(record.view());
    facts.schema_errors =
        SchemaErrors::Words(schema::violations(&Value::Object(record.fields().clone())));
    facts
}

/// Everything but the schema check. The view is used up: its source methods move into the facts.
fn facts_of_view(mut r: AuthorView<'_>) -> RecordFacts {
    let score = r.stored_score();
    let metrics = r.metrics();
    let has_activity = metrics.has_activity();
    let scored_state = r.meta_score_state.text() != Some("unscored");
    let flags = placeholders::view_flags_with_metrics(&r, &metrics);
    RecordFacts {
        zero_score: score.value() == Some(0.0),
        string_score: matches!(score, StoredScore::Text { .. }),
        has_activity,
        unscored: is_unscored(&score, has_activity),
        histogram_score: score.value().filter(|_| has_activity && scored_state),
        lang_undetermined: r.lang_primary.text()
            == Some(crate::pipeline::checks::language::UNDETERMINED),
        source_kind: placeholders::provenance::sources_kind(r.sources()),
        batch: DetectorRow {
            id: r.id().map(str::to_string),
            handle: r.handle().map(str::to_string),
            score: score.value(),
            metrics,
        },
        schema_errors: SchemaErrors::Words(Vec::new()),
        flags,
        custody: None,
        methods: std::mem::take(&mut r.sources)
            .into_iter()
            .map(|s| s.method.into_owned())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::parse_line;
    use serde_json::json;

    #[test]
    fn a_line_checked_raw_has_the_facts_of_the_parsed_record() {
        let fixtures = [
            include_str!("../../../tests/fixtures/latest-2025-11-14.jsonl"),
            include_str!("../../../tests/fixtures/prefetched.sample.jsonl"),
            include_str!("../../../tests/fixtures/placeholder-batch.jsonl"),
        ];
        let mut raw = 0;
        for (n, text) in fixtures.iter().flat_map(|f| f.lines()).enumerate() {
            if let Some(facts) = facts_of_line(text, None) {
                raw += 1;
                assert_eq!(
                    facts,
                    facts_of(parse_line(n + 1, text).unwrap(), None),
                    "{text}"
                );
            }
        }
        assert!(raw > 400, "{raw}");
        for i in 0..200 {
            let text = crate::generate::record(3, i).to_line();
            let facts = facts_of_line(&text, None).expect("generated records are checked raw");
            assert_eq!(
                facts,
                facts_of(parse_line(1, &text).unwrap(), None),
                "{text}"
            );
        }
    }

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
                DetectorRow::of(&record),
                "{v}"
            );
        }
    }
}
