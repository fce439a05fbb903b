//! `influx history HANDLE [--data DIR] [--json]` (and `influx history import PATH...`): the author's snapshots, oldest first, the
//! change per day between them, the score's path and the growth flags. Opening the history
//! records any merged version it lacks first. Exit 0 shown, 1 shown with growth flags, 2 the
//! handle has no history (or the history cannot be read).

use std::path::PathBuf;

use serde_json::json;

use super::Exit;
use super::output::{Mode, json_line};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::history::{GrowthRules, History, analyse, run_records};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Backfill: `influx history import PATH... [--data DIR]` adds the snapshots of run directories
(DIR/runs/<run>), directories of runs, or JSONL files that no merged version holds (the first
open of a directory's history imports its runs by itself). An account named import is
`influx history @import`.
Lake: `influx history export --out LAKE [--since DATE] [--data DIR]` writes the snapshots as
Hive-partitioned Parquet (LAKE/snapshots/week=YYYY-Www/part-0.parquet) and the authors
(LAKE/authors/), only the weeks that changed since the last export.")]
pub struct Args {
    /// The author's handle (with or without @; case does not matter), or `import`.
    #[arg(required_unless_present_any = ["flagged", "movers"])]
    pub handle: Option<String>,
    /// List every author the growth rules flag (one pass over the history), instead of one
    /// author's snapshots; exit 1 when any is.
    #[arg(long, conflicts_with = "handle")]
    pub flagged: bool,
    /// List the N authors whose score, and the N whose followers, changed most between their
    /// two newest snapshots.
    #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "20", conflicts_with_all = ["handle", "flagged"])]
    pub movers: Option<usize>,
    /// With `import`: the run directories, directories of runs or JSONL files to backfill.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Dataset directory (holds latest/, versions/ and history.sqlite).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// JSON even on a terminal.
    #[arg(long)]
    pub json: bool,
    /// With `export`: the lake directory to write.
    #[arg(long, value_name = "LAKE")]
    pub out: Option<PathBuf>,
    /// With `export`: only the weeks ending after this day (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE")]
    pub since: Option<chrono::NaiveDate>,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let data = DataDir::new(&args.data);
    if let Some(limit) = args.movers {
        return movers(&data, mode, limit);
    }
    let Some(handle) = args.handle.clone() else {
        return flagged(&data, mode);
    };
    if handle == "import" {
        return import(&args, &data, mode);
    }
    if handle == "export" {
        return super::release::history_export(&data, args.out.as_deref(), args.since, mode);
    }
    if !args.paths.is_empty() {
        return Err(color_eyre::eyre::eyre!(
            "one handle at a time: {} given after {handle}",
            args.paths.len()
        ));
    }
    let (history, _repaired) = History::open(&data)?;
    let Some(author) = history.author(&handle)? else {
        match mode {
            Mode::JsonLines => json_line(&json!({
                "event": "no_history", "handle": handle, "data_dir": args.data,
            })),
            Mode::Human => eprintln!("no snapshot of {} in {}", handle, data.history().display()),
        }
        return Ok(Exit::Unusable);
    };
    let growth = analyse(&author.snapshots, &GrowthRules::bundled());
    let exit = if growth.flags.is_empty() {
        Exit::Ok
    } else {
        Exit::GateFailed
    };
    if mode == Mode::JsonLines {
        json_line(&json!({
            "handle": author.handle, "id": author.id, "snapshots": author.snapshots,
            "id_shared_with": author.id_shared_with,
            "growth": {
                "changes": growth.changes,
                "followers_per_day": growth.followers_per_day,
                "median_followers_per_day": growth.median_followers_per_day,
            },
            "flags": growth.flags,
        }));
        return Ok(exit);
    }
    let shown = |v: Option<u64>| v.map_or("–".to_string(), |n| n.to_string());
    let rate = |v: Option<f64>| v.map_or("–".to_string(), |r| format!("{r:+.1}/d"));
    println!(
        "@{} (id {}): {}",
        author.handle.as_deref().unwrap_or("?"),
        author.id,
        crate::plural::count(author.snapshots.len() as u64, "snapshot", "snapshots")
    );
    if !author.id_shared_with.is_empty() {
        // The merge's words for the same fact, so that the two read alike.
        let others: Vec<String> = author
            .id_shared_with
            .iter()
            .map(|h| format!("@{h}"))
            .collect();
        println!(
            "id {} is also claimed by {}: kept apart, their snapshots are not shown here",
            author.id,
            others.join(", ")
        );
    }
    println!(
        "{:<24} {:>12} {:>10} {:>10} {:>8} {:>7}  {:>12}",
        "fetched_at", "followers", "following", "posts", "listed", "score", "followers Δ"
    );
    for (k, s) in author.snapshots.iter().enumerate() {
        let change = k
            .checked_sub(1)
            .and_then(|_| growth.changes.iter().find(|c| c.to == s.fetched_at));
        println!(
            "{:<24} {:>12} {:>10} {:>10} {:>8} {:>7}  {:>12}",
            s.fetched_at,
            shown(s.followers_count),
            shown(s.following_count),
            shown(s.tweet_count),
            shown(s.listed_count),
            s.score.map_or("–".to_string(), |v| format!("{v:.1}")),
            change.map_or(String::new(), |c| rate(c.followers_per_day)),
        );
    }
    for f in &growth.flags {
        println!("flag {} ({} -> {}): {}", f.kind, f.from, f.to, f.reason);
    }
    Ok(exit)
}

/// `influx history import PATH...`: each file's snapshots added (idempotent), one line each.
fn import(args: &Args, data: &DataDir, mode: Mode) -> color_eyre::Result<Exit> {
    if args.paths.is_empty() {
        return Err(color_eyre::eyre::eyre!(
            "influx history import needs a run directory, a directory of runs or a JSONL file \
             (for the account named import: influx history @import)"
        ));
    }
    let (mut history, _repaired) = History::open(data)?;
    let mut files = Vec::new();
    for p in &args.paths {
        if p.is_dir() {
            let found = run_records(p);
            if found.is_empty() {
                return Err(color_eyre::eyre::eyre!(
                    "{}: no records.jsonl in it or in its run directories",
                    p.display()
                ));
            }
            files.extend(found);
        } else {
            files.push(p.clone());
        }
    }
    for file in files {
        let r = history.import_file(&file)?;
        match mode {
            Mode::JsonLines => json_line(&json!({
                "event": "imported", "file": file, "added": r.added, "skipped": r.skipped,
            })),
            Mode::Human => println!(
                "{}: {} added, {} no moment",
                file.display(),
                crate::plural::count(r.added, "snapshot", "snapshots"),
                crate::plural::count(r.skipped, "line describes", "lines describe")
            ),
        }
    }
    Ok(Exit::Ok)
}

/// `influx history --flagged`: every author whose growth the rules flag, with the reasons.
fn flagged(data: &DataDir, mode: Mode) -> color_eyre::Result<Exit> {
    let (history, _repaired) = History::open(data)?;
    let flagged = history.flagged(&GrowthRules::bundled())?;
    for a in &flagged {
        match mode {
            Mode::JsonLines => json_line(a),
            Mode::Human => {
                for f in &a.flags {
                    println!(
                        "@{} ({}): {}: {}",
                        a.handle.as_deref().unwrap_or("?"),
                        a.id,
                        f.kind,
                        f.reason
                    );
                }
            }
        }
    }
    if mode == Mode::Human {
        println!(
            "{} flagged",
            crate::plural::count(flagged.len() as u64, "author", "authors")
        );
    }
    Ok(if flagged.is_empty() {
        Exit::Ok
    } else {
        Exit::GateFailed
    })
}

/// `influx history --movers [N]`: the largest score and follower changes.
fn movers(data: &DataDir, mode: Mode, limit: usize) -> color_eyre::Result<Exit> {
    let (history, _repaired) = History::open(data)?;
    let m = history.movers(limit)?;
    if mode == Mode::JsonLines {
        json_line(&m);
        return Ok(Exit::Ok);
    }
    let shown = |v: Option<f64>| v.map_or("–".to_string(), |s| format!("{s:.1}"));
    let count = |v: Option<u64>| v.map_or("–".to_string(), |n| n.to_string());
    println!("score changes between each author's two newest snapshots:");
    for x in &m.by_score {
        println!(
            "  @{:<16} {} -> {} ({:+.2})",
            x.handle.as_deref().unwrap_or("?"),
            shown(x.score_before),
            shown(x.score_after),
            x.score_delta.unwrap_or(0.0)
        );
    }
    println!("follower changes:");
    for x in &m.by_followers {
        println!(
            "  @{:<16} {} -> {} ({:+})",
            x.handle.as_deref().unwrap_or("?"),
            count(x.followers_before),
            count(x.followers_after),
            x.followers_delta.unwrap_or(0)
        );
    }
    Ok(Exit::Ok)
}
