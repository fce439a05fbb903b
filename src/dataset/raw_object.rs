//! A record's top-level fields as raw JSON text, for commands that change a few fields of
//! millions of records: each untouched field is copied as written instead of being parsed into a
//! `serde_json::Value` and serialised again. [`write_canonical`] copies a value only when its text
//! is exactly what `serde_json` would write for it (compact, shortest numbers, no optional
//! escapes), and re-serialises it otherwise, so the bytes are those of [`Record::to_line`](super::Record::to_line)
//! either way. The text is read once by `strict_json`, which also notes each value's spelling.
//! Not here: which fields change (the callers decide).

use std::borrow::Cow;

use serde_json::Value;

use super::strict_json::{self, Found, InnerEvent, Refused};
use super::valid_json;

/// One value of a raw object: its text as written, and whether that text is already what
/// `serde_json` writes for it (then [`write_canonical`] copies it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Raw<'a> {
    text: &'a str,
    canonical: bool,
}

impl<'a> Raw<'a> {
    /// The value's JSON text, as written.
    pub fn get(&self) -> &'a str {
        self.text
    }

    /// A value from valid JSON text found some other way; its spelling is checked now.
    pub fn of(text: &'a str) -> Self {
        Raw {
            text,
            canonical: is_canonical(text),
        }
    }

    /// The object this value holds, `None` when it holds something else. Its text is valid
    /// JSON (it was scanned, or given as such), so it is only walked, not checked again.
    pub fn object(self) -> Option<RawObject<'a>> {
        let mut object = RawObject::with_capacity(8);
        valid_json::object(self.text, |key, text| {
            object.insert(key, self.part(text));
        })?;
        Some(object)
    }

    /// The items of the array this value holds, `None` when it holds something else (walked
    /// like [`Raw::object`]).
    pub fn items(self) -> Option<Vec<Raw<'a>>> {
        let mut items = Vec::new();
        valid_json::array(self.text, |text| items.push(self.part(text)))?;
        Some(items)
    }

    /// Whether the text is what `serde_json` writes for the value (then it is copied as is).
    pub fn is_canonical(self) -> bool {
        self.canonical
    }

    /// A value nested in this one: serde_json writes a value the same way wherever it sits, so
    /// it is canonical when the whole is (and otherwise is said not to be, which only costs a
    /// re-serialisation).
    fn part(self, text: &'a str) -> Raw<'a> {
        Raw {
            text,
            canonical: self.canonical,
        }
    }
}

impl<'a> From<Found<'a>> for Raw<'a> {
    fn from(found: Found<'a>) -> Self {
        Raw {
            text: found.text,
            canonical: found.canonical,
        }
    }
}

/// A JSON object's entries in the order written; a repeated key replaces the earlier value in
/// its place, as `serde_json::Map` does.
#[derive(Debug, Clone, Default)]
pub struct RawObject<'a> {
    entries: Vec<(Cow<'a, str>, Raw<'a>)>,
    /// The `strict_json::key_bit`s of the keys inserted.
    seen: u64,
}

impl<'a> RawObject<'a> {
    /// Parses `text`, which must be one JSON object that a `serde_json::Value` parse would also
    /// accept and read the same way: text only a full parse can judge (see `strict_json`) is refused,
    /// so that the caller's fallback parses it and names what is wrong the usual way.
    pub fn parse(text: &'a str) -> Result<Self, Refused> {
        let mut object = RawObject::with_capacity(24);
        strict_json::object(text, |key, value| object.insert(key, value.into()))?;
        Ok(object)
    }

    /// [`RawObject::parse`], and the object under `inner_key` read in the same pass: `None`
    /// when there is none or the value there is not an object.
    pub fn parse_with_inner(
        text: &'a str,
        inner_key: &str,
    ) -> Result<(Self, Option<Self>), Refused> {
        let mut top = RawObject::with_capacity(24);
        let mut inner: Option<RawObject<'a>> = None;
        // Whether the last value under `inner_key` is an object (a repeated key may change it).
        let mut inner_is_object = false;
        strict_json::object_and_inner(
            text,
            Some(inner_key),
            |key, value| top.insert(key, value.into()),
            |event| match event {
                InnerEvent::Opened => {
                    inner = Some(RawObject::with_capacity(24));
                    inner_is_object = true;
                }
                InnerEvent::Entry(key, value) => {
                    if let Some(inner) = inner.as_mut() {
                        inner.insert(key, value.into());
                    }
                }
                InnerEvent::NotObject => inner_is_object = false,
            },
        )?;
        Ok((top, inner.filter(|_| inner_is_object)))
    }

