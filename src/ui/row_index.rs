//! Which authors the table shows, in which order: a filtered, sorted list of row numbers,
//! recomputed only when the rows, the filter or the sort change (never per frame).
//! [`compute`] is the definition; the console gets the same list faster by filtering a cached
//! full order ([`super::row_order`]) with [`filter_order`], or by narrowing the list it shows.

use std::cmp::Ordering;

use rayon::prelude::*;

use super::author::{AuthorRow, RowFlags};

/// The column the authors table is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// Best score first; unscored last.
    #[default]
    Score,
    Handle,
    Followers,
    /// Rows needing attention first.
    Flags,
    /// The order of the file.
    Line,
}

impl SortKey {
    pub(crate) fn next(self) -> SortKey {
        match self {
            SortKey::Score => SortKey::Handle,
            SortKey::Handle => SortKey::Followers,
            SortKey::Followers => SortKey::Flags,
            SortKey::Flags => SortKey::Line,
            SortKey::Line => SortKey::Score,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            SortKey::Score => "score",
            SortKey::Handle => "handle",
            SortKey::Followers => "followers",
            SortKey::Flags => "flags",
            SortKey::Line => "file order",
        }
    }
}

/// What narrows the table: free text (`/`) and at most one counter's flag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowFilter {
    pub text: String,
    pub flag: Option<RowFlags>,
}

impl RowFilter {
    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty() && self.flag.is_none()
    }

    /// What the text filter looks for: lower case, without a leading `@`.
    pub(crate) fn needle(&self) -> String {
        self.text.trim().trim_start_matches('@').to_lowercase()
    }

    /// True when every row this filter keeps is kept by `wider` too (typing that extends the
    /// text, or adding a flag): the shown list can then be narrowed instead of rebuilt.
    pub(crate) fn narrows(&self, wider: &RowFilter) -> bool {
        (wider.flag.is_none() || wider.flag == self.flag) && self.needle().contains(&wider.needle())
    }

    pub(crate) fn keeps(&self, row: &AuthorRow, needle: &str) -> bool {
        self.flag.is_none_or(|f| row.flags.contains(f))
            && (needle.is_empty() || row.search.contains(needle))
    }

    /// [`RowFilter::keeps`] with the needle prepared once (a SIMD substring search), for testing
    /// a million rows per keystroke.
    pub(crate) fn matcher(&self) -> impl Fn(&AuthorRow) -> bool + Sync + use<> {
        let needle = self.needle();
        let finder = memchr::memmem::Finder::new(needle.as_bytes()).into_owned();
        let flag = self.flag;
        move |row: &AuthorRow| {
            flag.is_none_or(|f| row.flags.contains(f))
                && (needle.is_empty() || finder.find(row.search.as_bytes()).is_some())
        }
    }
}

/// Row numbers into the author list, filtered and sorted: the definition of what the table
/// shows, by a plain filter and sort. The console computes the same list with [`filter_order`];
/// the tests hold it to this one.
#[cfg(test)]
pub(crate) fn compute(
    rows: &[AuthorRow],
    filter: &RowFilter,
    sort: SortKey,
    reverse: bool,
) -> Vec<u32> {
    let needle = filter.needle();
    let mut index: Vec<u32> = (0..rows.len() as u32)
        .filter(|&i| filter.keeps(&rows[i as usize], &needle))
        .collect();
    if sort != SortKey::Line {
        index.sort_unstable_by(|&a, &b| compare(rows, sort, a, b));
    }
    if reverse {
        index.reverse();
    }
    index
}

/// The table's order of two rows (before any reversal): by the sort column, ties by row number.
pub(crate) fn compare(rows: &[AuthorRow], sort: SortKey, a: u32, b: u32) -> Ordering {
    let (ra, rb) = (&rows[a as usize], &rows[b as usize]);
    let primary = match sort {
        SortKey::Score => cmp_desc_none_last(ra.ranked_score(), rb.ranked_score()),
        SortKey::Handle => ra.search.cmp(&rb.search),
        SortKey::Followers => cmp_desc_none_last(
            ra.followers.map(|f| f as f64),
            rb.followers.map(|f| f as f64),
        ),
        SortKey::Flags => attention(rb.flags).cmp(&attention(ra.flags)),
        SortKey::Line => Ordering::Equal,
    };
    primary.then(a.cmp(&b))
}

/// The rows of `order` (already sorted) that `filter` keeps, in that order, reversed if asked.
/// No sort is needed: a filtered sorted list stays sorted. The rows are tested in row order, in
/// parallel (memory read front to back), and the sorted list is then walked against the answers:
/// testing in the sorted order would jump around a million rows and their strings.
pub(crate) fn filter_order(
    rows: &[AuthorRow],
    order: &[u32],
    filter: &RowFilter,
    reverse: bool,
) -> Vec<u32> {
    let mut index: Vec<u32> = if filter.is_empty() {
        order.to_vec()
    } else if order.len() < rows.len() / 16 {
        // A short list (typing that narrows a few matches): test just those.
        let keeps = filter.matcher();
        order
            .iter()
            .copied()
            .filter(|&i| keeps(&rows[i as usize]))
            .collect()
    } else {
        let keeps = filter.matcher();
        let kept: Vec<bool> = rows.par_iter().with_min_len(4096).map(&keeps).collect();
        order
            .iter()
            .copied()
            .filter(|&i| kept[i as usize])
            .collect()
    };
    if reverse {
        index.reverse();
    }
    index
}

fn cmp_desc_none_last(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(x), Some(y)) => y.total_cmp(&x),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// How many attention flags a row carries (the Flags column sorts by it, most first).
pub(crate) fn attention(flags: RowFlags) -> u8 {
    [
        RowFlags::PLACEHOLDER,
        RowFlags::SCHEMA,
        RowFlags::ZERO,
        RowFlags::UNSCORED,
        RowFlags::DUPLICATE,
    ]
    .iter()
    .filter(|f| flags.contains(**f))
    .count() as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(handle: &str, score: Option<f64>) -> AuthorRow {
        AuthorRow::new(handle, "", score, None, RowFlags::default())
    }

    #[test]
    fn score_sort_puts_best_first_and_unscored_last() {
        let rows = vec![row("a", Some(1.0)), row("b", None), row("c", Some(9.0))];
        assert_eq!(
            compute(&rows, &RowFilter::default(), SortKey::Score, false),
            vec![2, 0, 1]
        );
    }

    #[test]
    fn text_filter_matches_handle_case_insensitively_and_ignores_the_at_sign() {
        let rows = vec![row("ElonMusk", None), row("BillGates", None)];
        let filter = RowFilter {
            text: "@elon".into(),
            flag: None,
        };
        assert_eq!(compute(&rows, &filter, SortKey::Line, false), vec![0]);
    }
}
