//! A record's top-level fields as raw JSON text, for commands that change a few fields of
//! millions of records: each untouched field is copied as written instead of being parsed into a
//! `serde_json::Value` and serialised again. [`write_canonical`] copies a value only when its text
//! is exactly what `serde_json` would write for it (compact, shortest numbers, no optional
//! escapes), and re-serialises it otherwise, so the bytes are those of [`Record::to_line`](super::Record::to_line)
//! either way. The text is read once, by `serde_json` (see `raw_entries`), which checks it as a
//! `Value` parse would: what this accepts, `Value` accepts, and the other way round.
//! Not here: which fields change (the callers decide).

use std::borrow::Cow;

use serde_json::Value;

use super::raw_entries;
pub(crate) use super::raw_entries::Refused;

/// One value of a raw object: its text as written (valid JSON), and whether the reading already
/// knows that text is what `serde_json` writes for it (else [`is_canonical`] looks when asked).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Raw<'a> {
    text: &'a str,
    known_canonical: bool,
}

impl<'a> Raw<'a> {
    /// The value's JSON text, as written.
    pub(crate) fn get(&self) -> &'a str {
        self.text
    }

    /// A value from valid JSON text found some other way.
    pub(crate) fn of(text: &'a str) -> Self {
        Raw {
            text,
            known_canonical: false,
        }
    }

    /// The object this value holds, `None` when it holds something else. The text is valid
    /// JSON (found in checked text, or given as such), so its values are only skipped over.
    pub(crate) fn object(self) -> Option<RawObject<'a>> {
        let entries = raw_entries::entries_of_checked(self.text)?;
        Some(RawObject::from_entries(entries))
    }

    /// The items of the array this value holds, `None` when it holds something else.
    pub(crate) fn items(self) -> Option<Vec<Raw<'a>>> {
        array_items(self.text)
    }

    /// Whether the text is what `serde_json` writes for the value (then it is copied as is).
    pub(crate) fn is_canonical(self) -> bool {
        self.known_canonical || is_canonical(self.text)
    }
}

/// A JSON object's entries in the order written; a repeated key replaces the earlier value in
/// its place, as `serde_json::Map` does.
#[derive(Debug, Clone, Default)]
pub struct RawObject<'a> {
    entries: Vec<(Cow<'a, str>, Raw<'a>)>,
    /// The [`key_bit`]s of the keys inserted.
    seen: u64,
}

impl<'a> RawObject<'a> {
    /// Parses `text`, which must be one JSON object that a `serde_json::Value` parse accepts;
    /// anything else is refused, and the caller's fallback parses it the ordinary way to name
    /// what is wrong.
    pub(crate) fn parse(text: &'a str) -> Result<Self, Refused> {
        let (entries, _) = raw_entries::object(text, None)?;
        Ok(Self::from_entries(entries))
    }

    #[cfg(test)]
    /// [`RawObject::parse`], and the object under `inner_key` read in the same pass: `None`
    /// when there is none or the value there is not an object.
    pub(crate) fn parse_with_inner(
        text: &'a str,
        inner_key: &str,
    ) -> Result<(Self, Option<Self>), Refused> {
        let (top, inner) = raw_entries::object(text, Some(inner_key))?;
        Ok((Self::from_entries(top), inner.map(Self::from_entries)))
    }

    /// [`RawObject::parse_with_inner`], the values `claims` claims read by it in the same pass
    /// (see [`raw_entries::Claims`]).
    pub(crate) fn parse_claimed<C: raw_entries::Claims<'a>>(
        text: &'a str,
        inner_key: &str,
        claims: &mut C,
    ) -> Result<(Self, Option<Self>), Refused> {
        let (top, inner) = raw_entries::object_read(text, Some(inner_key), claims)?;
        Ok((Self::from_entries(top), inner.map(Self::from_entries)))
    }

    fn from_entries(entries: Vec<raw_entries::Entry<'a>>) -> Self {
        let raw = |(key, text, known_canonical)| {
            (
                key,
                Raw {
                    text,
                    known_canonical,
                },
            )
        };
        // Nearly always the keys are distinct: then the entries are taken as they are (the
        // list reused in place), and only a possible repeat is sorted out entry by entry.
        let mut seen = 0;
        let distinct = entries.iter().all(|(key, ..)| {
            let bit = key_bit(key.as_bytes());
            let new = seen & bit == 0;
            seen |= bit;
            new
        });
        if distinct {
            return RawObject {
                entries: entries.into_iter().map(raw).collect(),
                seen,
            };
        }
        let mut object = RawObject::with_capacity(entries.len());
        for (key, value) in entries.into_iter().map(raw) {
            object.insert(key, value);
        }
        object
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
        let bit = key_bit(key.as_bytes());
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

    pub(crate) fn get(&self, key: &str) -> Option<Raw<'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, Raw<'a>)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

/// The items of a JSON array nested in text [`RawObject::parse`] accepted; `None` when the
/// value is not an array.
pub(crate) fn array_items(text: &str) -> Option<Vec<Raw<'_>>> {
    let items = raw_entries::array_items(text)?;
    Some(items.into_iter().map(Raw::of).collect())
}

