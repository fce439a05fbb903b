//! Writing the JSON text of keys, strings and numbers for the line path, fast when a string
//! needs no escaping (nearly always: field names and the model's own words), and through
//! `serde_json` otherwise, so the bytes are always `serde_json`'s. Not here: which fields are
//! written (see `line` and `changes`).

use crate::dataset::raw_object;

/// True when `s` is written between quotes as it is: no quote, backslash or control character.
/// Every byte is looked at without stopping early, which lets the loop run on whole vectors.
fn plain(s: &str) -> bool {
    !s.as_bytes().iter().fold(false, |found, &b| {
        found | (b < 0x20) | (b == b'"') | (b == b'\\')
    })
}

/// `"s"`, escaped as `serde_json` escapes it.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    if plain(s) {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
    }
}

/// `"key":`, as [`raw_object::write_key`] writes it.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    if plain(key) {
        write_str(out, key);
        out.push(b':');
    } else {
        raw_object::write_key(out, key);
    }
}

/// A number as `serde_json` writes an `f64` (`null` when not finite).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    match hundredths(v) {
        Some(n) => write_hundredths(out, n),
        None => serde_json::to_writer(&mut *out, &v).expect("writing to a Vec cannot fail"),
    }
}

/// `v` as a count of hundredths, when `v` is the double nearest to that many hundredths, not
/// negative and below 10^12: every value scoring rounds to 2 decimals. For those, the shortest
/// decimal that reads back as `v` (what `serde_json` writes) is the hundredths themselves: the
/// doubles there lie less than 2^-12 apart, so no other decimal with as few digits, all of them
/// at least 0.01 away, reads back as `v`.
fn hundredths(v: f64) -> Option<u64> {
    if !(v.is_sign_positive() && v < 1e12) {
        return None;
    }
    // Adding a half and truncating finds the nearest count without a call to `round`; were it
    // ever the wrong one, the check below would send the value to `serde_json`.
    let n = (v * 100.0 + 0.5) as u64;
    (n as f64 / 100.0 == v).then_some(n)
}

/// `n` hundredths as `serde_json` writes the double nearest to them: `63.21`, `63.2`, `63.0`.
fn write_hundredths(out: &mut Vec<u8>, n: u64) {
    let mut buf = [0u8; 24];
    let mut i = buf.len();
    let (whole, cents) = (n / 100, n % 100);
    if cents % 10 == 0 {
        i -= 1;
        buf[i] = b'0' + (cents / 10) as u8;
    } else {
        i -= 2;
        buf[i] = b'0' + (cents / 10) as u8;
        buf[i + 1] = b'0' + (cents % 10) as u8;
    }
    i -= 1;
    buf[i] = b'.';
    let i = digits_ending_at(&mut buf, i, whole);
    out.extend_from_slice(&buf[i..]);
}

/// Writes the decimal digits of `n` to end just before `end` in `buf` and returns where they
/// start: numbers built right to left by integer division, without the float formatter.
pub(crate) fn digits_ending_at(buf: &mut [u8], end: usize, mut n: u64) -> usize {
    let mut i = end;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return i;
        }
    }
}

/// `["a","b"]`.
pub fn write_str_array<S: AsRef<str>>(out: &mut Vec<u8>, items: impl IntoIterator<Item = S>) {
    out.push(b'[');
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_str(out, item.as_ref());
    }
    out.push(b']');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Mostly plain text, as written in practice, with now and then one byte that needs an
        /// escape placed anywhere.
        #[test]
        fn a_string_is_plain_exactly_when_no_byte_needs_an_escape(
            text in "[a-z0-9 é日🦀()%,]{0,40}",
            special in proptest::option::of((any::<prop::sample::Index>(), "[\"\\\\\u{0}-\u{1f}]")),
        ) {
            let mut s = text;
            if let Some((at, c)) = special {
                let at = s.char_indices().map(|(i, _)| i).nth(at.index(s.chars().count() + 1)).unwrap_or(s.len());
                s.insert_str(at, &c);
            }
            let by_definition = !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\');
            prop_assert_eq!(plain(&s), by_definition, "{:?}", s);
        }
    }

    #[test]
    fn strings_and_keys_are_written_as_serde_json_writes_them() {
        for s in [
            "",
            "plain words (top 4% of reference)",
            "a \"quoted\" word",
            "back\\slash",
            "tab\tnew\nline\u{1}",
            "non-ASCII: straße, 日本語, emoji 🦀",
            "\u{7f} and \u{2028}",
        ] {
            let mut out = Vec::new();
            write_str(&mut out, s);
            assert_eq!(out, serde_json::to_vec(s).unwrap(), "{s:?}");
            let mut key = Vec::new();
            write_key(&mut key, s);
            let mut expected = Vec::new();
            raw_object::write_key(&mut expected, s);
            assert_eq!(key, expected, "{s:?}");
        }
    }

    fn assert_written_as_serde_json(v: f64) {
        let mut out = Vec::new();
        write_f64(&mut out, v);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            serde_json::to_string(&v).unwrap(),
            "{v:e}"
        );
    }

    #[test]
    fn every_two_decimal_value_up_to_ten_thousand_is_written_as_serde_json_writes_it() {
        for n in 0..=1_000_000u64 {
            assert_written_as_serde_json(n as f64 / 100.0);
        }
    }

    proptest::proptest! {
        #[test]
        fn rounded_values_of_any_size_are_written_as_serde_json_writes_them(
            n in 0u64..200_000_000_000_000,
        ) {
            assert_written_as_serde_json(n as f64 / 100.0);
            assert_written_as_serde_json(crate::pipeline::score::round2(n as f64 / 977.0));
        }

        #[test]
        fn other_values_are_written_as_serde_json_writes_them(v in proptest::num::f64::ANY) {
            assert_written_as_serde_json(v);
        }
    }

    #[test]
    fn numbers_and_arrays_are_written_as_serde_json_writes_them() {
        for v in [
            0.0,
            -0.0,
            1.0,
            15.0,
            0.1,
            63.21,
            1e21,
            1e12,
            999_999_999_999.99,
            0.01,
            0.005,
            1e-7,
            -63.21,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
        ] {
            let mut out = Vec::new();
            write_f64(&mut out, v);
            assert_eq!(out, serde_json::to_vec(&v).unwrap(), "{v}");
        }
        let items = ["tech_media", "a\"b"];
        let mut out = Vec::new();
        write_str_array(&mut out, items);
        assert_eq!(out, serde_json::to_vec(&items).unwrap());
        let mut empty = Vec::new();
        write_str_array::<&str>(&mut empty, []);
        assert_eq!(empty, b"[]");
    }
}
