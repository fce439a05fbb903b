//! A fast hash for the merge's in-memory indexes (a million handles, ids and row numbers per
//! plan). The keys come from the operator's own files, not from an adversary, so the standard
//! library's flood-resistant (and several times slower) SipHash buys nothing here.
//! Not here: anything persisted or compared across runs.

use std::collections::{HashMap, HashSet};

/// rustc's multiply-rotate hash (the `rustc-hash` crate), a word at a time.
pub(super) type KeyMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;
pub(super) type KeySet<K> = HashSet<K, rustc_hash::FxBuildHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_differing_in_any_byte_or_length_land_apart() {
        let mut seen = KeySet::default();
        for h in [
            "a",
            "a\0",
            "ab",
            "gen_1_1",
            "gen_1_10",
            "gen_1_100000",
            "gen_1_100001",
        ] {
            assert!(seen.insert(h.to_string()), "{h}");
        }
        let map: KeyMap<String, u32> = [("x".to_string(), 1)].into_iter().collect();
        assert_eq!(map.get("x"), Some(&1));
        assert_eq!(map.get("y"), None);
    }
}
