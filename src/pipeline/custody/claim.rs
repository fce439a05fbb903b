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
pub(super) const API_FIELDS: &[&str] = &[
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

/// One `meta.custody` entry: the answer a harvest built the record from. Its texts are
/// borrowed from the record's line where they can be (a million records proved are a
/// million references read); [`CustodyRef::into_owned`] for one that outlives its line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, serde::Serialize)]
pub struct CustodyRef<'a> {
    #[serde(borrow)]
    pub run: Cow<'a, str>,
    pub response_line: u64,
    #[serde(borrow)]
    pub sha256: Cow<'a, str>,
    #[serde(default, borrow)]
    pub fetched_at: Option<Cow<'a, str>>,
}

impl CustodyRef<'_> {
    pub(crate) fn into_owned(self) -> CustodyRef<'static> {
        CustodyRef {
            run: Cow::Owned(self.run.into_owned()),
            response_line: self.response_line,
            sha256: Cow::Owned(self.sha256.into_owned()),
            fetched_at: self.fetched_at.map(|t| Cow::Owned(t.into_owned())),
        }
    }
}

/// What one record claims.
#[derive(Debug, Clone, PartialEq)]
pub struct Claim<'a> {
    /// A source says the record came from the X API (`x-api-v2`, `twitter-api-v2`, ...).
    pub claims_api: bool,
    pub handle: Option<Cow<'a, str>>,
    /// Newest first. A `meta.custody` that does not read as references is `Err` with why.
    pub refs: Result<Vec<CustodyRef<'a>>, String>,
    pub provenance_hash: Option<Cow<'a, str>>,
    /// The JSON text of each of [`API_FIELDS`] the record has, by its place in that list.
    pub fields: [Option<Cow<'a, str>>; API_FIELDS.len()],
}

impl<'a> Claim<'a> {
    /// From a line read raw: its top-level fields, its `meta`, and the view the caller has read
    /// of them already (the audit and the console do, for their other checks), whose sources,
    /// handle and provenance hash are taken instead of being read a second time.
    pub(crate) fn of_view<'r: 'a>(
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
            refs: read_refs(
                meta.and_then(|m| m.get("custody")).map(|r| r.get()),
                serde_json::from_str,
            ),
            provenance_hash: view.provenance_hash().map(Cow::Borrowed),
            fields: {
                // One walk of the record's thirty-odd fields, not one search per API field.
                let mut fields = [const { None }; API_FIELDS.len()];
                for (key, value) in top.entries() {
                    if let Some(k) = api_field(key) {
                        fields[k] = Some(Cow::Borrowed(value.get()));
                    }
                }
                fields
            },
        }
    }

    /// From a parsed record.
    pub(crate) fn of_record(record: &'a Record) -> Claim<'a> {
        let meta = record.meta();
        let text = |v: Option<&'a Value>| v.and_then(Value::as_str).map(Cow::Borrowed);
        let custody = meta.and_then(|m| m.get("custody"));
        Claim {
            claims_api: record
                .sources()
                .iter()
                .any(|s| source_kind(&s.method) == SourceKind::Api),
            handle: text(record.get("handle")),
            refs: read_refs(custody, <Vec<CustodyRef<'a>>>::deserialize),
            provenance_hash: text(meta.and_then(|m| m.get("provenance_hash"))),
            fields: std::array::from_fn(|k| {
                Some(Cow::Owned(record.get(API_FIELDS[k])?.to_string()))
            }),
        }
    }

    /// The JSON text of the record's API field at place `k` of [`API_FIELDS`].
    pub(crate) fn field_at(&self, k: usize) -> Option<&str> {
        self.fields.get(k)?.as_deref()
    }

    #[cfg(test)]
    /// The JSON text of one of the record's API fields.
    pub(crate) fn field(&self, name: &str) -> Option<&str> {
        self.field_at(api_field(name)?)
    }
}

/// The newest answer a record's `meta.custody` text names (the one [`Claim`] proves first);
/// `None` when it names none or does not read as references. A merge keeps the references
/// oldest first, so the first written is not the newest.
pub fn newest_ref(custody: &str) -> Option<CustodyRef<'_>> {
    let refs = read_refs(Some(custody), serde_json::from_str).ok()?;
    refs.into_iter().next()
}

/// The place of a record field among [`API_FIELDS`], if it is one.
pub(super) fn api_field(name: &str) -> Option<usize> {
    API_FIELDS.iter().position(|f| *f == name)
}

/// `meta.custody` (its text, or its parsed value), newest first; absent is no reference at all.
fn read_refs<'a, T>(
    custody: Option<T>,
    read: impl FnOnce(T) -> Result<Vec<CustodyRef<'a>>, serde_json::Error>,
) -> Result<Vec<CustodyRef<'a>>, String> {
    let Some(custody) = custody else {
        return Ok(Vec::new());
    };
    let mut refs =
        read(custody).map_err(|e| format!("meta.custody does not read as references: {e}"))?;
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
        let names = |c: &Claim<'_>| {
            let present = API_FIELDS.iter().enumerate();
            present
                .filter_map(|(k, f)| c.field_at(k).map(|_| *f))
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&raw), names(&parsed));
        assert_eq!(
            names(&raw),
            ["id", "handle", "name", "followers_count", "public_metrics"]
        );
        // The texts may be spelled differently; they hold the same values.
        for f in names(&raw) {
            let a: Value = serde_json::from_str(raw.field(f).unwrap()).unwrap();
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
