//! SHA-256 digests as influx writes and reads them: 64 lowercase hexadecimal digits. One
//! writer for every digest influx prints or stores (provenance hashes, dataset sha256s, the
//! score version) and one reader for every check that a text is one.

/// Lowercase hex of `bytes`.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        text.push(HEX[(b >> 4) as usize] as char);
        text.push(HEX[(b & 0xf) as usize] as char);
    }
    text
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

/// SHA-256 of `bytes`, as lowercase hex.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    to_hex(&sha256(bytes))
}

/// The digest a text of 64 hexadecimal digits (either case) spells; `None` for any other text.
pub(crate) fn sha256_from_hex(text: &str) -> Option<[u8; 32]> {
    if !is_sha256_hex(text) {
        return None;
    }
    // A checked digit's value without a branch: '0'..='9' are 0x30..0x39 (bit 6 clear), the
    // letters of either case 0x41..0x46 and 0x61..0x66 (bit 6 set, low nibble 1..6). Each
    // record proved decodes one digest, so this runs a million times per audit.
    let digit = |c: u8| (c & 0x0f) + 9 * (c >> 6);
    let mut out = [0u8; 32];
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *byte = digit(pair[0]) << 4 | digit(pair[1]);
    }
    Some(out)
}

/// 64 hexadecimal digits of either case. Every byte is looked at without stopping early, which
/// lets the loop run on whole vectors: nearly every record carries a real digest, so it is read
/// to the end anyway (this check was a tenth of the audit's schema time).
pub(crate) fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64
        && s.bytes().fold(true, |ok, c| {
            ok & ((c.wrapping_sub(b'0') < 10) | ((c | 0x20).wrapping_sub(b'a') < 6))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_written_as_two_lowercase_digits_each() {
        assert_eq!(to_hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(to_hex(&[]), "");
    }

    #[test]
    fn a_digest_is_exactly_64_ascii_hex_digits_of_either_case() {
        for b in 0u8..=255 {
            let s: String = std::iter::repeat_n(b as char, 64).collect();
            let expected = b.is_ascii_hexdigit();
            assert_eq!(is_sha256_hex(&s), expected, "{b:#x}");
        }
        assert!(is_sha256_hex(&format!(
            "{}{}",
            "A".repeat(32),
            "9".repeat(32)
        )));
        assert!(!is_sha256_hex(&"f".repeat(63)));
        assert!(!is_sha256_hex(&"f".repeat(65)));
    }

    #[test]
    fn a_hex_digest_reads_back_to_its_bytes_and_other_text_does_not() {
        let d = sha256(b"influx");
        assert_eq!(sha256_from_hex(&to_hex(&d)), Some(d));
        assert_eq!(sha256_from_hex(&to_hex(&d).to_uppercase()), Some(d));
        assert_eq!(sha256_from_hex("abc"), None);
        for (c, value) in "0123456789abcdefABCDEF".chars().zip((0..16).chain(10..16)) {
            let text: String = std::iter::repeat_n(c, 64).collect();
            assert_eq!(
                sha256_from_hex(&text),
                Some([value << 4 | value; 32]),
                "{c}"
            );
        }
    }
}