    /// A record line: its fields and its `meta` object, read in one pass. Refused, besides what
    /// [`RawObject::parse`] refuses, when `meta` is there but not an object: the readers that
    /// check records leave that to the full path.
    pub fn parse_record(text: &'a str) -> Result<(Self, Option<Self>), Refused> {
        let (top, meta) = Self::parse_with_inner(text, "meta")?;
        if top.get("meta").is_some() && meta.is_none() {
            return Err(Refused);
        }
        Ok((top, meta))
    }

    fn with_capacity(n: usize) -> Self {
        RawObject {
            entries: Vec::with_capacity(n),
            seen: 0,
        }
    }

    /// Adds an entry; a repeated key keeps its place and takes the new value.
    #[inline]
    fn insert(&mut self, key: Cow<'a, str>, value: Raw<'a>) {
        // A key whose bit is clear is new: only a repeat candidate is looked for among the
        // entries (out of line: it is rare, and `insert` runs on every entry of every line).
        let bit = strict_json::key_bit(key.as_bytes());
        if self.seen & bit != 0
            && let Some(slot) = self.slot_of(&key)
        {
            *slot = value;
            return;
        }
        self.seen |= bit;
        self.entries.push((key, value));
    }

    #[inline(never)]
    fn slot_of(&mut self, key: &str) -> Option<&mut Raw<'a>> {
        self.entries
            .iter_mut()
            .find(|(old, _)| old == key)
            .map(|(_, value)| value)
    }

    pub fn get(&self, key: &str) -> Option<Raw<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, Raw<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), *v))
    }

    pub fn into_entries(self) -> impl Iterator<Item = (Cow<'a, str>, Raw<'a>)> {
        self.entries.into_iter()
    }
}

/// The items of a JSON array nested in text [`RawObject::parse`] accepted; `None` when the
/// value is not an array.
pub fn array_items(text: &str) -> Option<Vec<Raw<'_>>> {
    let mut items = Vec::new();
    strict_json::array(text, |item| items.push(item.into())).ok()?;
    Some(items)
}

/// Appends `"key":` as `serde_json` writes it.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
    out.push(b':');
}

/// Appends a raw value as `serde_json` would write it after parsing it: copied when its text
/// already is that, re-serialised otherwise (spaces, `\u` or `\/` escapes, long or unusual numbers).
pub fn write_canonical(out: &mut Vec<u8>, raw: Raw<'_>) {
    let text = raw.get();
    if raw.canonical {
        out.extend_from_slice(text.as_bytes());
    } else {
        let value: Value = serde_json::from_str(text).expect("raw values are valid JSON");
        serde_json::to_writer(&mut *out, &value).expect("writing to a Vec cannot fail");
    }
}

/// True when `text` (valid JSON) is byte for byte what `serde_json::to_string` writes for the
/// value it holds. Conservative: "false" only costs a re-serialisation.
pub fn is_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                while b[i] != b'"' {
                    if b[i] == b'\\' {
                        // serde_json writes only \" \\ \b \f \n \r \t and \u00XX for other
                        // control characters; `\/` and `\u` escapes of anything else read back
                        // as plain characters and are written plain.
                        if matches!(b[i + 1], b'u' | b'/') {
                            return false;
                        }
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' => return false,
            b'-' | b'0'..=b'9' => {
                let start = i;
                while i < b.len() && matches!(b[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    i += 1;
                }
                if !is_canonical_number(&text[start..i]) {
                    return false;
                }
            }
            _ => i += 1,
        }
    }
    true
}

