//! Finding where each entry of a JSON object lies in its text, with `serde_json` doing all of the
//! reading: one pass checks the text exactly as a `serde_json::Value` parse would (same parser,
//! same visits: numbers, escapes, surrogates, depth), without building anything, and notes where
//! each key was borrowed from. A value's text is what lies between its key and the next one (or
//! the object's closing brace), less the `:`, `,` and whitespace serde_json has already checked.
//! Not here: what the values mean, or how a value is written back (see `raw_object`).
//!
//! This replaced a hand-written scanner (`strict_json` and `valid_json`, 1,000 lines with SSE2
//! code) under issue 15's rule: hand-written JSON stays only where it is at least 1.3x faster
//! end to end on 1M records. It was not: `influx score` 1M took about a sixth longer with this
//! than with it, `influx audit` about a tenth (docs/perf-log.md); see
//! `benches/parse.rs` for the line-reading figures. What a caller needs of a line is read in
//! the same pass ([`Claims`], `view_read`), which won that back (README, performance).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

/// Text that is not one JSON object a `serde_json::Value` parse accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// An entry found: its key (unescaped), its value's text as written, and whether that text is
/// known to be exactly what `serde_json` writes for the value (see `Checked`). `false` means
/// unknown, not "not canonical".
pub(crate) type Entry<'a> = (Cow<'a, str>, &'a str, bool);

/// The entries of the object `text` holds, in the order written (a repeated key appears each
/// time), and, when `inner_key` is given, the entries of the object under its last occurrence
/// (`None` when there is none or the value there is not an object). The whole text is checked
/// as a `Value` parse checks it.
pub(crate) fn object<'a>(
    text: &'a str,
    inner_key: Option<&str>,
) -> Result<(Vec<Entry<'a>>, Option<Vec<Entry<'a>>>), Refused> {
    object_read(text, inner_key, &mut ())
}

/// A reader that takes some values of an object while [`object_read`] checks it: a value under
/// a key it claims is handed to it to deserialize (checking it as [`Checked`] does) instead of
/// being checked and dropped, so that what a caller needs of a line is read in the same pass.
pub(crate) trait Claims<'de> {
    /// Whether the value under `key` is read by [`Claims::read`]: a key of the top object
    /// (`inner` false) or of the object under the inner key (`inner` true).
    fn claims(&self, key: &str, inner: bool) -> bool;
    /// Reads a claimed value, which must be checked as [`Checked`] checks it; returns what
    /// [`Checked::compact`] would.
    fn read<D: Deserializer<'de>>(
        &mut self,
        key: &str,
        inner: bool,
        d: D,
    ) -> Result<Option<usize>, D::Error>;
    /// The inner key is met again (its last value is the one kept): what was read of the
    /// inner object so far no longer holds.
    fn inner_begins(&mut self) {}
}

/// Claims nothing: every value is only checked.
impl<'de> Claims<'de> for () {
    fn claims(&self, _: &str, _: bool) -> bool {
        false
    }
    fn read<D: Deserializer<'de>>(
        &mut self,
        _: &str,
        _: bool,
        d: D,
    ) -> Result<Option<usize>, D::Error> {
        Checked::deserialize(d).map(|c| c.compact)
    }
}

/// [`object`], with the values `claims` claims handed to it in the same pass.
pub(crate) fn object_read<'a, C: Claims<'a>>(
    text: &'a str,
    inner_key: Option<&str>,
    claims: &mut C,
) -> Result<(Vec<Entry<'a>>, Option<Vec<Entry<'a>>>), Refused> {
    let mut de = serde_json::Deserializer::from_str(text);
    let found = de
        .deserialize_map(Top { inner_key, claims })
        .and_then(|found| de.end().map(|()| found))
        .map_err(|_| Refused)?;
    // serde_json has checked that only whitespace follows the closing brace.
    let close = text.bytes().rposition(|c| !is_space(c)).ok_or(Refused)?;
    let Some(top) = spans(text, found.keys, close) else {
        return by_raw_values(text, inner_key);
    };
    let inner = match (found.inner, found.inner_at) {
        (Some(keys), Some(at)) => {
            let meta = top[at].1;
            let start = meta.as_ptr() as usize - text.as_ptr() as usize;
            match spans(text, keys, start + meta.len() - 1) {
                Some(entries) => Some(entries),
                None => Some(entries_of_checked(meta).ok_or(Refused)?),
            }
        }
        _ => None,
    };
    Ok((top, inner))
}

