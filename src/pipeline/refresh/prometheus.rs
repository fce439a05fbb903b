//! The data directory's figures in the Prometheus text exposition format (version 0.0.4), for
//! node_exporter's textfile collector: each metric with its HELP and TYPE lines, the file
//! replaced atomically so the collector never reads half of it.

use std::fmt::Write as _;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::{Census, LastRefresh, RefreshError};
use crate::dataset::AtomicFile;
use crate::pipeline::score::knots::quantile;

/// The quantiles of the score reported.
pub(crate) const QUANTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// What the metrics file reports: the census of the stored dataset after the refresh, and
/// the refresh itself.
pub(crate) struct Figures<'a> {
    pub census: &'a Census,
    pub last: Option<&'a LastRefresh>,
    /// Requests and 429 answers over the directory's life, from the ledger.
    pub requests_total: u64,
    pub throttled_total: u64,
}

fn metric(out: &mut String, name: &str, kind: &str, help: &str, samples: &[(String, f64)]) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{labels} {}", number(*value));
    }
}

/// A sample value: integers without a fraction, others as Rust writes them (both are valid
/// Go `ParseFloat` input, which is what Prometheus reads).
fn number(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

fn plain(v: f64) -> Vec<(String, f64)> {
    vec![(String::new(), v)]
}

fn seconds(t: Option<DateTime<Utc>>) -> f64 {
    t.map_or(0.0, |t| t.timestamp_millis() as f64 / 1000.0)
}

/// The exposition text.
pub(crate) fn render(f: &Figures<'_>) -> String {
    let c = f.census;
    let mut out = String::new();
    metric(
        &mut out,
        "influx_authors",
        "gauge",
        "Authors in the stored dataset (distinct handles).",
        &plain(c.authors as f64),
    );
    metric(
        &mut out,
        "influx_unscored",
        "gauge",
        "Authors without a usable score.",
        &plain(c.unscored as f64),
    );
    metric(
        &mut out,
        "influx_zero_scores",
        "gauge",
        "Authors whose stored score is 0.",
        &plain(c.zero_scores as f64),
    );
    metric(
        &mut out,
        "influx_placeholders",
        "gauge",
        "Authors a sample-data placeholder detector flags.",
        &plain(c.placeholders as f64),
    );
    metric(
        &mut out,
        "influx_unverified",
        "gauge",
        "Authors claiming an API source that cannot be proved against the raw answers (unverifiable or mismatch).",
        &plain(c.unverified as f64),
    );
    metric(
        &mut out,
        "influx_growth_flagged",
        "gauge",
        "Authors whose follower history is flagged (spike or drop).",
        &plain(c.growth_flagged as f64),
    );
    metric(
        &mut out,
        "influx_stale_authors",
        "gauge",
        "Authors last refreshed longer ago than stale_after.",
        &plain(c.stale as f64),
    );
    metric(
        &mut out,
        "influx_refresh_last_success_timestamp_seconds",
        "gauge",
        "When the last refresh that exited 0 finished (0: never).",
        &plain(seconds(f.last.and_then(|l| l.last_success_at))),
    );
    metric(
        &mut out,
        "influx_refresh_last_exit_code",
        "gauge",
        "Exit code of the last refresh (0 all refreshed, 1 some left out, 2 nothing could be done).",
        &plain(f.last.map_or(0.0, |l| f64::from(l.exit))),
    );
    metric(
        &mut out,
        "influx_refresh_spend_usd",
        "gauge",
        "What the last refresh spent, in USD.",
        &plain(f.last.map_or(0.0, |l| l.spend_usd)),
    );
    metric(
        &mut out,
        "influx_api_requests_total",
        "counter",
        "X API requests answered, over every harvest of this data directory.",
        &plain(f.requests_total as f64),
    );
    metric(
        &mut out,
        "influx_api_429_total",
        "counter",
        "429 answers (rate limited), over every harvest of this data directory.",
        &plain(f.throttled_total as f64),
    );
    let samples: Vec<(String, f64)> = QUANTILES
        .iter()
        .map(|&q| {
            (
                format!("{{quantile=\"{q}\"}}"),
                quantile(&c.scores, q * 100.0).unwrap_or(f64::NAN),
            )
        })
        .collect();
    let _ = writeln!(out, "# HELP influx_score M2 score of the scored authors.");
    let _ = writeln!(out, "# TYPE influx_score summary");
    for (labels, value) in &samples {
        let _ = writeln!(out, "influx_score{labels} {}", number(*value));
    }
    let _ = writeln!(out, "influx_score_sum {}", number(c.scores.iter().sum()));
    let _ = writeln!(out, "influx_score_count {}", c.scores.len());
    out
}

/// Writes the exposition text to `path`, replacing the file atomically.
pub(crate) fn write(path: &Path, f: &Figures<'_>) -> Result<(), RefreshError> {
    AtomicFile::write_bytes(path, render(f).as_bytes()).map_err(RefreshError::Dataset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_help_and_type_and_the_quantiles_are_labelled() {
        let census = Census {
            authors: 3,
            unscored: 1,
            scores: vec![10.0, 20.0, 30.0],
            ..Census::default()
        };
        let text = render(&Figures {
            census: &census,
            last: None,
            requests_total: 7,
            throttled_total: 1,
        });
        assert!(
            text.contains("# TYPE influx_authors gauge\ninflux_authors 3\n"),
            "{text}"
        );
        assert!(
            text.contains("influx_score{quantile=\"0.5\"} 20\n"),
            "{text}"
        );
        assert!(text.contains("influx_api_429_total 1\n"));
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split(['{', ' ']).next().unwrap();
            let family = name.trim_end_matches("_sum").trim_end_matches("_count");
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "{name} has a TYPE line"
            );
            assert!(
                text.contains(&format!("# HELP {family} ")),
                "{name} has a HELP line"
            );
        }
    }
}
