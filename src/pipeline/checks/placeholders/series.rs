//! Batch detectors on columns of numbers: counts that climb by a constant step record after
//! record, metric columns that move in lockstep (correlation 0.999+), and batches whose scores or
//! follower counts barely differ (the old pipeline's 4.5-4.6 batches).

use super::{BatchFlag, BatchView, COLUMNS, Severity};

/// Records in a row with one constant step before a run counts (placeholders.md: 4+).
const MIN_RUN: usize = 4;
/// Correlation between two metric columns that real accounts never reach.
const LOCKSTEP: f64 = 0.999;
const MIN_CORRELATED: usize = 5;
/// Smallest batch whose spread means anything.
const MIN_SPREAD_BATCH: usize = 10;
/// Scores (0-100) that all fit in one point are not a measurement of different accounts.
const MAX_SCORE_RANGE: f64 = 1.0;
/// Standard deviation of log10(followers) under which a batch is one account copied.
const MIN_LOG_FOLLOWER_SD: f64 = 0.05;

pub(super) fn arithmetic_progressions(view: &BatchView, out: &mut Vec<BatchFlag>) {
    // Followers and tweets: the columns a person filling in sample rows counts up.
    for c in [0usize, 2] {
        let mut run: Vec<usize> = Vec::new();
        let mut step = 0i128;
        for i in 0..view.len() {
            let Some(v) = view.value(i, c) else {
                report_run(view, c, step, &mut run, out);
                continue;
            };
            let Some(&prev) = run.last() else {
                run.push(i);
                continue;
            };
            let d = v as i128 - view.value(prev, c).unwrap_or(0) as i128;
            if d != 0 && (run.len() == 1 || d == step) {
                step = d;
                run.push(i);
                continue;
            }
            report_run(view, c, step, &mut run, out);
            // The record before the break may start the next run with the new step.
            if d != 0 {
                run.push(prev);
                step = d;
            }
            run.push(i);
        }
        report_run(view, c, step, &mut run, out);
    }
}

/// Flags `run` when it is long enough, and empties it.
fn report_run(
    view: &BatchView,
    c: usize,
    step: i128,
    run: &mut Vec<usize>,
    out: &mut Vec<BatchFlag>,
) {
    let name = COLUMNS[c];
    if run.len() >= MIN_RUN {
        let first: Vec<String> = run
            .iter()
            .take(3)
            .filter_map(|&p| view.value(p, c))
            .map(|v| v.to_string())
            .collect();
        out.push(BatchFlag {
            detector: "arithmetic_progression",
            severity: Severity::Strong,
            reason: format!(
                "{name} change by exactly {step:+} from one record to the next over {} \
                 consecutive records ({}, ...): {}",
                run.len(),
                first.join(", "),
                view.labels(run)
            ),
            records: run.clone(),
        });
    }
    run.clear();
}

fn pearson(xs: &[f64], ys: &[f64]) -> Option<f64> {
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().sum::<f64>() / n, ys.iter().sum::<f64>() / n);
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in xs.iter().zip(ys) {
        sxy += (x - mx) * (y - my);
        sxx += (x - mx).powi(2);
        syy += (y - my).powi(2);
    }
    (sxx > 0.0 && syy > 0.0).then(|| sxy / (sxx * syy).sqrt())
}

pub(super) fn correlated_columns(view: &BatchView, out: &mut Vec<BatchFlag>) {
    let mut pairs: Vec<String> = Vec::new();
    let mut involved = vec![false; view.len()];
    for (a, name_a) in COLUMNS.iter().enumerate() {
        for (b, name_b) in COLUMNS.iter().enumerate().skip(a + 1) {
            let (mut xs, mut ys, mut idx) = (Vec::new(), Vec::new(), Vec::new());
            for i in 0..view.len() {
                if let (Some(x), Some(y)) = (view.value(i, a), view.value(i, b)) {
                    xs.push(x as f64);
                    ys.push(y as f64);
                    idx.push(i);
                }
            }
            if idx.len() < MIN_CORRELATED {
                continue;
            }
            if let Some(r) = pearson(&xs, &ys).filter(|r| *r >= LOCKSTEP) {
                pairs.push(format!("{}~{} r={r:.4} n={}", name_a, name_b, idx.len()));
                for i in idx {
                    involved[i] = true;
                }
            }
        }
    }
    if pairs.is_empty() {
        return;
    }
    // One flag for the batch: six lockstep columns give fifteen pairs, one finding.
    out.push(BatchFlag {
        detector: "lockstep_columns",
        severity: Severity::Strong,
        reason: format!(
            "metric columns move in lockstep (correlation {LOCKSTEP}+, which real accounts never \
             reach): {}",
            pairs.join("; ")
        ),
        records: (0..view.len()).filter(|&i| involved[i]).collect(),
    });
}

pub(super) fn low_variance(view: &BatchView, out: &mut Vec<BatchFlag>) {
    let scores: Vec<f64> = view
        .rows
        .iter()
        .filter_map(|r| r.score)
        .filter(|s| s.is_finite())
        .collect();
    if scores.len() >= MIN_SPREAD_BATCH {
        let lo = scores.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi - lo <= MAX_SCORE_RANGE {
            out.push(BatchFlag {
                detector: "low_variance",
                severity: Severity::Review,
                reason: format!(
                    "all {} scores of the batch lie between {lo} and {hi}: different accounts \
                     do not score within {MAX_SCORE_RANGE} point of each other",
                    scores.len()
                ),
                records: Vec::new(),
            });
        }
    }
    let logs: Vec<f64> = view
        .rows
        .iter()
        .filter_map(|r| r.metrics.followers)
        .map(|f| (f as f64 + 1.0).log10())
        .collect();
    if logs.len() >= MIN_SPREAD_BATCH {
        let n = logs.len() as f64;
        let mean = logs.iter().sum::<f64>() / n;
        let sd = (logs.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / n).sqrt();
        if sd < MIN_LOG_FOLLOWER_SD {
            out.push(BatchFlag {
                detector: "low_variance",
                severity: Severity::Review,
                reason: format!(
                    "the {} follower counts of the batch barely differ: standard deviation of \
                     log10(followers) is {sd:.3} (under {MIN_LOG_FOLLOWER_SD})",
                    logs.len()
                ),
                records: Vec::new(),
            });
        }
    }
}
