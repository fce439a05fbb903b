//! The bigv schema checked on a record read raw, for audits of million-record files: the common
//! answers (valid, or valid but for missing required fields) come with exactly the messages the
//! `jsonschema` validator gives, and anything else is "unsure", for the caller to validate the
//! parsed value instead. tests/integration/schema_quick.rs pins the agreement against `jsonschema`.
//! Not here: the schema itself (assets/bigv.schema.json, compiled in `schema`).

use std::sync::OnceLock;

use crate::dataset::raw_object::{Raw, RawObject, array_items};
use crate::digest::is_sha256_hex;

/// `required` of the record, in the schema's order (the validator reports them in this order).
const TOP_REQUIRED: [&str; 10] = [
    "id",
    "handle",
    "name",
    "verified",
    "followers_count",
    "is_org",
    "is_official",
    "lang_primary",
    "topic_tags",
    "meta",
];
/// `required` of `meta`, in the schema's order.
const META_REQUIRED: [&str; 6] = [
    "score",
    "last_refresh_at",
    "sources",
    "provenance_hash",
    "entry_threshold_passed",
    "quality_score",
];
const VERIFIED: [&str; 5] = ["none", "blue", "org", "legacy", "business"];
/// `meta.lang_source`'s enum.
const LANG_SOURCES: [&str; 6] = [
    "name_and_description",
    "description",
    "name",
    "too_little_text",
    "unreliable",
    "operator",
];

/// The schema violations of a record read raw, as [`super::violations`] words them, or `None`
/// when this check cannot tell. `meta` is the record's `meta` parsed as an object (`None` when
/// it has none or it is not an object). `top` must come from [`RawObject::parse`], which refuses
/// the numbers and escapes a value parse would read differently.
pub fn raw_violations(
    top: &RawObject<'_>,
    meta: Option<&RawObject<'_>>,
) -> Option<Vec<&'static str>> {
    raw_missing(top, meta).map(|m| m.messages().collect())
}

/// [`raw_violations`] before it is put in words: which required fields are missing, so that a
/// caller checking millions of records can keep (and compare) two small masks per record.
pub fn raw_missing(top: &RawObject<'_>, meta: Option<&RawObject<'_>>) -> Option<MissingRequired> {
    let present = fields_present(top, top_field)?;
    let has_meta = present & (1 << (TOP_REQUIRED.len() - 1)) != 0;
    if has_meta != meta.is_some() {
        return None;
    }
    let meta_present = match meta {
        Some(meta) => fields_present(meta, meta_field)?,
        // Without `meta` the validator names no field of it.
        None => (1 << META_REQUIRED.len()) - 1,
    };
    Some(MissingRequired {
        top: !present as u16 & ((1 << TOP_REQUIRED.len()) - 1),
        meta: !meta_present as u16 & ((1 << META_REQUIRED.len()) - 1),
    })
}

/// The required fields a record read raw lacks (and breaks no other rule): one bit per place in
/// the schema's `required` lists, of the record and of its `meta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct MissingRequired {
    pub top: u16,
    pub meta: u16,
}

impl MissingRequired {
    pub(crate) fn is_empty(self) -> bool {
        self.top == 0 && self.meta == 0
    }

    /// The validator's messages, in its order: the record's fields, then those of `meta`.
    pub(crate) fn messages(self) -> impl Iterator<Item = &'static str> {
        let (top, meta) = messages();
        missing(self.top, top).chain(missing(self.meta, meta))
    }
}

/// Which required fields the object has, one bit each (see [`required`]); `None` when a field
/// may break its rule.
fn fields_present(object: &RawObject<'_>, rule: fn(&str, Raw<'_>) -> Option<u32>) -> Option<u32> {
    object
        .entries()
        .try_fold(0, |present, (key, raw)| Some(present | rule(key, raw)?))
}

/// A required field's answer: its bit (its place in the schema's `required`) when it meets its
/// rule for sure.
fn required(meets_rule: bool, place: u32) -> Option<u32> {
    meets_rule.then_some(1 << place)
}

/// An optional field's answer.
fn optional(meets_rule: bool) -> Option<u32> {
    meets_rule.then_some(0)
}