pub(crate) fn is_canonical_number(token: &str) -> bool {
    let is_float = token.bytes().any(|c| matches!(c, b'.' | b'e' | b'E'));
    if !is_float {
        // Integers that fit u64 (or i64 when negative) are written back as they are; "-0" and
        // integers beyond 64 bits are not.
        return match token.strip_prefix('-') {
            Some(digits) => digits != "0" && token.parse::<i64>().is_ok(),
            None => token.parse::<u64>().is_ok(),
        };
    }
    let Ok(value) = token.parse::<f64>() else {
        return false;
    };
    let mut written = Vec::with_capacity(24);
    serde_json::to_writer(&mut written, &value).expect("writing to a Vec cannot fail");
    written == token.as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    // The walk (`walk.rs`) reads values nested in a line the scanner accepted; these pin the
    // two readings together. They live here, beside the scanner's reading, so that walk.rs
    // needs nothing of this file.
    mod walk_against_scan {
        use super::*;
        use proptest::prelude::*;

        /// Every value nested in `raw`, read by walking, is what the strict scanner reads: the same
        /// keys, values and items, and a value said canonical by the walk is canonical by the scan.
        fn walk_agrees_with_scan(raw: Raw<'_>) {
            let text = raw.get();
            if text.starts_with('{') {
                let walked = raw.object().expect("an object is walked");
                let scanned = RawObject::parse(text).expect("a nested object scans");
                let w: Vec<_> = walked.entries().collect();
                let s: Vec<_> = scanned.entries().collect();
                assert_eq!(w.len(), s.len(), "{text}");
                for ((wk, wv), (sk, sv)) in w.into_iter().zip(s) {
                    assert_eq!((wk, wv.get()), (sk, sv.get()), "{text}");
                    assert!(!wv.is_canonical() || sv.is_canonical(), "{text}");
                    walk_agrees_with_scan(sv);
                }
            } else if text.starts_with('[') {
                let walked = raw.items().expect("an array is walked");
                let scanned = array_items(text).expect("a nested array scans");
                assert_eq!(walked.len(), scanned.len(), "{text}");
                for (w, s) in walked.into_iter().zip(scanned) {
                    assert_eq!(w.get(), s.get(), "{text}");
                    assert!(!w.is_canonical() || s.is_canonical(), "{text}");
                    walk_agrees_with_scan(s);
                }
            } else {
                assert!(raw.object().is_none() && raw.items().is_none(), "{text}");
            }
        }

        fn seeds() -> Vec<String> {
            let mut lines: Vec<String> = (0..4)
                .map(|n| crate::generate::record(5, n).to_line())
                .collect();
            lines.push(
                r#"{"id":"1","meta":{"score":31.4,"sources":[{"method":"x","fetched_at":"2025-11-14T06:42:01Z","method":"y"}],"n":-5},"tags":["\u00e9","\ud83d\ude80","q\"\\"],"e":{ },"k\"ey":{"a\u0062":[ 1 , [2.25,{}] ,null,true,false]}}"#.into(),
            );
            lines
        }

        #[test]
        fn every_seed_line_is_accepted_and_walks_as_it_scans() {
            for line in seeds() {
                let top = RawObject::parse(&line).expect("a seed is valid");
                for (_, value) in top.entries() {
                    walk_agrees_with_scan(value);
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            #[test]
            fn values_nested_in_an_accepted_line_walk_as_they_scan(
                seed in 0usize..5,
                edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..3, prop::sample::select(
                    vec!['{', '}', '[', ']', '"', '\\', ',', ':', ' ', '\n', '0', '1', '-', '.', 'u', 'n', '/', 'é']
                )), 0..3),
            ) {
                let text = crate::dataset::strict_json::tests::edited(&seeds()[seed], edits);
                if let Ok(top) = RawObject::parse(&text) {
                    for (_, value) in top.entries() {
                        walk_agrees_with_scan(value);
                    }
                }
            }
        }
    }

    fn canonical(text: &str) -> String {
        let mut out = Vec::new();
        write_canonical(&mut out, Raw::of(text));
        String::from_utf8(out).unwrap()
    }

    fn serde_writes(text: &str) -> String {
        serde_json::to_string(&serde_json::from_str::<Value>(text).unwrap()).unwrap()
    }

    #[test]
    fn values_are_written_as_serde_json_writes_them_whatever_their_spelling() {
        for text in [
            r#"{"a":1,"b":[1,2,{"c":"d"}]}"#,
            r#"{"a": 1, "b": [1, 2]}"#,
            r#""caf\u00e9""#,
            r#""a\/b""#,
            r#""tab\tquote\"back\\""#,
            r#""\u0001""#,
            "1.50",
            "1e3",
            "1E3",
            "100.0",
            "0.1",
            "-0",
            "-0.0",
            "-12",
            "18446744073709551615",
            "18446744073709551616",
            "123456789012345678901234",
            "3.141592653589793238",
            "[true,false,null]",
            "\"émoji 🚀 text\"",
        ] {
            assert_eq!(canonical(text), serde_writes(text), "{text}");
        }
    }

    #[test]
    fn compact_serde_output_is_copied_untouched() {
        for text in [
            r#"{"a":1,"b":[1.5,-2,{"c":"d e"}],"t":"2025-11-14T06:42:01.143076+00:00"}"#,
            "229026322",
            "0.0",
            "-3.25",
        ] {
            assert!(is_canonical(text), "{text}");
        }
    }

    #[test]
    fn repeated_keys_keep_the_first_place_and_the_last_value() {
        let o = RawObject::parse(r#"{"a":1,"b":2,"a":3}"#).unwrap();
        let keys: Vec<&str> = o.entries().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "b"]);
        assert_eq!(o.get("a").unwrap().get(), "3");
    }

    #[test]
    fn text_a_value_parse_refuses_is_refused_and_everything_else_agrees() {
        let long_integer = format!("{{\"a\":{}}}", "1".repeat(320));
        let cases = [
            r#"{"a":1e999}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00x"}"#,
            r#"{"a":"\ud83d\u0041"}"#,
            long_integer.as_str(),
            r#"{"a":"\ud83d\ude80 rocket","b":"\u00e9","c":"1e999 in text","d":[true,false,null,-0.5]}"#,
            r#"{"hash":"f11699eddfc2ce3157410ae57f77b14cc4030f15c65d18620772306f58d584ea","n":229026322}"#,
            r#"{"quote":"say \"1e5\" \\","x":12}"#,
        ];
        for text in cases {
            let value_ok = serde_json::from_str::<Value>(text).is_ok();
            assert_eq!(RawObject::parse(text).is_ok(), value_ok, "{text}");
        }
        // Exponents are refused even when in range: only a full parse knows.
        assert!(serde_json::from_str::<Value>(r#"{"a":1e3}"#).is_ok());
        assert!(RawObject::parse(r#"{"a":1e3}"#).is_err());
        assert!(RawObject::parse(r#"{"a":[1.5E+2]}"#).is_err());
    }

    #[test]
    fn the_inner_object_read_in_the_same_pass_is_the_one_a_second_parse_finds() {
        for text in [
            r#"{"a":1,"meta":{"x":1,"y":[1, 2],"x":"z"},"b":2}"#,
            r#"{"meta":{"x":1},"meta":{"y":2}}"#,
            r#"{"meta":{"x":1},"meta":"no"}"#,
            r#"{"meta":"no","meta":{"y":2}}"#,
            r#"{"meta":null}"#,
            r#"{"meta":{}}"#,
            r#"{"other":{"meta":{"x":1}}}"#,
        ] {
            let (top, inner) = RawObject::parse_with_inner(text, "meta").unwrap();
            let plain = RawObject::parse(text).unwrap();
            assert_eq!(top.entries, plain.entries, "{text}");
            let second = plain
                .get("meta")
                .and_then(|m| RawObject::parse(m.get()).ok());
            assert_eq!(
                inner.map(|o| o.entries),
                second.map(|o| o.entries),
                "{text}"
            );
        }
    }

    #[test]
    fn a_line_that_is_not_an_object_is_refused() {
        assert!(RawObject::parse("[1,2]").is_err());
        assert!(RawObject::parse("{\"a\":").is_err());
    }
}
