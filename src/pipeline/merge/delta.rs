//! Which records of a newly written version were not copied byte for byte from the version it
//! was built on. The history uses it to record only those: the copied ones say what they said
//! when the base version was recorded, so recording them again adds nothing (same author, same
//! time) and costs a million look-ups at a million authors.

use std::collections::{HashMap, HashSet};

/// The records of a new version that are not byte-identical copies of its base's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionDelta {
    /// The version whose rows the untouched records were copied from, and its sha256 (the
    /// history takes the delta only from a version it recorded with the same bytes).
    pub base_version: u64,
    pub base_sha256: String,
    /// Ordinals (0-based, in the new file) of the stored rows written anew, ascending.
    pub rewritten: Vec<u64>,
    /// Records from this ordinal on are new authors.
    pub appended_from: u64,
}

impl VersionDelta {
    /// The delta of a merge onto `base_version` whose base has `stored_rows` rows, of which
    /// `replace` are rewritten and `drop` left out (ordinals in the base).
    pub(crate) fn of_edits<V>(
        (base_version, base_sha256): (u64, String),
        stored_rows: usize,
        replace: &HashMap<u32, V>,
        drop: &HashSet<u32>,
    ) -> VersionDelta {
        let mut dropped: Vec<u32> = drop.iter().copied().collect();
        dropped.sort_unstable();
        let mut replaced: Vec<u32> = replace.keys().copied().collect();
        replaced.sort_unstable();
        // A row's place in the new file: its ordinal less the dropped rows before it.
        let mut before = 0usize;
        let rewritten = replaced
            .into_iter()
            .map(|row| {
                while before < dropped.len() && dropped[before] < row {
                    before += 1;
                }
                u64::from(row) - before as u64
            })
            .collect();
        VersionDelta {
            base_version,
            base_sha256,
            rewritten,
            appended_from: (stored_rows - dropped.len()) as u64,
        }
    }

    /// True when the record at `ordinal` of the new file is a copy of a base row.
    pub(crate) fn is_copied(&self, ordinal: u64) -> bool {
        ordinal < self.appended_from && self.rewritten.binary_search(&ordinal).is_err()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewritten_row_moves_up_by_the_dropped_rows_before_it_and_new_authors_follow_the_kept_ones()
    {
        // Base rows 0..6; row 1 dropped (folded into row 4), rows 3 and 4 rewritten.
        let replace: HashMap<u32, ()> = [(3, ()), (4, ())].into();
        let drop: HashSet<u32> = [1].into();
        let delta = VersionDelta::of_edits((7, "ab".into()), 6, &replace, &drop);
        assert_eq!(delta.rewritten, vec![2, 3]);
        assert_eq!(delta.appended_from, 5);
        let copied: Vec<u64> = (0..8).filter(|&i| delta.is_copied(i)).collect();
        // New file: base rows 0, 2, 3*, 4*, 5, then two new authors.
        assert_eq!(copied, vec![0, 1, 4]);
    }
}
