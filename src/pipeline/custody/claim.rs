//! What a record says about where it came from (its sources, `meta.custody` references and
//! provenance hash) and the fields that came from the API, as JSON text: read from a raw line
//! and its view (no `serde_json::Value`, the audit's way) or from a parsed record, to the same
//! [`Claim`].

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::Value;

use crate::dataset::raw_object::RawObject;
use crate::dataset::{AuthorView, Record};
use crate::pipeline::checks::placeholders::SourceKind;
use crate::pipeline::checks::placeholders::provenance::source_kind;

/// The record's top-level fields that come from the API, compared with the answer.
pub const API_FIELDS: &[&str] = &[
    "id",
    "handle",
    "name",
    "description",
    "created_at",
    "verified",
    "protected",
    "followers_count",
    "public_metrics",
];

/// One `meta.custody` entry: the answer a harvest built the record from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct CustodyRef {
    pub run: String,
    pub response_line: u64,
    pub sha256: String,
    #[serde(default)]
    pub fetched_at: Option<String>,
}

/// What one record claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim<'a> {
    /// A source says the record came from the X API (`x-api-v2`, `twitter-api-v2`, ...).
    pub claims_api: bool,
    pub handle: Option<Cow<'a, str>>,
    /// Newest first. A `meta.custody` that does not read as references is `Err` with why.
    pub refs: Result<Vec<CustodyRef>, String>,
    pub provenance_hash: Option<Cow<'a, str>>,
    /// `(field, JSON text)` of each of [`API_FIELDS`] the record has.
    pub fields: Vec<(&'static str, Cow<'a, str>)>,
}

impl<'a> Claim<'a> {
    /// From a line read raw: its top-level fields, its `meta`, and the view the caller has read
    /// of them already (the audit and the console do, for their other checks), whose sources,
    /// handle and provenance hash are taken instead of being read a second time.
    pub fn of_view<'r: 'a>(
        view: &'a AuthorView<'r>,
        top: &RawObject<'r>,
        meta: Option<&RawObject<'r>>,
    ) -> Claim<'a> {
        Claim {
            claims_api: view
                .sources()
                .iter()
                .any(|s| source_kind(&s.method) == SourceKind::Api),
            handle: view.handle().map(Cow::Borrowed),
            refs: read_refs(meta.and_then(|m| m.get("custody")).map(|r| r.get())),
            provenance_hash: view.provenance_hash().map(Cow::Borrowed),
            fields: API_FIELDS
                .iter()
                .filter_map(|f| Some((*f, Cow::Borrowed(top.get(f)?.get()))))
                .collect(),
        }
    }

    /// From a parsed record.
    pub fn of_record(record: &'a Record) -> Claim<'a> {
        let meta = record.meta();
        let text = |v: Option<&'a Value>| v.and_then(Value::as_str).map(Cow::Borrowed);
        let custody = meta.and_then(|m| m.get("custody")).map(Value::to_string);
        Claim {
            claims_api: record
                .sources()
                .iter()
                .any(|s| source_kind(&s.method) == SourceKind::Api),
            handle: text(record.get("handle")),
            refs: read_refs(custody.as_deref()),
            provenance_hash: text(meta.and_then(|m| m.get("provenance_hash"))),
            fields: API_FIELDS
                .iter()
                .filter_map(|f| Some((*f, Cow::Owned(record.get(f)?.to_string()))))
                .collect(),
        }
    }

    /// The JSON text of one of the record's API fields.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == name)
            .map(|(_, t)| t.as_ref())
    }
}

/// `meta.custody`, newest first; absent is no reference at all.
fn read_refs(text: Option<&str>) -> Result<Vec<CustodyRef>, String> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let mut refs: Vec<CustodyRef> = serde_json::from_str(text)
        .map_err(|e| format!("meta.custody does not read as references: {e}"))?;
    // Times are written one way (`format_time`), so their text sorts as they do.
    if refs.len() > 1 {
        refs.sort_by(|a, b| b.fetched_at.cmp(&a.fetched_at));
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::ReadLine;

    const LINE: &str = r#"{"id":"1","handle":"a","name":"A \u00e9","followers_count":5,"public_metrics":{"followers_count":5},"meta":{"sources":[{"method":"x-api-v2","fetched_at":"2026-01-01T00:00:00.000Z","evidence":"e"}],"provenance_hash":"ab","custody":[{"run":"r1","response_line":1,"sha256":"ab","fetched_at":"2026-01-01T00:00:00.000Z"},{"run":"r2","response_line":3,"sha256":"cd","fetched_at":"2026-02-01T00:00:00.000Z"}]}}"#;

    #[test]
    fn a_raw_line_and_its_parsed_record_claim_the_same_source_and_fields() {
        let ReadLine { top, meta, view } = ReadLine::read_record(LINE).unwrap();
        let raw = Claim::of_view(&view, &top, meta.as_ref());
        let record = crate::dataset::parse_line(1, LINE).unwrap();
        let parsed = Claim::of_record(&record);
        assert!(raw.claims_api && parsed.claims_api);
        assert_eq!(raw.refs, parsed.refs);
        assert_eq!(raw.refs.as_ref().unwrap()[0].run, "r2", "newest first");
        assert_eq!(raw.provenance_hash, parsed.provenance_hash);
        let names = |c: &Claim<'_>| c.fields.iter().map(|(f, _)| *f).collect::<Vec<_>>();
        assert_eq!(names(&raw), names(&parsed));
        // The texts may be spelled differently; they hold the same values.
        for (f, text) in &raw.fields {
            let a: Value = serde_json::from_str(text).unwrap();
            let b: Value = serde_json::from_str(parsed.field(f).unwrap()).unwrap();
            assert_eq!(a, b, "{f}");
        }
    }

    #[test]
    fn a_custody_that_is_not_references_says_why() {
        let record = crate::dataset::parse_line(1, r#"{"meta":{"custody":"r1"}}"#).unwrap();
        assert!(
            Claim::of_record(&record)
                .refs
                .unwrap_err()
                .contains("meta.custody")
        );
    }
}
