//! A strict, single-pass reader of JSON text for the raw paths (`raw_object::RawObject`): it finds the
//! entries of an object and the items of an array, and on the way checks the text as
//! `serde_json` would and notes whether each value is already written exactly as `serde_json`
//! writes it (so it can be copied without a second look). It refuses rather than guesses: text it
//! is not sure a `serde_json::Value` parse takes the same way (an exponent, a number of 300
//! digits, a lone UTF-16 surrogate, very deep nesting) is refused, and the caller parses it the
//! ordinary way. Never the other way round: what it accepts, `serde_json` accepts.
//! Not here: what the values mean (see `author_view`), or writing (see `raw_object`).
//!
//! Measured against the crates (`cargo bench --bench parse -- line_read`, 1M scored records,
//! 2026-12-02): this reader with `raw_object` and `author_view` reads a line's view in 2.33 s,
//! a whole `serde_json::Value` takes 5.71 s, but a `#[derive(Deserialize)]` view borrowing from
//! the line takes 1.54 s with `serde_json` (and 1.54 s with sonic-rs). By issue 15's rule (keep
//! the hand-written layer only where it is at least 1.3x faster) the read side is to become a
//! derived borrowed view; what it must keep from here is the canonical-spelling note the
//! score's write-back copies values by.

use std::borrow::Cow;

/// Text this reader does not vouch for: invalid JSON, or valid JSON only a full parse reads
/// right. The caller's fallback says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused;

/// Digits from which a number is left to a full parse (beyond f64, or rounding this reader
/// does not redo).
const LONG_NUMBER: usize = 300;
/// Nesting from which text is left to a full parse (`serde_json` stops at 128).
const DEEPEST: u32 = 100;
/// Keys of the open nested objects kept to notice a repeated one: records nest a few small
/// objects. An object whose keys did not all fit is not called canonical when two of its keys
/// might be the same (that only costs a re-serialisation).
const KEPT_KEYS: usize = 16;

/// What [`object_and_inner`] reports of the values under the inner key, in the order written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InnerEvent<'a> {
    /// An object starts (a repeated key starts one again).
    Opened,
    /// One entry of that object.
    Entry(Cow<'a, str>, Found<'a>),
    /// The key holds something other than an object.
    NotObject,
}

/// One value found in the text: where it is written, and whether that is `serde_json`'s own
/// spelling of it (compact, shortest numbers, no optional escapes, no repeated keys).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    pub text: &'a str,
    pub canonical: bool,
}

/// Calls `entry` for each entry of the object `text` holds (whitespace around it allowed),
/// keys decoded, in the order written (repeated keys included: the caller decides).
pub fn object<'a>(
    text: &'a str,
    entry: impl FnMut(Cow<'a, str>, Found<'a>),
) -> Result<(), Refused> {
    object_and_inner(text, None, entry, |_| {})
}

/// [`object`], and the entries of the object under `inner_key` reported to `inner` in the same
/// pass (no second scan of it), each value under that key announced as an object
/// ([`InnerEvent::Opened`], then its entries) or not ([`InnerEvent::NotObject`]).
pub fn object_and_inner<'a>(
    text: &'a str,
    inner_key: Option<&str>,
    mut entry: impl FnMut(Cow<'a, str>, Found<'a>),
    mut inner: impl FnMut(InnerEvent<'a>),
) -> Result<(), Refused> {
    let mut s = Scanner::new(text);
    s.skip_space();
    s.expect(b'{')?;
    s.skip_space();
    if !s.eat(b'}') {
        loop {
            s.skip_space();
            let key = s.key()?;
            // Whitespace between the top-level entries leaves each value as it is.
            s.expect_spaced(b':', &mut true)?;
            s.skip_space();
            let value = if inner_key != Some(key.as_ref()) {
                s.value(1)?
            } else if s.peek() == Some(b'{') {
                inner(InnerEvent::Opened);
                let start = s.i;
                let canonical = s.nested_object(1, Some(&mut inner))?;
                Found {
                    text: &text[start..s.i],
                    canonical,
                }
            } else {
                inner(InnerEvent::NotObject);
                s.value(1)?
            };
            entry(key, value);
            if s.end_of_entry(b'}', &mut true)? {
                break;
            }
        }
    }
    s.end()
}