/// The messages of the places whose bit is set, in place order.
fn missing(absent: u16, messages: &'static [String]) -> impl Iterator<Item = &'static str> {
    (0..messages.len())
        .filter(move |bit| absent & (1 << bit) != 0)
        .map(|bit| messages[bit].as_str())
}

/// The validator's words for each missing required field, of the record and of `meta`.
fn messages() -> &'static (Vec<String>, Vec<String>) {
    static MESSAGES: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        let words = |at: &str, fields: &[&str]| -> Vec<String> {
            fields
                .iter()
                .map(|k| format!("{at}: \"{k}\" is a required property"))
                .collect()
        };
        (words("/", &TOP_REQUIRED), words("/meta", &META_REQUIRED))
    })
}

/// A record field checked against its `properties` entry; unknown fields are allowed. The
/// places are those of [`TOP_REQUIRED`].
fn top_field(key: &str, raw: Raw<'_>) -> Option<u32> {
    let text = raw.get();
    match key {
        "id" => required(
            plain_string(raw)
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())),
            0,
        ),
        "handle" => required(
            plain_string(raw).is_some_and(|s| {
                (1..=15).contains(&s.len())
                    && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
            }),
            1,
        ),
        // minLength 1: any escape stands for at least one character, so non-empty text is enough.
        "name" => required(text.len() > 2 && text.starts_with('"'), 2),
        "verified" => required(plain_string(raw).is_some_and(|s| VERIFIED.contains(&s)), 3),
        "followers_count" => required(is_unsigned_integer(text), 4),
        "is_org" => required(is_boolean(text), 5),
        "is_official" => required(is_boolean(text), 6),
        "lang_primary" => required(plain_string(raw).is_some_and(is_language_tag), 7),
        "topic_tags" => required(text == "[]" || all_strings(text), 8),
        "last_post_at" => optional(plain_string(raw).is_some_and(is_date_time)),
        // The object itself is checked by the caller, which parsed it.
        "meta" => required(text.starts_with('{'), 9),
        "ext" => optional(text.starts_with('{')),
        _ => optional(true),
    }
}

/// A `meta` field checked against its `properties` entry; places are those of [`META_REQUIRED`].
fn meta_field(key: &str, raw: Raw<'_>) -> Option<u32> {
    let text = raw.get();
    match key {
        "score" => required(is_percent(text), 0),
        "last_refresh_at" => required(plain_string(raw).is_some_and(is_date_time), 1),
        "sources" => required(sources_are_valid(text), 2),
        "provenance_hash" => required(plain_string(raw).is_some_and(is_sha256_hex), 3),
        "entry_threshold_passed" => required(is_boolean(text), 4),
        "quality_score" => required(is_percent(text), 5),
        "last_active_at" => optional(plain_string(raw).is_some_and(is_date_time)),
        // minimum 1; JSON writes no leading zeros, so "0" is the only unsigned integer below it.
        "rank_global" => optional(is_unsigned_integer(text) && text != "0"),
        "lang_source" => optional(plain_string(raw).is_some_and(|s| LANG_SOURCES.contains(&s))),
        "topic_source" => optional(text.starts_with('"')),
        _ => optional(true),
    }
}

/// `meta.sources`: at least one item, each exactly {method, fetched_at (date-time), evidence}.
fn sources_are_valid(text: &str) -> bool {
    let Some(items) = array_items(text).and_then(|items| {
        items
            .iter()
            .map(|i| RawObject::parse(i.get()).ok())
            .collect::<Option<Vec<_>>>()
    }) else {
        return false;
    };
    !items.is_empty()
        && items.iter().all(|source| {
            let fields_ok = source.entries().all(|(key, raw)| match key {
                "method" | "evidence" => raw.get().starts_with('"'),
                "fetched_at" => plain_string(raw).is_some_and(is_date_time),
                _ => false,
            });
            fields_ok
                && ["method", "fetched_at", "evidence"]
                    .iter()
                    .all(|k| source.get(k).is_some())
        })
}