/// The items of the array `text` holds (text already checked, e.g. a value [`object`] found);
/// `None` when it holds no array.
pub(crate) fn array_items(text: &str) -> Option<Vec<&str>> {
    let items: Vec<&RawValue> = serde_json::from_str(text).ok()?;
    Some(items.into_iter().map(RawValue::get).collect())
}

/// JSON's whitespace, the only bytes serde_json lets stand between tokens.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// The entries' texts, from where each key was borrowed; `close` is the index of the object's
/// closing brace. `None` when a key was not borrowed from `text` (it had escapes, so serde_json
/// gave an unescaped copy whose place is unknown).
fn spans<'a>(text: &'a str, keys: Vec<Visited<'a>>, close: usize) -> Option<Vec<Entry<'a>>> {
    let base = text.as_ptr() as usize;
    let b = text.as_bytes();
    // Where a key's text starts (after its opening quote) and ends (at its closing quote).
    let place = |key: &Cow<'a, str>| -> Option<(usize, usize)> {
        let Cow::Borrowed(k) = key else {
            return None;
        };
        let start = (k.as_ptr() as usize).checked_sub(base)?;
        (start + k.len() <= close).then_some((start, start + k.len()))
    };
    let mut entries = Vec::with_capacity(keys.len());
    let mut keys = keys.into_iter().peekable();
    let Some(mut here) = keys.peek().map(|(key, _)| place(key)) else {
        return Some(entries);
    };
    while let Some((key, compact)) = keys.next() {
        let (_, key_end) = here?;
        // After the key's closing quote: whitespace, ':', whitespace.
        let mut start = key_end + 1;
        while b[start] != b':' {
            start += 1;
        }
        start += 1;
        while is_space(b[start]) {
            start += 1;
        }
        // Before the next key's opening quote, whitespace, ',', whitespace; or before the
        // closing brace, whitespace.
        let mut end = match keys.peek() {
            Some((next, _)) => {
                here = place(next);
                here?.0 - 1
            }
            None => close,
        };
        while is_space(b[end - 1]) {
            end -= 1;
        }
        if keys.peek().is_some() {
            end -= 1; // the ','
            while is_space(b[end - 1]) {
                end -= 1;
            }
        }
        let value = &text[start..end];
        entries.push((key, value, compact == Some(value.len())));
    }
    Some(entries)
}

/// [`object`] for text already checked whose keys could not all be placed: each value is asked
/// of serde_json as a `RawValue` (a second, lighter pass; keys with escapes are rare).
fn by_raw_values<'a>(
    text: &'a str,
    inner_key: Option<&str>,
) -> Result<(Vec<Entry<'a>>, Option<Vec<Entry<'a>>>), Refused> {
    let top = entries_of_checked(text).ok_or(Refused)?;
    let inner = match inner_key.and_then(|k| top.iter().rev().find(|(key, ..)| key == k)) {
        Some((_, value, _)) if value.starts_with('{') => {
            Some(entries_of_checked(value).ok_or(Refused)?)
        }
        _ => None,
    };
    Ok((top, inner))
}

/// The entries of an object in text already checked (a value [`object`] found, or an answer
/// checked when it was stored), each value skipped over by serde_json as a `RawValue` without
/// reading it: `None` when the text holds no object.
pub(crate) fn entries_of_checked(text: &str) -> Option<Vec<Entry<'_>>> {
    struct Entries;
    impl<'de> Visitor<'de> for Entries {
        type Value = Vec<Entry<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::with_capacity(16);
            while let Some(Key(k)) = map.next_key()? {
                let value: &'de RawValue = map.next_value()?;
                out.push((k, value.get(), false));
            }
            Ok(out)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.deserialize_map(Entries).ok()
}

/// A key, borrowed from the text when it has no escapes.
pub(crate) struct Key<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(V)
    }
}

/// A key and, when known, the length of its value's text as serde_json writes it (see
/// [`Checked`]).
type Visited<'a> = (Cow<'a, str>, Option<usize>);

