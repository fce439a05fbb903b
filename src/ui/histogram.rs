//! Score histogram for the console: ten bins over 0-100, with zero scores and unscored authors
//! counted apart so a pile of zeros never dwarfs the real distribution. Not a statistics library.

use super::author::{AuthorRow, RowFlags};

pub const BINS: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScoreHistogram {
    /// Scores above 0, bin i holds (10*i, 10*(i+1)]; 100 and above land in the last bin.
    pub bins: [u64; BINS],
    pub zero: u64,
    pub unscored: u64,
}

impl ScoreHistogram {
    pub fn from_rows(rows: &[AuthorRow]) -> ScoreHistogram {
        let mut h = ScoreHistogram::default();
        for row in rows {
            // Unscored wins: its stored number (often a 0.0) is not a measurement.
            let measured = !row.flags.contains(RowFlags::UNSCORED);
            h.add(row.score.filter(|_| measured));
        }
        h
    }

    pub fn add(&mut self, score: Option<f64>) {
        match score {
            None => self.unscored += 1,
            Some(s) if s <= 0.0 => self.zero += 1,
            Some(s) => {
                let bin = ((s / 10.0).ceil() as usize).saturating_sub(1).min(BINS - 1);
                self.bins[bin] += 1;
            }
        }
    }

    /// Label of bin i, e.g. "10-20".
    pub fn label(i: usize) -> String {
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