/// Calls `item` for each item of the array `text` holds (whitespace around it allowed).
pub fn array<'a>(text: &'a str, mut item: impl FnMut(Found<'a>)) -> Result<(), Refused> {
    let mut s = Scanner::new(text);
    s.skip_space();
    s.expect(b'[')?;
    s.skip_space();
    if !s.eat(b']') {
        loop {
            s.skip_space();
            item(s.value(1)?);
            s.skip_space();
            if s.eat(b']') {
                break;
            }
            s.expect(b',')?;
        }
    }
    s.end()
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    i: usize,
    /// The keys of the nested objects open now, to notice a repeated one (`serde_json` keeps
    /// only the last value, so the text is not its spelling): `keys[..kept]`, in a fixed array
    /// because a vector growing on every line costs more than the scan of a small object.
    keys: [&'a [u8]; KEPT_KEYS],
    kept: usize,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        Scanner {
            text,
            b: text.as_bytes(),
            i: 0,
            keys: [&[]; KEPT_KEYS],
            kept: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }

    fn expect(&mut self, c: u8) -> Result<(), Refused> {
        if self.eat(c) { Ok(()) } else { Err(Refused) }
    }

    /// Skips JSON whitespace; true when there was some.
    fn skip_space(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
        self.i > start
    }

    /// Expects `c`, whitespace before it allowed (then `compact` turns false). Text written
    /// compact has none, so `c` is looked for first.
    #[inline]
    fn expect_spaced(&mut self, c: u8, compact: &mut bool) -> Result<(), Refused> {
        if self.eat(c) {
            return Ok(());
        }
        *compact &= !self.skip_space();
        self.expect(c)
    }

    /// After an entry or item: `Ok(true)` past the `close` that ends the container, `Ok(false)`
    /// past the comma before the next one; whitespace before either turns `compact` false.
    #[inline]
    fn end_of_entry(&mut self, close: u8, compact: &mut bool) -> Result<bool, Refused> {
        match self.peek() {
            Some(b',') => {
                self.i += 1;
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            _ => {
                *compact &= !self.skip_space();
                if self.eat(close) {
                    Ok(true)
                } else {
                    self.expect(b',').map(|()| false)
                }
            }
        }
    }

    /// Only whitespace may follow the value.
    fn end(&mut self) -> Result<(), Refused> {
        self.skip_space();
        if self.i == self.b.len() {
            Ok(())
        } else {
            Err(Refused)
        }
    }

    fn value(&mut self, depth: u32) -> Result<Found<'a>, Refused> {
        let start = self.i;
        let canonical = self.skip_value(depth)?;
        Ok(Found {
            text: &self.text[start..self.i],
            canonical,
        })
    }

    /// Passes a value; true when it is written as `serde_json` writes it.
    fn skip_value(&mut self, depth: u32) -> Result<bool, Refused> {
        Ok(match self.peek().ok_or(Refused)? {
            b'"' => self.string()?.canonical,
            b'{' => self.nested_object(depth, None::<&mut fn(InnerEvent<'a>)>)?,
            b'[' => self.nested_array(depth)?,
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            b'-' | b'0'..=b'9' => self.number()?,
            _ => return Err(Refused),
        })
    }

    fn literal(&mut self, word: &[u8]) -> Result<bool, Refused> {
        if self.b[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(true)
        } else {
            Err(Refused)
        }
    }

    /// A key of the top object, decoded (borrowed unless it has escapes).
    fn key(&mut self) -> Result<Cow<'a, str>, Refused> {
        let start = self.i;
        let string = self.string()?;
        decode_key(&self.text[start..self.i], string.escaped)
    }

    /// A string (`Refused` when none starts here): checked as `serde_json` checks it (no raw control characters, known
    /// escapes only, surrogates in pairs).
    #[inline]
    fn string(&mut self) -> Result<StringFound, Refused> {
        self.expect(b'"')?;
        // Most strings have no escape: one run to the closing quote.
        let end = plain_run(self.b, self.i);
        if self.b.get(end) == Some(&b'"') {
            self.i = end + 1;
            return Ok(StringFound {
                canonical: true,
                escaped: false,
            });
        }
        self.i = end;
        self.string_rest()
    }

    /// The rest of a string from the first byte that is not plain text.
    #[inline(never)]
    fn string_rest(&mut self) -> Result<StringFound, Refused> {
        let mut found = StringFound {
            canonical: true,
            escaped: false,
        };
        loop {
            self.i = plain_run(self.b, self.i);
            let c = *self.b.get(self.i).ok_or(Refused)?;
            self.i += 1;
            if c == b'"' {
                return Ok(found);
            }
            if c != b'\\' {
                // A raw control character.
                return Err(Refused);
            }
            found.escaped = true;
            match self.peek().ok_or(Refused)? {
                b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't' => self.i += 1,
                // `\/` and `\u` read back as plain characters, which serde_json writes plain
                // (or as another escape): the text is not its spelling.
                b'/' => {
                    found.canonical = false;
                    self.i += 1;
                }
                b'u' => {
                    found.canonical = false;
                    self.i += 1;
                    match self.hex_unit()? {
                        0xD800..=0xDBFF => {
                            self.expect(b'\\')?;
                            self.expect(b'u')?;
                            if !matches!(self.hex_unit()?, 0xDC00..=0xDFFF) {
                                return Err(Refused);
                            }
                        }
                        0xDC00..=0xDFFF => return Err(Refused),
                        _ => {}
                    }
                }
                _ => return Err(Refused),
            }
        }
    }

    fn hex_unit(&mut self) -> Result<u16, Refused> {
        let digits = self.b.get(self.i..self.i + 4).ok_or(Refused)?;
        let mut unit = 0u16;
        for d in digits {
            let v = (*d as char).to_digit(16).ok_or(Refused)?;
            unit = unit << 4 | v as u16;
        }
        self.i += 4;
        Ok(unit)
    }

    /// A number, by the JSON grammar; exponents and very long numbers are left to a full parse.
    fn number(&mut self) -> Result<bool, Refused> {
        let start = self.i;
        let negative = self.eat(b'-');
        let int_start = self.i;
        match self.peek() {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(Refused),
        }
        let int_digits = self.i - int_start;
        let mut fraction = false;
        if self.eat(b'.') {
            let at = self.i;
            self.digits();
            if self.i == at {
                return Err(Refused);
            }
            fraction = true;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) || self.i - start >= LONG_NUMBER {
            return Err(Refused);
        }
        let token = &self.text[start..self.i];
        // Unsigned integers of up to 19 digits fit a u64 and are written back as they are.
        Ok(if !negative && !fraction && int_digits <= 19 {
            true
        } else {
            super::raw_object::is_canonical_number(token)
        })
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
    }

    /// An object at `{`; each entry goes to `report` too when there is one.
    fn nested_object(
        &mut self,
        depth: u32,
        mut report: Option<&mut impl FnMut(InnerEvent<'a>)>,
    ) -> Result<bool, Refused> {
        if depth >= DEEPEST {
            return Err(Refused);
        }
        self.i += 1;
        let mut canonical = !self.skip_space();
        let mark = self.kept;
        let mut all_kept = true;
        // The `key_bit`s of the keys so far: a key is looked for among the earlier ones only
        // when its bit is set already.
        let mut seen = 0u64;
        if !self.eat(b'}') {
            loop {
                canonical &= !self.skip_space();
                let start = self.i;
                let key = self.string()?;
                let raw_key = &self.text[start..self.i];
                let bytes = raw_key.as_bytes();
                let bit = key_bit(&bytes[1..bytes.len() - 1]);
                // A repeat, or maybe one when some keys did not fit.
                if seen & bit != 0 && (!all_kept || self.keys[mark..self.kept].contains(&bytes)) {
                    canonical = false;
                }
                seen |= bit;
                canonical &= key.canonical;
                if self.kept < KEPT_KEYS {
                    self.keys[self.kept] = bytes;
                    self.kept += 1;
                } else {
                    all_kept = false;
                }
                self.expect_spaced(b':', &mut canonical)?;
                canonical &= !self.skip_space();
                if let Some(report) = report.as_mut() {
                    let value = self.value(depth + 1)?;
                    canonical &= value.canonical;
                    report(InnerEvent::Entry(decode_key(raw_key, key.escaped)?, value));
                } else {
                    canonical &= self.skip_value(depth + 1)?;
                }
                if self.end_of_entry(b'}', &mut canonical)? {
                    break;
                }
            }
        }
        self.kept = mark;
        Ok(canonical)
    }

    fn nested_array(&mut self, depth: u32) -> Result<bool, Refused> {
        if depth >= DEEPEST {
            return Err(Refused);
        }
        self.i += 1;
        let mut canonical = !self.skip_space();
        if !self.eat(b']') {
            loop {
                canonical &= !self.skip_space();
                canonical &= self.skip_value(depth + 1)?;
                if self.end_of_entry(b']', &mut canonical)? {
                    break;
                }
            }
        }
        Ok(canonical)
    }
}

/// One of 64 bits for a key (from its length, first and middle bytes), to tell "certainly not
/// seen before" without comparing it to the keys before it.
#[inline]
pub(super) fn key_bit(key: &[u8]) -> u64 {
    let (first, middle) = match key {
        [] => (0, 0),
        [first, ..] => (*first, key[key.len() / 2]),
    };
    1u64 << ((key.len() * 7 + usize::from(first) * 3 + usize::from(middle)) % 64)
}

/// A quoted key as text: borrowed unless it has escapes.
#[inline(always)]
fn decode_key(quoted: &str, escaped: bool) -> Result<Cow<'_, str>, Refused> {
    if escaped {
        decode_escaped(quoted).map(Cow::Owned)
    } else {
        Ok(Cow::Borrowed(&quoted[1..quoted.len() - 1]))
    }
}

fn decode_escaped(quoted: &str) -> Result<String, Refused> {
    serde_json::from_str(quoted).map_err(|_| Refused)
}

/// Where the run of plain string text from `i` ends: at the first quote, backslash or control
/// character, or at the end of `b`. Sixteen bytes at a time where the processor has SSE2
/// (every x86_64 does), eight elsewhere: strings in records are short, and a vector search set
/// up per string (memchr) costs more.
pub(super) fn plain_run(b: &[u8], i: usize) -> usize {
    // SAFETY: SSE2 is part of every x86_64 processor (and enabled for this build).
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    let i = match unsafe { plain_run_sse2(b, i) } {
        Ok(end) => return end,
        Err(left_at) => left_at,
    };
    plain_run_words(b, i)
}

/// [`plain_run`] sixteen bytes at a time: `Ok` with the end found, or `Err` with where it left
/// off because fewer than sixteen bytes are left.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn plain_run_sse2(b: &[u8], mut i: usize) -> Result<usize, usize> {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_min_epu8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x,
        _mm_set1_epi8, _mm_xor_si128,
    };
    while let Some(chunk) = b.get(i..i + 16) {
        let (lo, hi) = chunk.split_at(8);
        let lo = u64::from_le_bytes(lo.try_into().expect("eight bytes"));
        let hi = u64::from_le_bytes(hi.try_into().expect("eight bytes"));
        // Two safe loads (compiled into one) instead of the raw-pointer `_mm_loadu_si128`.
        let v = _mm_set_epi64x(hi as i64, lo as i64);
        // Flipping bit 1 turns `"` into 0x20 and keeps every control character below it:
        // one "at most 0x20" test finds both.
        let flipped = _mm_xor_si128(v, _mm_set1_epi8(2));
        let low = _mm_cmpeq_epi8(_mm_min_epu8(flipped, _mm_set1_epi8(0x20)), flipped);
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        let hits = _mm_movemask_epi8(_mm_or_si128(low, backslash));
        if hits != 0 {
            return Ok(i + hits.trailing_zeros() as usize);
        }
        i += 16;
    }
    Err(i)
}