/// What the pass found of the top object.
struct Found<'a> {
    keys: Vec<Visited<'a>>,
    /// The keys of the object under the inner key's last occurrence, when it is one.
    inner: Option<Vec<Visited<'a>>>,
    /// Where among `keys` that last occurrence is.
    inner_at: Option<usize>,
}

struct Top<'k, C> {
    inner_key: Option<&'k str>,
    claims: &'k mut C,
}

/// Hands a claimed value to its reader.
struct Claimed<'k, C> {
    claims: &'k mut C,
    key: &'k str,
    inner: bool,
}

impl<'de, C: Claims<'de>> DeserializeSeed<'de> for Claimed<'_, C> {
    type Value = Option<usize>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        self.claims.read(self.key, self.inner, d)
    }
}

/// The compact length of the value under `key`: read by `claims` when it claims it, else checked.
fn next_checked<'de, A: MapAccess<'de>, C: Claims<'de>>(
    map: &mut A,
    claims: &mut C,
    key: &str,
    inner: bool,
) -> Result<Option<usize>, A::Error> {
    if claims.claims(key, inner) {
        map.next_value_seed(Claimed { claims, key, inner })
    } else {
        Ok(map.next_value::<Checked>()?.compact)
    }
}

impl<'de, C: Claims<'de>> Visitor<'de> for Top<'_, C> {
    type Value = Found<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = Found {
            keys: Vec::with_capacity(24),
            inner: None,
            inner_at: None,
        };
        while let Some(Key(key)) = map.next_key()? {
            let compact = if self.inner_key == Some(&*key) {
                self.claims.inner_begins();
                let inner = map.next_value_seed(InnerKeys {
                    claims: &mut *self.claims,
                })?;
                found.inner_at = Some(found.keys.len());
                match inner {
                    Inner::Object(keys, compact) => {
                        found.inner = Some(keys);
                        compact
                    }
                    Inner::Other(checked) => {
                        found.inner = None;
                        checked.compact
                    }
                }
            } else {
                next_checked(&mut map, self.claims, &key, false)?
            };
            found.keys.push((key, compact));
        }
        Ok(found)
    }
}

/// The value under the inner key: an object's keys (its values checked), or any other value,
/// checked.
enum Inner<'a> {
    Object(Vec<Visited<'a>>, Option<usize>),
    Other(Checked),
}

struct InnerKeys<'k, C> {
    claims: &'k mut C,
}

impl<'de, C: Claims<'de>> DeserializeSeed<'de> for InnerKeys<'_, C> {
    type Value = Inner<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, C: Claims<'de>> Visitor<'de> for InnerKeys<'_, C> {
    type Value = Inner<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = Vec::with_capacity(24);
        let mut object = CompactObject::new();
        while let Some(Key(key)) = map.next_key()? {
            let compact = next_checked(&mut map, self.claims, &key, true)?;
            object.add(&key, compact);
            keys.push((key, compact));
        }
        Ok(Inner::Object(keys, object.compact()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        CheckedVisitor.visit_seq(seq).map(Inner::Other)
    }
    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        CheckedVisitor.visit_bool(v).map(Inner::Other)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        CheckedVisitor.visit_i64(v).map(Inner::Other)
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        CheckedVisitor.visit_u64(v).map(Inner::Other)
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        CheckedVisitor.visit_f64(v).map(Inner::Other)
    }
    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        CheckedVisitor.visit_borrowed_str(v).map(Inner::Other)
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        CheckedVisitor.visit_str(v).map(Inner::Other)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        CheckedVisitor.visit_unit().map(Inner::Other)
    }
}

/// A value read the way a `Value` parse reads it (every number, string and level of nesting
/// visited, so that what `Value` refuses is refused) and then dropped, with the length of the
/// text serde_json would write for it when the pass can tell: a string serde_json lent from the
/// text (it had no escapes), an integer (JSON allows one spelling), `true`, `false`, `null`, and
/// arrays and objects of those whose keys are distinct and unescaped. A value whose text has
/// that length is then written exactly so (any space or other spelling would lengthen it).
/// Floats and escaped strings are unknown (`None`): `raw_object::is_canonical` looks at them.
pub(crate) struct Checked {
    compact: Option<usize>,
}