/// One of 64 bits for a key (from its length, first and middle bytes), to tell "certainly not
/// seen before" without comparing it to the keys before it.
#[inline]
fn key_bit(key: &[u8]) -> u64 {
    let (first, middle) = match key {
        [] => (0, 0),
        [first, ..] => (*first, key[key.len() / 2]),
    };
    1u64 << ((key.len() * 7 + usize::from(first) * 3 + usize::from(middle)) % 64)
}

/// Appends a raw value as `serde_json` would write it after parsing it: copied when its text
/// already is that, re-serialised otherwise (spaces, `\u` or `\/` escapes, long or unusual numbers).
pub(crate) fn write_canonical(out: &mut Vec<u8>, raw: Raw<'_>) {
    let text = raw.get();
    if raw.is_canonical() {
        out.extend_from_slice(text.as_bytes());
    } else {
        let value: Value = serde_json::from_str(text).expect("raw values are valid JSON");
        serde_json::to_writer(&mut *out, &value).expect("writing to a Vec cannot fail");
    }
}

/// True when `text` (valid JSON) is byte for byte what `serde_json::to_string` writes for the
/// value it holds. Conservative: "false" only costs a re-serialisation. An object is never
/// vouched for here: it may repeat a key, which serde_json writes once (the reading pass, which
/// sees the keys, vouches for the objects it can).
pub(crate) fn is_canonical(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i += 1;
                loop {
                    // The text is valid JSON: a string ends at an unescaped quote.
                    i += memchr::memchr2(b'"', b'\\', &b[i..]).expect("a closed string");
                    if b[i] == b'"' {
                        break;
                    }
                    // serde_json writes only \" \\ \b \f \n \r \t and \u00XX for other
                    // control characters; `\/` and `\u` escapes of anything else read back
                    // as plain characters and are written plain.
                    if matches!(b[i + 1], b'u' | b'/') {
                        return false;
                    }
                    i += 2;
                }
                i += 1;
            }
            b' ' | b'\t' | b'\n' | b'\r' | b'{' => return false,
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

    /// A value nested in a record is read as the record's own entries are.
    #[test]
    fn nested_objects_and_arrays_are_read_by_their_values() {
        let line = crate::generate::record(5, 1).to_line();
        let top = RawObject::parse(&line).unwrap();
        let value: Value = serde_json::from_str(&line).unwrap();
        let metrics = top.get("public_metrics").unwrap().object().unwrap();
        for (k, v) in metrics.entries() {
            let want = &value["public_metrics"][k];
            assert_eq!(
                &serde_json::from_str::<Value>(v.get()).unwrap(),
                want,
                "{k}"
            );
        }
        let tags = top.get("topic_tags").unwrap().items().unwrap();
        assert_eq!(tags.len(), value["topic_tags"].as_array().unwrap().len());
        assert!(top.get("id").unwrap().object().is_none());
        assert!(top.get("id").unwrap().items().is_none());
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
        for text in ["229026322", "0.0", "-3.25", "[1.5,-2,\"d e\"]", "\"a\\nb\""] {
            assert!(is_canonical(text), "{text}");
        }
        // Objects are vouched for by the reading pass, which sees their keys.
        let line = r#"{"o":{"a":1,"b":[-2,{"c":"d e"},true,null],"t":"2025-11-14T06:42:01.143076+00:00"},"e":{},"l":[]}"#;
        let top = RawObject::parse(line).unwrap();
        for (key, value) in top.entries() {
            assert!(value.is_canonical(), "{key}");
        }
    }

    #[test]
    fn a_value_is_called_canonical_only_when_serde_json_writes_it_so() {
        let line = r#"{"a":{"x":1,"x":2},"b":{"x":1},"c":[1, 2],"d":[1,2],"e":"a\/b","f":"a\nb","g":1.50,"h":1.5,"i":-0,"j":"\u00e9","k":{"y":[1.5]},"l":{ },"m":-12}"#;
        let top = RawObject::parse(line).unwrap();
        let canonical: Vec<(&str, bool)> =
            top.entries().map(|(k, v)| (k, v.is_canonical())).collect();
        assert_eq!(
            canonical,
            [
                ("a", false),
                ("b", true),
                ("c", false),
                ("d", true),
                ("e", false),
                ("f", true),
                ("g", false),
                ("h", true),
                ("i", false),
                ("j", false),
                ("k", false),
                ("l", false),
                ("m", true),
            ]
        );
        for (key, value) in top.entries() {
            let mut out = Vec::new();
            write_canonical(&mut out, value);
            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_writes(value.get()),
                "{key}"
            );
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
        // Exponents in range are read, as a value parse reads them.
        assert_eq!(
            RawObject::parse(r#"{"a":1e3}"#)
                .unwrap()
                .get("a")
                .unwrap()
                .get(),
            "1e3"
        );
        assert!(RawObject::parse(r#"{"a":[1.5E+2]}"#).is_ok());
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
