//! Piecewise-linear maps through frozen knots: a feature value to its reference percentile
//! (winsorized at p1/p99), and the composite to the calibrated score. Not here: where the knots
//! come from (see `reference`).

/// The reference percentiles every feature's knots sit at. Few knots on purpose: with 71
/// reference accounts, finer quantiles would be single accounts.
pub(crate) const PERCENTILES: [f64; 7] = [1.0, 5.0, 25.0, 50.0, 75.0, 95.0, 99.0];

/// The `p`-th percentile (0-100) of sorted values, interpolated between order statistics
/// (Hyndman and Fan type 7, the default of R and NumPy). `None` for no values.
pub(crate) fn quantile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let h = last as f64 * (p / 100.0).clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(last);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// Evaluates the non-decreasing piecewise-linear function through (xs[i], ys[i]); flat beyond the
/// ends. Tied xs take the highest y of the tie, which keeps the map non-decreasing.
pub(crate) fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> f64 {
    debug_assert_eq!(xs.len(), ys.len());
    // Index of the first knot strictly above x: with the knots sorted, the count of those at or
    // below it. Counting all of them (a handful) has no branch to mispredict, unlike a search.
    debug_assert!(xs.is_sorted());
    let upper = xs.iter().filter(|k| **k <= x).count();
    if upper == 0 {
        return ys[0];
    }
    if upper == xs.len() {
        return ys[ys.len() - 1];
    }
    let (x0, x1, y0, y1) = (xs[upper - 1], xs[upper], ys[upper - 1], ys[upper]);
    y0 + (x - x0) / (x1 - x0) * (y1 - y0)
}

/// Where a value stands in the reference, as a percentile between 1 and 99.
pub(crate) fn percentile(knots: &[f64; 7], x: f64) -> f64 {
    interpolate(knots, &PERCENTILES, x)
}

/// A percentile as a 0-1 share of the p1..p99 span: p1 and below is 0, p99 and above is 1.
pub(crate) fn unit(percentile: f64) -> f64 {
    ((percentile - 1.0) / 98.0).clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 50.0), Some(3.0));
        assert_eq!(quantile(&v, 25.0), Some(2.0));
        assert_eq!(quantile(&v, 10.0), Some(1.4));
        assert_eq!(quantile(&v, 100.0), Some(5.0));
        assert_eq!(quantile(&[], 50.0), None);
    }

    #[test]
    fn percentiles_are_winsorized_at_the_outer_knots() {
        let k = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert_eq!(percentile(&k, -10.0), 1.0);
        assert_eq!(percentile(&k, 60.0), 99.0);
        assert_eq!(percentile(&k, 3.0), 50.0);
        assert_eq!(percentile(&k, 3.5), 62.5);
    }

    #[test]
    fn tied_knots_never_make_the_map_go_down() {
        let k = [0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0];
        let mut last = f64::MIN;
        for i in -10..=30 {
            let p = percentile(&k, i as f64 / 10.0);
            assert!(p >= last, "{p} after {last} at {i}");
            last = p;
        }
        assert_eq!(percentile(&k, 0.0), 25.0);
    }
}
