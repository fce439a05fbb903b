//! Score histogram for the console: ten bins over 0-100, with zero scores and unscored authors
//! counted apart so a pile of zeros never dwarfs the real distribution. Not a statistics library.

use super::author::AuthorRow;

pub(crate) const BINS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScoreHistogram {
    /// Scores above 0, bin i holds (10*i, 10*(i+1)]; 100 and above land in the last bin.
    pub bins: [u64; BINS],
    pub zero: u64,
    pub unscored: u64,
}

impl ScoreHistogram {
    pub(crate) fn from_rows(rows: &[AuthorRow]) -> ScoreHistogram {
        let mut h = ScoreHistogram::default();
        for row in rows {
            h.add_row(row);
        }
        h
    }

    /// Counts a row in; unscored wins: its stored number (often a 0.0) is not a measurement.
    pub(crate) fn add_row(&mut self, row: &AuthorRow) {
        *self.bin_of(Self::measured(row)) += 1;
    }

    /// Counts a row out again (it was replaced by a fresher one).
    pub(crate) fn remove(&mut self, row: &AuthorRow) {
        let bin = self.bin_of(Self::measured(row));
        *bin = bin.saturating_sub(1);
    }

    fn measured(row: &AuthorRow) -> Option<f64> {
        row.ranked_score()
    }

    #[cfg(test)]
    pub(crate) fn add(&mut self, score: Option<f64>) {
        *self.bin_of(score) += 1;
    }

    fn bin_of(&mut self, score: Option<f64>) -> &mut u64 {
        match score {
            None => &mut self.unscored,
            Some(s) if s <= 0.0 => &mut self.zero,
            Some(s) => {
                let bin = ((s / 10.0).ceil() as usize).saturating_sub(1).min(BINS - 1);
                &mut self.bins[bin]
            }
        }
    }

    /// Label of bin i, e.g. "10-20".
    pub(crate) fn label(i: usize) -> String {
        format!("{}-{}", i * 10, (i + 1) * 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_and_unscored_are_counted_apart_from_the_bins() {
        let mut h = ScoreHistogram::default();
        for s in [
            None,
            Some(0.0),
            Some(0.5),
            Some(10.0),
            Some(10.1),
            Some(100.0),
        ] {
            h.add(s);
        }
        assert_eq!(h.unscored, 1);
        assert_eq!(h.zero, 1);
        assert_eq!(h.bins[0], 2, "0.5 and 10.0 fall in 0-10");
        assert_eq!(h.bins[1], 1);
        assert_eq!(h.bins[9], 1);
    }
}