/// [`plain_run`] eight bytes at a time. Out of line: only the last bytes of the text come here
/// on x86_64, and its constants would be set up on every string.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), inline(never))]
fn plain_run_words(b: &[u8], mut i: usize) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    while let Some(word) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        // Flipping bit 1 turns `"` into 0x20 and keeps every control character below it, so
        // one "below 0x21" test finds both: a byte's high bit is set in `flipped - 0x21` where
        // it is below (and in `backslash - ONES` where it is zero). Only the lowest hit of each
        // is exact, and the lowest of the two is the one taken.
        let flipped = w ^ (ONES * 2);
        let backslash = w ^ (ONES * u64::from(b'\\'));
        let hits = (flipped.wrapping_sub(ONES * 0x21) | backslash.wrapping_sub(ONES)) & !w & HIGH;
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !STRING_STOP[b[i] as usize] {
        i += 1;
    }
    i
}

/// The bytes that end a run of plain string text: the closing quote, an escape, a control
/// character (not allowed raw in JSON).
static STRING_STOP: [bool; 256] = {
    let mut stop = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        stop[c] = true;
        c += 1;
    }
    stop[b'"' as usize] = true;
    stop[b'\\' as usize] = true;
    stop
};

struct StringFound {
    canonical: bool,
    escaped: bool,
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// What the scanner says of `text`, checked against `serde_json` on the way: anything it
    /// accepts a value parse takes, with the same entries, and a value it calls canonical is
    /// written back byte for byte.
    fn check(text: &str) -> Result<Vec<(String, String, bool)>, Refused> {
        let mut entries = Vec::new();
        let scanned = object(text, |k, v| {
            entries.push((k.into_owned(), v.text.to_string(), v.canonical))
        });
        let parsed = serde_json::from_str::<Value>(text);
        if scanned.is_ok() {
            let Ok(Value::Object(map)) = parsed else {
                panic!("accepted what serde_json refuses or reads as no object: {text}");
            };
            let mut keys: Vec<&str> = Vec::new();
            for (k, _, _) in &entries {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
            assert_eq!(
                keys,
                map.keys().map(String::as_str).collect::<Vec<_>>(),
                "{text}"
            );
            for (k, v, canonical) in &entries {
                let value: Value = serde_json::from_str(v).expect("a found value parses alone");
                if entries.iter().rev().find(|(k2, _, _)| k2 == k).unwrap().1 == *v {
                    assert_eq!(&value, &map[k], "{text}");
                }
                if *canonical {
                    assert_eq!(&serde_json::to_string(&value).unwrap(), v, "{text}");
                }
            }
        }
        scanned.map(|()| entries)
    }

    #[test]
    fn objects_are_read_as_serde_json_reads_them() {
        for text in [
            r#"{}"#,
            r#"  { "a" : 1 , "b":[1, 2,{"c":"d"}] }  "#,
            r#"{"a":1,"b":2,"a":3}"#,
            r#"{"k\"ey":"v\\a\n\t\/","u":"caf\u00e9","p":"\ud83d\ude80"}"#,
            r#"{"n":-0,"m":-12,"f":1.50,"g":0.1,"h":18446744073709551616,"i":-9223372036854775809}"#,
            r#"{"o":{"x":1,"x":2},"e":{},"l":[],"s":{ },"t":[ ]}"#,
            r#"{"t":true,"f":false,"z":null}"#,
        ] {
            assert!(check(text).is_ok(), "{text}");
        }
    }

    #[test]
    fn what_is_not_one_valid_object_is_refused() {
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
            r#"{"a":.5}"#,
            r#"{"a":+1}"#,
            r#"{"a":tru}"#,
            r#"{"a":"\x"}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":"\u12"}"#,
            r#"{"a":1} x"#,
            r#"{a:1}"#,
            r#"{"a":1}{"#,
        ] {
            assert_eq!(check(text), Err(Refused), "{text}");
        }
    }