impl Checked {
    /// The length of the text serde_json writes for the value, when known.
    pub(crate) fn compact(&self) -> Option<usize> {
        self.compact
    }
}

const UNKNOWN: Checked = Checked { compact: None };

fn known(len: usize) -> Checked {
    Checked { compact: Some(len) }
}

/// Keys of one object kept to notice a repeat (which serde_json would write once): objects in
/// records are small, and one with more keys is only called unknown.
const KEPT_KEYS: usize = 16;

/// The length serde_json writes an object in, summed entry by entry while its keys are distinct,
/// unescaped and few enough to compare, and its values known.
pub(crate) struct CompactObject<'a> {
    kept: [&'a str; KEPT_KEYS],
    n: usize,
    len: Option<usize>,
}

impl<'a> CompactObject<'a> {
    pub(crate) fn new() -> Self {
        CompactObject {
            kept: [""; KEPT_KEYS],
            n: 0,
            len: Some(2),
        }
    }

    // A `Cow`, not a `&str`: only a key lent from the text (no escapes) lives long enough to
    // be kept, and only its length is the length written.
    #[allow(clippy::ptr_arg)]
    pub(crate) fn add(&mut self, key: &Cow<'a, str>, value: Option<usize>) {
        let n = self.n;
        self.len = match (self.len, key, value) {
            (Some(len), Cow::Borrowed(k), Some(v))
                if n < KEPT_KEYS && !self.kept[..n].contains(k) =>
            {
                self.kept[n] = k;
                // `,"key":value`, the comma from the second entry on.
                Some(len + usize::from(n > 0) + k.len() + 3 + v)
            }
            _ => None,
        };
        self.n += 1;
    }

    /// The object's compact length, when known (see [`Checked`]).
    pub(crate) fn compact(&self) -> Option<usize> {
        self.len
    }
}

/// The length serde_json writes an array in, summed item by item while they are known.
pub(crate) struct CompactArray {
    n: usize,
    len: Option<usize>,
}

impl CompactArray {
    pub(crate) fn new() -> Self {
        CompactArray { n: 0, len: Some(2) }
    }

    pub(crate) fn add(&mut self, item: Option<usize>) {
        self.len = match (self.len, item) {
            // `,item`, the comma from the second item on.
            (Some(len), Some(v)) => Some(len + usize::from(self.n > 0) + v),
            _ => None,
        };
        self.n += 1;
    }

    /// The array's compact length, when known (see [`Checked`]).
    pub(crate) fn compact(&self) -> Option<usize> {
        self.len
    }
}

impl<'de> Deserialize<'de> for Checked {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(CheckedVisitor)
    }
}

pub(crate) struct CheckedVisitor;

