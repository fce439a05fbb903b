//! A record's top-level fields as raw JSON text, for commands that change a few fields of
//! millions of records: each untouched field is copied as written instead of being parsed into a
//! `serde_json::Value` and serialised again. [`write_canonical`] copies a value only when its text
//! is exactly what `serde_json` would write for it (compact, shortest numbers, no optional
//! escapes), and re-serialises it otherwise, so the bytes are those of [`Record::to_line`](super::Record::to_line)
//! either way. Not here: which fields change (the callers decide).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::view::Text;

/// A JSON object's entries in the order written; a repeated key replaces the earlier value in
/// its place, as `serde_json::Map` does.
#[derive(Debug, Clone, Default)]
pub struct RawObject<'a> {
    entries: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'a> RawObject<'a> {
    /// Parses `text`, which must be one JSON object that a `serde_json::Value` parse would also
    /// accept: a line that only a full parse can judge (see [`value_parse_agrees`]) is refused, so
    /// that the caller's fallback parses it and names what is wrong the usual way.
    pub fn parse(text: &'a str) -> Result<Self, serde_json::Error> {
        let object: Self = serde_json::from_str(text)?;
        if !value_parse_agrees(text) {
            return Err(serde::de::Error::custom(
                "a number beyond f64 or a lone UTF-16 surrogate may be in this text",
            ));
        }
        Ok(object)
    }

    /// Parses an object nested in text that [`RawObject::parse`] already accepted.
    pub fn parse_inner(text: &'a str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    pub fn get(&self, key: &str) -> Option<&'a RawValue> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&str, &'a RawValue)> {
        self.entries.iter().map(|(k, v)| (k.as_ref(), *v))
    }
}

impl<'de> Deserialize<'de> for RawObject<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawObject<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries: Vec<(Cow<'de, str>, &'de RawValue)> = Vec::with_capacity(20);
                while let Some((Text(k), v)) = map.next_entry::<Text<'de>, &'de RawValue>()? {
                    match entries.iter_mut().find(|(old, _)| *old == k) {
                        Some(slot) => slot.1 = v,
                        None => entries.push((k, v)),
                    }
                }
                Ok(RawObject { entries })
            }
        }
        d.deserialize_map(V)
    }
}

/// True when a `serde_json::Value` parse of `text` (syntactically valid JSON) would succeed too.
/// The raw parse checks syntax only, so it takes what a value parse refuses: numbers beyond f64
/// (`1e999`, 309-digit integers) and lone UTF-16 surrogates (`"\ud800"`). Conservative: any
/// exponent, a run of 300 digits or a surrogate not in a proper pair answers "no", which costs the
/// caller only a full parse.
pub fn value_parse_agrees(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    let mut digits = 0usize;
    while i < b.len() {
        match b[i] {
            b'"' => {
                digits = 0;
                i += 1;
                loop {
                    i = next_quote_or_backslash(b, i);
                    if i >= b.len() || b[i] == b'"' {
                        break;
                    }
                    if b.get(i + 1) != Some(&b'u') {
                        i += 2;
                    } else {
                        match hex_unit(b, i + 2) {
                            Some(0xD800..=0xDBFF) => {
                                let low = (b.get(i + 6) == Some(&b'\\')
                                    && b.get(i + 7) == Some(&b'u'))
                                .then(|| hex_unit(b, i + 8))
                                .flatten();
                                if !matches!(low, Some(0xDC00..=0xDFFF)) {
                                    return false;
                                }
                                i += 12;
                            }
                            Some(0xDC00..=0xDFFF) | None => return false,
                            Some(_) => i += 6,
                        }
                    }
                }
                i += 1;
            }
            b'0'..=b'9' => {
                digits += 1;
                if digits >= 300 {
                    return false;
                }
                i += 1;
            }
            // Outside strings a letter after a digit can only start an exponent.
            b'e' | b'E' if digits > 0 => return false,
            _ => {
                digits = 0;
                i += 1;
            }
        }
    }
    true
}

/// The position of the first `"` or `\\` at or after `i` (`b.len()` when none).
fn next_quote_or_backslash(b: &[u8], i: usize) -> usize {
    memchr::memchr2(b'"', b'\\', &b[i.min(b.len())..]).map_or(b.len(), |at| i + at)
}

/// The UTF-16 unit of the four hex digits at `at`.
fn hex_unit(b: &[u8], at: usize) -> Option<u16> {
    let digits = std::str::from_utf8(b.get(at..at + 4)?).ok()?;
    u16::from_str_radix(digits, 16).ok()
}

/// Appends `"key":` as `serde_json` writes it.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    serde_json::to_writer(&mut *out, key).expect("writing to a Vec cannot fail");
    out.push(b':');
}

/// Appends a raw value as `serde_json` would write it after parsing it: copied when its text
/// already is that, re-serialised otherwise (spaces, `\u` or `\/` escapes, long or unusual numbers).
pub fn write_canonical(out: &mut Vec<u8>, raw: &RawValue) {
    let text = raw.get();
    if is_canonical(text) {
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

fn is_canonical_number(token: &str) -> bool {
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

    fn canonical(text: &str) -> String {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        let mut out = Vec::new();
        write_canonical(&mut out, raw);
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
    fn a_line_that_is_not_an_object_is_refused() {
        assert!(RawObject::parse("[1,2]").is_err());
        assert!(RawObject::parse("{\"a\":").is_err());
    }
}