/// The text of a JSON string written without escapes; `None` for anything else (an escaped
/// string is left to the full validator rather than decoded here).
fn plain_string(raw: Raw<'_>) -> Option<&str> {
    let inner = raw.get().strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains('\\')).then_some(inner)
}

fn is_boolean(text: &str) -> bool {
    text == "true" || text == "false"
}

/// A non-negative integer written without fraction or exponent (`5.0` is left to the validator).
fn is_unsigned_integer(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|c| c.is_ascii_digit())
}

/// A number in [0, 100]. Values within rounding of a bound are left to the validator, whose
/// number parse may round differently from `str::parse` in the last place.
fn is_percent(text: &str) -> bool {
    if matches!(text, "0" | "0.0" | "100" | "100.0") {
        return true;
    }
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    text.parse::<f64>()
        .is_ok_and(|v| v > 1e-9 && v < 100.0 - 1e-9)
}

fn all_strings(text: &str) -> bool {
    array_items(text).is_some_and(|items| items.iter().all(|i| i.get().starts_with('"')))
}

/// `^([a-z]{2}(-[A-Z]{2})?|und)$`
fn is_language_tag(s: &str) -> bool {
    let b = s.as_bytes();
    let lower = |c: &u8| c.is_ascii_lowercase();
    let upper = |c: &u8| c.is_ascii_uppercase();
    match b.len() {
        2 => b.iter().all(lower),
        3 => s == "und",
        5 => b[..2].iter().all(lower) && b[2] == b'-' && b[3..].iter().all(upper),
        _ => false,
    }
}

/// The RFC 3339 date-times the validator certainly accepts: `YYYY-MM-DDTHH:MM:SS`, optional
/// fraction, then `Z` or `±HH:MM`, with a real calendar day. Lower-case `t`/`z`, leap seconds
/// and other spellings the validator may or may not take are left to it.
fn is_date_time(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return false;
    }
    let (Some(year), Some(month), Some(day), Some(hour), Some(minute), Some(second)) = (
        number(&b[0..4]),
        number(&b[5..7]),
        number(&b[8..10]),
        number(&b[11..13]),
        number(&b[14..16]),
        number(&b[17..19]),
    ) else {
        return false;
    };
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return false;
    }
    let mut rest = &b[19..];
    if let Some(fraction) = rest.strip_prefix(b".") {
        let digits = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return false;
        }
        rest = &fraction[digits..];
    }
    match rest {
        b"Z" => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            matches!((number(&[*h1, *h2]), number(&[*m1, *m2])), (Some(h), Some(m)) if h <= 23 && m <= 59)
        }
        _ => false,
    }
}

fn number(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The lists this module restates for speed are the bundled schema's own, in its order: a
    /// schema edit that is not made here too fails this test instead of giving raw answers that
    /// differ from the validator's.
    #[test]
    fn the_restated_lists_are_the_schema_s_own_in_its_order() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../../../assets/bigv.schema.json")).unwrap();
        let strings = |v: &serde_json::Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(strings(&schema["required"]), TOP_REQUIRED);
        let meta = &schema["properties"]["meta"];
        assert_eq!(strings(&meta["required"]), META_REQUIRED);
        assert_eq!(strings(&schema["properties"]["verified"]["enum"]), VERIFIED);
        assert_eq!(
            strings(&meta["properties"]["sources"]["items"]["required"]),
            ["method", "fetched_at", "evidence"]
        );
    }

    #[test]
    fn a_digest_is_exactly_64_ascii_hex_digits_of_either_case() {
        let old = |s: &str| s.len() == 64 && s.bytes().all(|c| c.is_ascii_hexdigit());
        let chars = (0u8..128).map(char::from).chain(['é', 'ÿ', 'Ａ', '٣']);
        for c in chars {
            for at in [0, 31, 63] {
                let mut s = "aB3".repeat(22)[..64 - c.len_utf8()].to_string();
                s.insert(at.min(s.len()), c);
                assert_eq!(is_sha256_hex(&s), old(&s), "{s:?}");
            }
        }
        assert!(is_sha256_hex(&"f".repeat(64)));
        assert!(!is_sha256_hex(&"f".repeat(63)));
        assert!(!is_sha256_hex(&"f".repeat(65)));
    }
}
