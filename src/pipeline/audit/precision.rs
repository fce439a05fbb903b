//! Follower counts that look typed by hand: exact multiples of 1000 ("1.5M" written as 1500000).
//! A milder, separate flag from placeholders: the account is real, its number is approximate.

use serde::Serialize;

use crate::pipeline::checks::placeholders::DetectorRow;

/// One follower count that is an exact multiple of 1000.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoundCount {
    pub line: usize,
    pub handle: Option<String>,
    pub followers: u64,
    #[serde(skip)]
    pub index: usize,
}

/// The round follower counts and what share of the counted records they are.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Precision {
    /// Records whose follower count is a positive exact multiple of 1000.
    pub count: usize,
    /// Records that had a follower count at all.
    pub of: usize,
    pub records: Vec<RoundCount>,
}

/// True for counts that end in 000 (0 is a real count for a new account, not a rounded one).
pub(crate) fn looks_rounded(followers: u64) -> bool {
    followers > 0 && followers.is_multiple_of(1000)
}

pub(crate) fn find(records: &[DetectorRow], lines: &[usize]) -> Precision {
    let mut out = Precision::default();
    for (i, r) in records.iter().enumerate() {
        let Some(f) = r.metrics.followers else {
            continue;
        };
        out.of += 1;
        if looks_rounded(f) {
            out.records.push(RoundCount {
                line: lines.get(i).copied().unwrap_or(i + 1),
                handle: r.handle.clone(),
                followers: f,
                index: i,
            });
        }
    }
    out.count = out.records.len();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_thousands_look_rounded_and_zero_or_odd_counts_do_not() {
        assert!(looks_rounded(1_500_000));
        assert!(looks_rounded(1000));
        assert!(!looks_rounded(0));
        assert!(!looks_rounded(4_119_068));
    }
}
