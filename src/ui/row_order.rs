//! Every row in the order of each sort column, built once per column with integer keys and kept,
//! so a re-sort is a lookup and a live update moves only the rows that changed. The order is the
//! one [`super::row_index::compare`] defines; this module only makes it cheap. Not the filter.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::author::AuthorRow;
use super::row_index::{SortKey, attention, compare};

const KEYS: usize = 5;

/// The full order of every row, per sort column, computed on first use.
#[derive(Debug, Clone, Default)]
pub struct SortedOrders {
    orders: [Option<Vec<u32>>; KEYS],
}

impl SortedOrders {
    /// The order of all rows by `key` (ascending as the column defines it, never reversed).
    pub(crate) fn get(&mut self, rows: &[AuthorRow], key: SortKey) -> &[u32] {
        self.orders[slot(key)].get_or_insert_with(|| full_order(rows, key))
    }

    /// Forgets every order (the rows were replaced wholesale).
    pub(crate) fn clear(&mut self) {
        self.orders = Default::default();
    }

    /// Moves the `changed` rows (existing rows whose figures changed, and rows appended since the
    /// orders were built) to where they now belong, in every order already built.
    pub(crate) fn rows_changed(&mut self, rows: &[AuthorRow], changed: &[u32]) {
        for (i, order) in self.orders.iter_mut().enumerate() {
            if let Some(order) = order {
                let key = KEY_OF_SLOT[i];
                patch(order, rows, changed, |a, b| compare(rows, key, a, b));
            }
        }
    }
}

const KEY_OF_SLOT: [SortKey; KEYS] = [
    SortKey::Score,
    SortKey::Handle,
    SortKey::Followers,
    SortKey::Flags,
    SortKey::Line,
];

fn slot(key: SortKey) -> usize {
    KEY_OF_SLOT
        .iter()
        .position(|k| *k == key)
        .expect("every sort key has a slot")
}

/// All rows sorted by `key`, ties by row number: the same order as sorting with
/// [`compare`], but with keys packed into integers so the sort does no float or string work
/// per comparison (except for equal 16-byte handle prefixes).
pub fn full_order(rows: &[AuthorRow], key: SortKey) -> Vec<u32> {
    let n = rows.len() as u32;
    match key {
        SortKey::Line => (0..n).collect(),
        SortKey::Score => by_packed_key(rows, |r| desc_none_last(r.ranked_score())),
        SortKey::Followers => {
            by_packed_key(rows, |r| desc_none_last(r.followers.map(|f| f as f64)))
        }
        SortKey::Flags => {
            // Five attention levels: a counting pass in row order keeps ties by row number.
            let mut buckets: [Vec<u32>; 6] = Default::default();
            for (i, r) in rows.iter().enumerate() {
                buckets[5 - attention(r.flags) as usize].push(i as u32);
            }
            buckets.concat()
        }
        SortKey::Handle => {
            let mut keyed: Vec<(u128, u32)> = rows
                .par_iter()
                .enumerate()
                .map(|(i, r)| (prefix(&r.search), i as u32))
                .collect();
            keyed.par_sort_unstable_by(|a, b| {
                a.0.cmp(&b.0)
                    .then_with(|| compare(rows, SortKey::Handle, a.1, b.1))
            });
            keyed.into_iter().map(|(_, i)| i).collect()
        }
    }
}

/// Sorts by a 96-bit key (`(None after Some) | u64 order`) with the row number below it, so
/// every key is distinct and an unstable sort gives the stable order.
fn by_packed_key(rows: &[AuthorRow], key: impl Fn(&AuthorRow) -> (bool, u64) + Sync) -> Vec<u32> {
    let mut packed: Vec<u128> = rows
        .par_iter()
        .enumerate()
        .map(|(i, r)| {
            let (none, k) = key(r);
            ((none as u128) << 96) | ((k as u128) << 32) | i as u128
        })
        .collect();
    packed.par_sort_unstable();
    packed.into_iter().map(|p| p as u32).collect()
}

/// An ascending integer key for "largest first, None last", agreeing with `f64::total_cmp`.
fn desc_none_last(v: Option<f64>) -> (bool, u64) {
    match v {
        None => (true, 0),
        Some(x) => {
            let bits = x.to_bits();
            // Ascending total order: flip all bits of negatives, set the sign bit of positives.
            let ascending = if bits >> 63 == 1 {
                !bits
            } else {
                bits | 1 << 63
            };
            (false, !ascending)
        }
    }
}