impl<'de> Visitor<'de> for CheckedVisitor {
    type Value = Checked;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked, A::Error> {
        let mut object = CompactObject::new();
        while let Some(Key(key)) = map.next_key()? {
            let value = map.next_value::<Checked>()?;
            object.add(&key, value.compact);
        }
        Ok(Checked {
            compact: object.compact(),
        })
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Checked, A::Error> {
        let mut array = CompactArray::new();
        while let Some(item) = seq.next_element::<Checked>()? {
            array.add(item.compact);
        }
        Ok(Checked {
            compact: array.compact(),
        })
    }
    fn visit_bool<E>(self, v: bool) -> Result<Checked, E> {
        Ok(known(if v { 4 } else { 5 }))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Checked, E> {
        Ok(known(itoa::Buffer::new().format(v).len()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Checked, E> {
        Ok(known(itoa::Buffer::new().format(v).len()))
    }
    fn visit_f64<E>(self, _: f64) -> Result<Checked, E> {
        Ok(UNKNOWN)
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Checked, E> {
        Ok(known(v.len() + 2))
    }
    fn visit_str<E>(self, _: &str) -> Result<Checked, E> {
        Ok(UNKNOWN)
    }
    fn visit_unit<E>(self) -> Result<Checked, E> {
        Ok(known(4))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The entries serde_json's `Value` gives, each value written back compactly.
    fn value_entries(text: &str) -> Option<Vec<(String, Value)>> {
        match serde_json::from_str::<Value>(text).ok()? {
            Value::Object(map) => Some(map.into_iter().collect()),
            _ => None,
        }
    }

    /// Last value wins, first place kept: what a `Value` map holds.
    fn deduplicated(entries: Vec<Entry<'_>>) -> Vec<(String, Value)> {
        let mut out: Vec<(String, Value)> = Vec::new();
        for (k, text, canonical) in entries {
            let v: Value = serde_json::from_str(text).expect("a found value parses alone");
            if canonical {
                assert_eq!(serde_json::to_string(&v).unwrap(), text, "said canonical");
            }
            match out.iter_mut().find(|(old, _)| *old == k) {
                Some(slot) => slot.1 = v,
                None => out.push((k.into_owned(), v)),
            }
        }
        out
    }

    /// `object` accepts exactly what a `Value` parse accepts as an object, and its entries are
    /// that object's.
    fn agrees_with_value(text: &str) {
        let found = object(text, Some("meta"));
        let want = value_entries(text);
        assert_eq!(found.is_ok(), want.is_some(), "{text}");
        let (Ok((top, inner)), Some(want)) = (found, want) else {
            return;
        };
        let meta_want = want
            .iter()
            .find(|(k, _)| k == "meta")
            .and_then(|(_, v)| v.as_object())
            .map(|m| m.clone().into_iter().collect::<Vec<_>>());
        assert_eq!(deduplicated(top), want, "{text}");
        assert_eq!(inner.map(deduplicated), meta_want, "{text}");
    }

    #[test]
    fn objects_are_read_as_serde_json_reads_them() {
        for text in [
            r#"{}"#,
            r#"  { "a" : 1 , "b":[1, 2,{"c":"d"}] }  "#,
            "{\n\"a\"\t:\r1\n,\"b\":\"x\"\n}\n",
            r#"{"a":1,"b":2,"a":3}"#,
            r#"{"k\"ey":"v\\a\n\t\/","u":"caf\u00e9","p":"\ud83d\ude80"}"#,
            r#"{"n":-0,"m":-12,"f":1.50,"g":0.1,"h":18446744073709551616,"i":-9223372036854775809}"#,
            r#"{"o":{"x":1,"x":2},"e":{},"l":[],"s":{ },"t":[ ]}"#,
            r#"{"t":true,"f":false,"z":null,"x":1e3,"y":1E-3}"#,
            r#"{"meta":{"x":1},"a":{"meta":2},"meta":"no","meta":{"y":[ 2 ] , "z" : {} }}"#,
            r#"{"meta":{"x":1},"meta":{"y":2}}"#,
            r#"{"meta":{"x":1},"meta":"no"}"#,
            r#"{"meta" : { "k\u0065y" : 1 , "b":2 } }"#,
            r#"{"m\u0065ta":{"x":1},"meta":{"y":2}}"#,
        ] {
            agrees_with_value(text);
            assert!(object(text, Some("meta")).is_ok(), "{text}");
        }
    }

    #[test]
    fn what_a_value_parse_refuses_is_refused() {
        let long = format!(r#"{{"a":1{}}}"#, "0".repeat(400));
        let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(130), "]".repeat(130));
        for text in [
            "",
            "[1]",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":tru}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":1} x"#,
            r#"{a:1}"#,
            r#"{"a":1e999}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00x"}"#,
            r#"{"a":"\ud83d\u0041"}"#,
            r#"{"meta":{"a":"\ud800"}}"#,
            long.as_str(),
            deep.as_str(),
        ] {
            agrees_with_value(text);
            assert_eq!(object(text, Some("meta")), Err(Refused), "{text}");
        }
    }

    #[test]
    fn array_items_are_found_in_order() {
        assert_eq!(
            array_items(r#" ["a", 1 ,{"b":[2]},null] "#),
            Some(vec![r#""a""#, "1", r#"{"b":[2]}"#, "null"])
        );
        assert_eq!(array_items(r#"{"a":1}"#), None);
    }

    use crate::dataset::edited_lines::{edited, edits, seeds};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        /// The contract: edited records (broken or not) are accepted exactly when serde_json's
        /// `Value` accepts them, with the same entries and the same `meta`.
        #[test]
        fn edited_records_are_accepted_exactly_as_serde_json_accepts_them(
            seed in 0..seeds().len(),
            edits in edits(),
        ) {
            agrees_with_value(&edited(&seeds()[seed], edits));
        }
    }
}
