//! Where a record says it came from (`meta.sources[].method`): an API answer, a person, sample
//! data, or something else. Sample-like sources are a placeholder flag; manual sources are a fact
//! the audit counts apart, never a flag (the real dataset is almost all manual).

use serde::Serialize;

use super::PlaceholderFlag;
use crate::dataset::{AuthorView, Metrics};

/// The kind of a source method, from its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SourceKind {
    /// Marked as sample, mock, fixture, test, fake, dummy, synthetic, demo or placeholder data.
    Sample,
    /// An answer of the X API (`twitter-api-v2`, `x_api_v2`, `influx-harvest`, ...).
    Api,
    /// Typed or curated by a person (`manual_csv`, `manual_seed`, `manual_curation`).
    Manual,
    /// Anything else (`rube_mcp_fetch`, a scraper, ...): neither an API answer this tool saw nor manual.
    Other,
    /// The record names no source at all.
    Unknown,
}

const SAMPLE_WORDS: &[&str] = &[
    "sample",
    "mock",
    "fixture",
    "test",
    "fake",
    "dummy",
    "synthetic",
    "demo",
    "placeholder",
    "simulated",
];

/// The words of a method name, as written (compared ignoring ASCII case).
fn words(method: &str) -> impl Iterator<Item = &str> + Clone + '_ {
    method
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
}

/// Classifies one `sources[].method`.
pub(crate) fn source_kind(method: &str) -> SourceKind {
    // A file names the same few methods on every line: the last answer is kept per thread.
    thread_local! {
        static LAST: std::cell::RefCell<Option<(String, SourceKind)>> = const { std::cell::RefCell::new(None) };
    }
    LAST.with_borrow_mut(|last| match last {
        Some((m, kind)) if m == method => *kind,
        _ => {
            let kind = classify(method);
            *last = Some((method.to_string(), kind));
            kind
        }
    })
}

fn classify(method: &str) -> SourceKind {
    let ws = words(method);
    let has = |set: &[&str]| {
        ws.clone()
            .any(|w| set.iter().any(|s| w.eq_ignore_ascii_case(s)))
    };
    if ws.clone().next().is_none() {
        SourceKind::Unknown
    } else if has(SAMPLE_WORDS) {
        SourceKind::Sample
    } else if has(&["manual", "hand", "curation", "curated", "csv", "seed"]) {
        SourceKind::Manual
    } else if has(&["api", "apiv2", "v2", "harvest", "xapi"])
        || ws.clone().any(|w| {
            w.get(..10)
                .is_some_and(|head| head.eq_ignore_ascii_case("twitterapi"))
        })
    {
        SourceKind::Api
    } else {
        SourceKind::Other
    }
}

/// The provenance of a record with these sources (see [`record_kind`]).
pub(crate) fn sources_kind(sources: &[crate::dataset::Source]) -> SourceKind {
    sources
        .iter()
        .map(|s| source_kind(&s.method))
        .min()
        .unwrap_or(SourceKind::Unknown)
}

pub(super) fn flags(record: &AuthorView<'_>, metrics: &Metrics, out: &mut Vec<PlaceholderFlag>) {
    hash_flags(record, out);
    let sources = record.sources();
    // The methods are gathered only for a flag's words: nearly every record raises none.
    let methods = |kind: SourceKind| {
        sources
            .iter()
            .filter(move |s| source_kind(&s.method) == kind)
            .map(|s| s.method.as_ref())
    };
    if methods(SourceKind::Sample).next().is_some() {
        let sample: Vec<&str> = methods(SourceKind::Sample).collect();
        out.push(PlaceholderFlag {
            detector: "provenance",
            reason: format!(
                "its source is marked as sample data (meta.sources method {})",
                quoted(&sample)
            ),
        });
        return;
    }
    // An API answer always carries the account's public metrics; a record that claims an API
    // source but holds nothing beyond a follower count did not come from the answer it names.
    if !metrics.has_activity() && methods(SourceKind::Api).next().is_some() {
        let api: Vec<&str> = methods(SourceKind::Api).collect();
        out.push(PlaceholderFlag {
            detector: "provenance",
            reason: format!(
                "it claims an X API source ({}) but carries none of the API's metrics \
                 (no public_metrics or activity_metrics): the raw answer is missing",
                quoted(&api)
            ),
        });
    }
}

/// A `provenance_hash` that is no SHA-256 digest and carries a typed run (`1234567`, `7777777`):
/// someone filled the field in by hand, so the record's provenance was never computed.
fn hash_flags(record: &AuthorView<'_>, out: &mut Vec<PlaceholderFlag>) {
    let Some(hash) = record.provenance_hash() else {
        return;
    };
    if is_digest(hash) {
        return;
    }
    if let Some(run) = super::ids::digit_pattern(hash) {
        out.push(PlaceholderFlag {
            detector: "placeholder_hash",
            reason: format!(
                "its meta.provenance_hash \"{hash}\" is not a SHA-256 digest ({} characters) and \
                 contains the typed run \"{run}\": the provenance was filled in by hand",
                hash.len()
            ),
        });
    }
}

use crate::digest::is_sha256_hex as is_digest;

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|m| format!("\"{m}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_methods_are_classified_by_their_words() {
        assert_eq!(source_kind("sample"), SourceKind::Sample);
        assert_eq!(source_kind("mock_api"), SourceKind::Sample);
        assert_eq!(source_kind("test-fixture"), SourceKind::Sample);
        assert_eq!(source_kind("manual_csv"), SourceKind::Manual);
        assert_eq!(source_kind("manual_curation"), SourceKind::Manual);
        assert_eq!(source_kind("twitter-api-v2"), SourceKind::Api);
        assert_eq!(source_kind("x_api_v2"), SourceKind::Api);
        assert_eq!(source_kind("rube_mcp_fetch"), SourceKind::Other);
        assert_eq!(source_kind(""), SourceKind::Unknown);
    }

    #[test]
    fn a_digest_is_64_hexadecimal_digits_of_either_case() {
        for b in 0..=u8::MAX {
            let text = [b; 64];
            if let Ok(hash) = std::str::from_utf8(&text) {
                assert_eq!(is_digest(hash), b.is_ascii_hexdigit(), "{b:#x}");
            }
        }
        let digest = "6f9b6dae6f4c57a82ac2ce17a5794a3ba534a6a6b7fd0b63d0bad0da572baaf1";
        assert!(is_digest(digest));
        assert!(is_digest(&digest.to_ascii_uppercase()));
        assert!(!is_digest(&digest[1..]));
        assert!(!is_digest(&format!("{}g", &digest[1..])));
        assert!(!is_digest(&format!("{}é", &digest[2..])));
    }

    #[test]
    fn words_inside_other_words_do_not_count() {
        assert_eq!(source_kind("contest_entries"), SourceKind::Other);
        assert_eq!(source_kind("latest_scrape"), SourceKind::Other);
    }
}