/// The first 16 bytes as a big-endian number (zero-padded): ordered as the strings are, when it
/// differs.
fn prefix(s: &str) -> u128 {
    let mut buf = [0u8; 16];
    let n = s.len().min(16);
    buf[..n].copy_from_slice(&s.as_bytes()[..n]);
    u128::from_be_bytes(buf)
}

/// Removes the `changed` rows from a sorted `order` and puts back, where `cmp` places them, those
/// `keep` accepts. O(n) copying and O(k log n) comparisons for k changed rows; the rows not
/// changed keep their relative order, so the result is what a full sort would give.
pub(crate) fn patch_where(
    order: &mut Vec<u32>,
    rows_len: usize,
    changed: &[u32],
    keep: impl Fn(u32) -> bool,
    cmp: impl Fn(u32, u32) -> Ordering,
) {
    if changed.is_empty() {
        return;
    }
    let mut moved = vec![false; rows_len];
    for &c in changed {
        moved[c as usize] = true;
    }
    order.retain(|&r| !moved[r as usize]);
    let mut inserts: Vec<u32> = changed.iter().copied().filter(|&c| keep(c)).collect();
    inserts.sort_unstable_by(|&a, &b| cmp(a, b));
    inserts.dedup();
    let mut merged = Vec::with_capacity(order.len() + inserts.len());
    let mut rest: &[u32] = order;
    for ins in inserts {
        let at = rest.partition_point(|&r| cmp(r, ins) == Ordering::Less);
        merged.extend_from_slice(&rest[..at]);
        merged.push(ins);
        rest = &rest[at..];
    }
    merged.extend_from_slice(rest);
    *order = merged;
}

fn patch(
    order: &mut Vec<u32>,
    rows: &[AuthorRow],
    changed: &[u32],
    cmp: impl Fn(u32, u32) -> Ordering,
) {
    patch_where(order, rows.len(), changed, |_| true, cmp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::author::RowFlags;
    use proptest::prelude::*;

    fn reference(rows: &[AuthorRow], key: SortKey) -> Vec<u32> {
        let mut all: Vec<u32> = (0..rows.len() as u32).collect();
        all.sort_by(|&a, &b| compare(rows, key, a, b));
        all
    }

    fn value() -> impl Strategy<Value = Option<f64>> {
        prop_oneof![
            Just(None),
            Just(Some(0.0)),
            Just(Some(-0.0)),
            Just(Some(-1.5)),
            Just(Some(f64::INFINITY)),
            (0.0f64..100.0).prop_map(Some),
        ]
    }

    fn row() -> impl Strategy<Value = AuthorRow> {
        (
            "[ab_]{0,10}",
            "[ab ]{0,3}",
            value(),
            prop::option::of(prop_oneof![
                Just(u64::MAX),
                Just((1u64 << 53) + 1),
                0u64..50
            ]),
            any::<u8>(),
        )
            .prop_map(|(h, n, s, f, bits)| {
                let mut flags = RowFlags::default();
                for (i, flag) in [RowFlags::ZERO, RowFlags::PLACEHOLDER, RowFlags::SCHEMA]
                    .into_iter()
                    .enumerate()
                {
                    if bits & (1 << i) != 0 {
                        flags.insert(flag);
                    }
                }
                AuthorRow::new(&h, &n, s, f, flags)
            })
    }

    const ALL: [SortKey; KEYS] = KEY_OF_SLOT;

    proptest! {
        #[test]
        fn integer_keyed_orders_equal_the_comparison_sort(rows in prop::collection::vec(row(), 0..60)) {
            for key in ALL {
                prop_assert_eq!(full_order(&rows, key), reference(&rows, key), "{:?}", key);
            }
        }

        #[test]
        fn patched_orders_equal_a_fresh_sort_of_the_changed_rows(
            mut rows in prop::collection::vec(row(), 1..40),
            changes in prop::collection::vec((any::<usize>(), row()), 0..8),
            appended in prop::collection::vec(row(), 0..4),
        ) {
            let mut orders = SortedOrders::default();
            for key in ALL {
                orders.get(&rows, key);
            }
            let mut changed = Vec::new();
            for (i, r) in changes {
                let i = i % rows.len();
                rows[i] = r;
                changed.push(i as u32);
            }
            for r in appended {
                changed.push(rows.len() as u32);
                rows.push(r);
            }
            orders.rows_changed(&rows, &changed);
            for key in ALL {
                prop_assert_eq!(orders.get(&rows, key).to_vec(), reference(&rows, key), "{:?}", key);
            }
        }
    }
}
