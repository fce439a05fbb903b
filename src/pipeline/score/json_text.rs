//! Writing the JSON text of keys, strings and numbers for the line path, fast when a string
//! needs no escaping (nearly always: field names and the model's own words), and through
//! `serde_json` otherwise, so the bytes are always `serde_json`'s. Not here: which fields are
//! written (see `line` and `changes`).

use crate::dataset::raw;

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

/// `"key":`, as [`raw::write_key`] writes it.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    if plain(key) {
        write_str(out, key);
        out.push(b':');
    } else {
        raw::write_key(out, key);
    }
}

/// `"key":` for a key known to need no escaping (a field name of the model or of the canonical
/// order): nothing is looked at, the bytes are copied.
pub fn write_plain_key(out: &mut Vec<u8>, key: &str) {
    debug_assert!(plain(key), "{key:?} needs escaping");
    out.reserve(key.len() + 3);
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// A number as `serde_json` writes an `f64` (`null` when not finite).
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    serde_json::to_writer(&mut *out, &v).expect("writing to a Vec cannot fail");
}

/// `["a","b"]`.
pub fn write_str_array<S: AsRef<str>>(out: &mut Vec<u8>, items: &[S]) {
    out.push(b'[');
    for (i, item) in items.iter().enumerate() {
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
            raw::write_key(&mut expected, s);
            assert_eq!(key, expected, "{s:?}");
            if plain(s) {
                let mut known = Vec::new();
                write_plain_key(&mut known, s);
                assert_eq!(known, expected, "{s:?}");
            }
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
            f64::NAN,
            f64::INFINITY,
        ] {
            let mut out = Vec::new();
            write_f64(&mut out, v);
            assert_eq!(out, serde_json::to_vec(&v).unwrap(), "{v}");
        }
        let items = ["tech_media", "a\"b"];
        let mut out = Vec::new();
        write_str_array(&mut out, &items);
        assert_eq!(out, serde_json::to_vec(&items).unwrap());
        let mut empty = Vec::new();
        write_str_array::<&str>(&mut empty, &[]);
        assert_eq!(empty, b"[]");
    }
}
