//! Score histogram: 10 bins of width 10 over M2's 0-100, with zero scores counted visibly and
//! unscored records counted apart (an unscored record has no place on the scale). Built record by
//! record with [`Histogram::add`], so the console can keep one up to date while scores arrive.

use serde::ser::{Serialize, SerializeStruct, Serializer};

/// Counts of scores per bin `[0,10) [10,20) ... [90,100]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Histogram {
    pub bins: [u64; 10],
    /// Scores exactly 0 (also counted in the first bin): the old pipeline's silent failure.
    pub zero: u64,
    /// Records with no usable score, kept off the scale.
    pub unscored: u64,
    /// Scores below 0, above 100, or not a number.
    pub out_of_range: u64,
}

impl Histogram {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Counts one record: `None` when it has no usable score.
    /// Adds the counts of another histogram (of other records).
    pub(crate) fn absorb(&mut self, other: &Histogram) {
        for (bin, n) in self.bins.iter_mut().zip(other.bins) {
            *bin += n;
        }
        self.zero += other.zero;
        self.unscored += other.unscored;
        self.out_of_range += other.out_of_range;
    }

    pub(crate) fn add(&mut self, score: Option<f64>) {
        let Some(s) = score else {
            self.unscored += 1;
            return;
        };
        match Self::bin_of(s) {
            Some(b) => {
                self.bins[b] += 1;
                if s == 0.0 {
                    self.zero += 1;
                }
            }
            None => self.out_of_range += 1,
        }
    }

    /// The bin a score falls in; 100 belongs to the last bin.
    pub(crate) fn bin_of(score: f64) -> Option<usize> {
        (0.0..=100.0)
            .contains(&score)
            .then(|| ((score / 10.0) as usize).min(9))
    }

    /// `"0-10"`, `"10-20"`, ... `"90-100"`.
    pub(crate) fn label(bin: usize) -> String {
        format!("{}-{}", bin * 10, bin * 10 + 10)
    }

    /// Records placed on the scale.
    pub fn scored(&self) -> u64 {
        self.bins.iter().sum()
    }

    #[cfg(test)]
    /// Every record counted, on the scale or not.
    pub(crate) fn total(&self) -> u64 {
        self.scored() + self.unscored + self.out_of_range
    }
}

impl Serialize for Histogram {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(serde::Serialize)]
        struct Bin {
            range: String,
            count: u64,
        }
        let bins: Vec<Bin> = (0..10)
            .map(|b| Bin {
                range: Self::label(b),
                count: self.bins[b],
            })
            .collect();
        let mut s = serializer.serialize_struct("Histogram", 5)?;
        s.serialize_field("bins", &bins)?;
        s.serialize_field("zero", &self.zero)?;
        s.serialize_field("scored", &self.scored())?;
        s.serialize_field("unscored", &self.unscored)?;
        s.serialize_field("out_of_range", &self.out_of_range)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_fall_in_tens_with_100_in_the_last_bin_and_zero_seen_apart() {
        let mut h = Histogram::new();
        for s in [0.0, 9.99, 10.0, 55.5, 100.0] {
            h.add(Some(s));
        }
        h.add(None);
        h.add(Some(-1.0));
        h.add(Some(f64::NAN));
        assert_eq!(h.bins, [2, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
        assert_eq!((h.zero, h.unscored, h.out_of_range), (1, 1, 2));
        assert_eq!((h.scored(), h.total()), (5, 8));
    }

    #[test]
    fn bins_serialise_with_their_ranges() {
        let mut h = Histogram::new();
        h.add(Some(95.0));
        let v = serde_json::to_value(h).unwrap();
        assert_eq!(v["bins"][9]["range"], "90-100");
        assert_eq!(v["bins"][9]["count"], 1);
    }
}
