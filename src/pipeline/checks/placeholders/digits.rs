//! Batch detectors on digits: counts heaped on round numbers (typed from "1.5M", or invented),
//! and first digits that stray from Benford's law. Both are moderate: real batches can trip them,
//! so they ask for review (heaping) or only hint (Benford), never condemn a record.

use super::{BatchFlag, BatchView, COLUMNS, Severity};

/// Smallest batch in which heaping is judged (placeholders.md: 20+).
const MIN_HEAPING_BATCH: usize = 20;
/// Smallest batch for Benford (placeholders.md: 300+); smaller ones stray by chance.
const MIN_BENFORD_BATCH: usize = 300;
/// Mean absolute deviation from Benford above which first digits look made up.
const BENFORD_MAD: f64 = 0.015;

/// A round ending, the share chance gives it, and the multiple of chance that counts as heaping.
struct Ending {
    modulus: u64,
    label: &'static str,
    chance: f64,
    min_share: f64,
    min_count: usize,
}

const ENDINGS: [Ending; 2] = [
    Ending {
        modulus: 1000,
        label: "000",
        chance: 0.001,
        min_share: 0.02,
        min_count: 3,
    },
    Ending {
        modulus: 100,
        label: "00",
        chance: 0.01,
        min_share: 0.10,
        min_count: 5,
    },
];

pub(super) fn round_number_heaping(view: &BatchView, out: &mut Vec<BatchFlag>) {
    if view.len() < MIN_HEAPING_BATCH {
        return;
    }
    for (c, column) in COLUMNS.iter().enumerate() {
        for e in &ENDINGS {
            // Only counts with room for the ending: 500 cannot end in 000 by chance or otherwise.
            let eligible: Vec<(usize, u64)> = (0..view.len())
                .filter_map(|i| view.value(i, c).map(|v| (i, v)))
                .filter(|(_, v)| *v >= e.modulus)
                .collect();
            if eligible.len() < MIN_HEAPING_BATCH {
                continue;
            }
            let round: Vec<usize> = eligible
                .iter()
                .filter(|(_, v)| v % e.modulus == 0)
                .map(|(i, _)| *i)
                .collect();
            let share = round.len() as f64 / eligible.len() as f64;
            if round.len() >= e.min_count && share >= e.min_share {
                out.push(BatchFlag {
                    detector: "round_number_heaping",
                    severity: Severity::Review,
                    reason: format!(
                        "{} of {} counts of {} ({:.1}%) end in {} where chance gives {:.1}%: \
                         typed from rounded figures or invented ({})",
                        round.len(),
                        eligible.len(),
                        column,
                        share * 100.0,
                        e.label,
                        e.chance * 100.0,
                        view.labels(&round)
                    ),
                    records: round,
                });
                // "000" implies "00": one finding per column.
                break;
            }
        }
    }
}

/// First significant digit of a positive count.
fn first_digit(mut v: u64) -> usize {
    while v >= 10 {
        v /= 10;
    }
    v as usize
}

pub(super) fn benford(view: &BatchView, out: &mut Vec<BatchFlag>) {
    let values: Vec<u64> = view
        .rows
        .iter()
        .filter_map(|r| r.metrics.followers)
        .filter(|v| *v > 0)
        .collect();
    if values.len() < MIN_BENFORD_BATCH {
        return;
    }
    let mut counts = [0usize; 10];
    for v in &values {
        counts[first_digit(*v)] += 1;
    }
    let n = values.len() as f64;
    let mad = (1..=9)
        .map(|d| {
            let expected = (1.0 + 1.0 / d as f64).log10();
            (counts[d] as f64 / n - expected).abs()
        })
        .sum::<f64>()
        / 9.0;
    if mad > BENFORD_MAD {
        out.push(BatchFlag {
            detector: "benford",
            severity: Severity::Hint,
            reason: format!(
                "first digits of {} follower counts stray from Benford's law: mean absolute \
                 deviation {mad:.4} (above {BENFORD_MAD}); counts per digit 1-9: {:?}",
                values.len(),
                &counts[1..]
            ),
            records: Vec::new(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_digit_is_the_leading_significant_digit() {
        assert_eq!(first_digit(7), 7);
        assert_eq!(first_digit(229026322), 2);
        assert_eq!(first_digit(1000), 1);
    }
}
