//! Writing the JSON text of keys, strings and numbers for the line path, through `serde_json`,
//! so the bytes are always `serde_json`'s. Not here: which fields are written (see `line` and
//! `changes`).
//!
//! These were written by hand (a plain-string check, two-decimal numbers built from their
//! hundredths). `perf record` of `influx score` on 300k records put the hand
//! writers at 5.7% of its samples and `serde_json`'s (string escaping, float formatting) at
//! 8.7%: about 4% of the command's CPU time, far from the 1.3x end to end for which issue 15
//! keeps hand-written JSON.

/// `"s"`, escaped as `serde_json` escapes it.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    serde_json::to_writer(&mut *out, s).expect("writing to a Vec cannot fail");
}

/// `"key":`.
pub(crate) fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

/// A number as `serde_json` writes an `f64` (`null` when not finite).
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    serde_json::to_writer(&mut *out, &v).expect("writing to a Vec cannot fail");
}

/// `["a","b"]`.
pub(crate) fn write_str_array<S: AsRef<str>>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = S>,
) {
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
            assert_eq!(
                key,
                [serde_json::to_vec(s).unwrap(), b":".to_vec()].concat()
            );
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
