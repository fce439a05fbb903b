//! Publishing for consumers. `influx release [--data DIR] [--out DIR] [--allow CHECK]...`: the
//! current version's admitted authors as JSONL, gzipped JSONL and Parquet with a manifest, all
//! or nothing; `influx release --check DIR`: a release against its manifest. Also the Parquet
//! behind `influx export --format parquet` and `influx history export` (the lake).
//! Exit 0 published (or already current) / whole, 1 a gate failed / the release differs from
//! its manifest, 2 nothing to release or unreadable.

use std::path::{Path, PathBuf};

use color_eyre::eyre::eyre;
use serde_json::json;

use super::Exit;
use super::output::{Mode, json_line};
use crate::pipeline::audit::Gate;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::release::{self, ReleaseError};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset directory (holds latest/ and runs/).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// Release directory [default: DIR/release].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// CHECK: relax one release gate (unscored, zero_scores, placeholders, mismatch,
    /// unverifiable), as `influx audit --allow` does.
    #[arg(long, value_name = "CHECK")]
    pub allow: Vec<Gate>,
    /// Check the release in DIR (a release directory or one release) against its manifest
    /// instead of publishing.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["out", "allow"])]
    pub check: Option<PathBuf>,
    /// JSON even on a terminal.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    if let Some(dir) = &args.check {
        return check(dir, mode);
    }
    match release::release(&DataDir::new(&args.data), args.out.as_deref(), &args.allow) {
        Ok(outcome) => {
            match mode {
                Mode::JsonLines => json_line(&outcome),
                Mode::Human if outcome.published => println!(
                    "release {} published: {} authors of version {} in {}",
                    outcome.release,
                    outcome.manifest.count,
                    outcome.manifest.dataset_version,
                    outcome.dir.display()
                ),
                Mode::Human => println!(
                    "release {} already holds version {}: nothing new published",
                    outcome.release, outcome.manifest.dataset_version
                ),
            }
            Ok(Exit::Ok)
        }
        Err(ReleaseError::GateFailed(failures)) => {
            if mode == Mode::JsonLines {
                json_line(&json!({"event": "gate_failed", "failures": failures}));
            }
            // The error's own words name the first records of each gate; --json lists all.
            eprintln!("influx release: {}", ReleaseError::GateFailed(failures));
            Ok(Exit::GateFailed)
        }
        Err(e) => {
            if mode == Mode::JsonLines {
                json_line(&json!({"event": "error", "error": e.to_string()}));
            }
            eprintln!("influx release: {e}");
            Ok(Exit::Unusable)
        }
    }
}

fn check(dir: &Path, mode: Mode) -> color_eyre::Result<Exit> {
    let outcome = match release::check_release(dir) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("influx release --check: {e}");
            return Ok(Exit::Unusable);
        }
    };
    match mode {
        Mode::JsonLines => json_line(&json!({
            "dir": outcome.dir, "release": outcome.release, "count": outcome.count,
            "whole": outcome.whole(), "differences": outcome.differences,
        })),
        Mode::Human if outcome.whole() => println!(
            "release {} in {} is whole: {} authors",
            outcome.release,
            outcome.dir.display(),
            outcome.count
        ),
        Mode::Human => {
            for d in &outcome.differences {
                println!("{d}");
            }
        }
    }
    Ok(if outcome.whole() {
        Exit::Ok
    } else {
        Exit::GateFailed
    })
}

/// `influx export --format parquet --out FILE`: the author table, written atomically.
pub(crate) fn export_parquet(latest: &Path, out: Option<&Path>) -> color_eyre::Result<Exit> {
    let Some(out) = out else {
        eprintln!("influx export: --format parquet needs --out FILE (Parquet is not a stream)");
        return Ok(Exit::Unusable);
    };
    match crate::pipeline::parquet::authors_parquet(latest) {
        Ok((bytes, rows)) => {
            crate::dataset::AtomicFile::write_bytes(out, &bytes)?;
            eprintln!("exported {rows} authors");
            Ok(Exit::Ok)
        }
        Err(e) => {
            eprintln!("influx export: {e}");
            Ok(Exit::Unusable)
        }
    }
}

/// `influx history export --out LAKE [--since DATE]`: the history as a Parquet lake.
pub(crate) fn history_export(
    data: &DataDir,
    out: Option<&Path>,
    since: Option<chrono::NaiveDate>,
    mode: Mode,
) -> color_eyre::Result<Exit> {
    let Some(lake) = out else {
        return Err(eyre!("influx history export needs --out LAKE"));
    };
    let db = data.history();
    if !db.exists() {
        eprintln!("influx history export: no history at {}", db.display());
        return Ok(Exit::Unusable);
    }
    // Opening migrates the schema and records any merged version the history lacks.
    drop(crate::pipeline::history::History::open(data)?);
    let since = since
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc());
    let started = std::time::Instant::now();
    let outcome = crate::pipeline::lake::export_history(&db, lake, since)?;
    match mode {
        Mode::JsonLines => json_line(&outcome),
        Mode::Human => println!(
            "{}: {} week(s) written ({} snapshots, {} bytes), {} unchanged, authors {} in {:.1} s",
            lake.display(),
            outcome.weeks_written.len(),
            outcome.snapshots_written,
            outcome.bytes_written,
            outcome.weeks_unchanged,
            if outcome.authors_written {
                "written"
            } else {
                "unchanged"
            },
            started.elapsed().as_secs_f64()
        ),
    }
    Ok(Exit::Ok)
}