    #[test]
    fn what_only_a_full_parse_reads_right_is_refused_too() {
        let long = format!(r#"{{"a":{}}}"#, "1".repeat(LONG_NUMBER));
        let deep = format!(r#"{{"a":{}1{}}}"#, "[".repeat(120), "]".repeat(120));
        for text in [
            r#"{"a":1e3}"#,
            r#"{"a":1E-3}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":"\udc00"}"#,
            r#"{"a":"\ud83d\u0041"}"#,
            long.as_str(),
            deep.as_str(),
        ] {
            assert_eq!(check(text), Err(Refused), "{text}");
        }
    }

    #[test]
    fn a_value_is_canonical_exactly_when_serde_json_writes_it_so() {
        let entries = check(
            r#"{"a":{"x":1,"x":2},"b":{"x":1},"c":[1, 2],"d":[1,2],"e":"a\/b","f":"a\nb","g":1.50,"h":1.5,"i":-0,"j":"\u00e9"}"#,
        )
        .unwrap();
        let canonical: Vec<(&str, bool)> =
            entries.iter().map(|(k, _, c)| (k.as_str(), *c)).collect();
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
            ]
        );
    }

    #[test]
    fn a_repeated_key_is_noticed_in_objects_with_more_keys_than_are_kept() {
        let keys: Vec<String> = (0..KEPT_KEYS + 8)
            .map(|k| format!(r#""k{k}":{k}"#))
            .collect();
        let distinct = format!(r#"{{"o":{{"a":{{{}}}}}}}"#, keys.join(","));
        // The repeat is of a key past the kept ones, so only the bit check can notice it.
        let late = KEPT_KEYS + 4;
        let repeated = format!(r#"{{"o":{{"a":{{{},"k{late}":0}}}}}}"#, keys.join(","));
        // Beyond the kept keys a repeat is assumed when bits meet: never a wrong "canonical".
        assert!(check(&distinct).is_ok());
        assert!(!check(&repeated).unwrap()[0].2);
    }

    #[test]
    fn serde_json_output_is_read_whole_and_every_value_is_canonical() {
        for line in seeds().iter().take(4) {
            let entries = check(line).expect("a generated record is read");
            assert!(entries.iter().all(|(_, _, canonical)| *canonical), "{line}");
        }
        assert!(check(&seeds()[4]).is_ok());
    }

    #[test]
    fn each_value_under_the_inner_key_is_announced_as_an_object_or_not() {
        let mut events = Vec::new();
        let text = r#"{"meta":{"x":1},"a":{"meta":2},"meta":"no","meta":{"y":[ 2 ]}}"#;
        object_and_inner(text, Some("meta"), |_, _| {}, |e| events.push(e)).unwrap();
        let found = |text, canonical| Found { text, canonical };
        assert_eq!(
            events,
            [
                InnerEvent::Opened,
                InnerEvent::Entry("x".into(), found("1", true)),
                InnerEvent::NotObject,
                InnerEvent::Opened,
                InnerEvent::Entry("y".into(), found("[ 2 ]", false)),
            ]
        );
    }

    #[test]
    fn array_items_are_found_in_order() {
        let mut items = Vec::new();
        array(r#" ["a", 1 ,{"b":[2]},null] "#, |i| items.push(i.text)).unwrap();
        assert_eq!(items, [r#""a""#, "1", r#"{"b":[2]}"#, "null"]);
        assert_eq!(array(r#"{"a":1}"#, |_| {}), Err(Refused));
        assert_eq!(array("[1,]", |_| {}), Err(Refused));
    }

    #[test]
    fn a_plain_run_stops_at_the_first_quote_backslash_or_control_character() {
        let stops = [b'"', b'\\', 0x00, 0x1f, b'\n'];
        // Bytes next to the stops (`!`, `#`, space, `[`, `]`, 0x7f, UTF-8) must not stop it.
        let plain = b"a~ \x7f\xc3\xa9!Z#[]";
        for len in 0..40 {
            for at in 0..=len {
                for stop in stops {
                    let mut text: Vec<u8> = (0..len).map(|k| plain[k % plain.len()]).collect();
                    if at < len {
                        text[at] = stop;
                    }
                    let want = text
                        .iter()
                        .position(|c| STRING_STOP[*c as usize])
                        .unwrap_or(len);
                    assert_eq!(plain_run(&text, 0), want, "{text:?}");
                    assert_eq!(plain_run_words(&text, 0), want, "{text:?}");
                    if len > 0 {
                        let from = len / 3;
                        let want = text[from..]
                            .iter()
                            .position(|c| STRING_STOP[*c as usize])
                            .map_or(len, |k| from + k);
                        assert_eq!(plain_run(&text, from), want, "{text:?} from {from}");
                        assert_eq!(plain_run_words(&text, from), want, "{text:?} from {from}");
                    }
                }
            }
        }
    }

    /// `text` with each edit applied at its place: kind 0 inserts `c`, 1 removes a character,
    /// 2 replaces one with `c`, any other cuts the text there.
    pub(in crate::dataset) fn edited(
        text: &str,
        edits: Vec<(prop::sample::Index, u8, char)>,
    ) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, kind, c) in edits {
            let i = at.index(chars.len() + 1);
            match kind {
                0 => chars.insert(i, c),
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                2 if i < chars.len() => chars[i] = c,
                _ => chars.truncate(i),
            }
        }
        chars.into_iter().collect()
    }

    fn seeds() -> Vec<String> {
        let mut lines: Vec<String> = (0..4)
            .map(|n| crate::generate::record(3, n).to_line())
            .collect();
        lines.push(
            r#"{"id":"1","handle":"a b","meta":{"score":31.4,"sources":[{"method":"x","fetched_at":"2025-11-14T06:42:01Z"}],"n":-5},"tags":["\u00e9","\ud83d\ude80","q\"\\"],"e":{},"z":[ 1 , 2.25 ,null,true,false]}"#.into(),
        );
        lines
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn edited_records_are_accepted_only_as_serde_json_accepts_them(
            seed in 0usize..5,
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..4, prop::sample::select(
                vec!['{', '}', '[', ']', '"', '\\', ',', ':', ' ', '\n', '0', '1', '-', '.', 'e', 'u', 'd', '8', 'n', 't', '/', '\t', 'é']
            )), 1..4),
        ) {
            let _ = check(&edited(&seeds()[seed], edits));
        }
    }
}
