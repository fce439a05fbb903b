//! `influx spend`: what the data directory's harvests spent, by UTC day and by run, read from its
//! ledger (`DIR/ledger.jsonl`); a directory that does not exist is an error (exit 2). Text on a terminal, JSON otherwise. Reads only: answers a run
//! killed before its ledger lines were written are added by the next harvest of the directory.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::NaiveDate;
use color_eyre::eyre::eyre;
use serde::Serialize;
use serde_json::json;

use super::Exit;
use super::output::{Mode, json_line};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::ledger::{LedgerEntry, RunSpend, read_entries, run_name};
use crate::pipeline::harvest::pricing::{format_usd, micros_to_usd};
use crate::plural::count;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory whose ledger to read.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// Only requests from this UTC day on (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// JSON even on a terminal.
    #[arg(long)]
    pub json: bool,
}

/// Spend over a group of ledger lines (a day, a run, everything).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
struct Row {
    requests: u64,
    users_billed: u64,
    free_rereads: u64,
    cost_usd: f64,
}

impl From<RunSpend> for Row {
    fn from(s: RunSpend) -> Row {
        Row {
            requests: s.requests,
            users_billed: s.users_billed,
            free_rereads: s.free_rereads,
            cost_usd: micros_to_usd(s.cost_micros),
        }
    }
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let since = match &args.since {
        Some(text) => Some(
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|e| eyre!("--since {text:?} is not a date like 2026-12-01: {e}"))?,
        ),
        None => None,
    };
    // A mistyped directory is not a directory that spent nothing.
    if !args.data.is_dir() {
        return Err(eyre!(
            "{}: no such data directory (--data names the directory a harvest wrote its ledger in)",
            args.data.display()
        ));
    }
    let entries: Vec<LedgerEntry> = read_entries(&DataDir::new(&args.data))?
        .into_iter()
        .filter(|e| since.is_none_or(|s| e.day >= s))
        .collect();
    let mut days: BTreeMap<NaiveDate, RunSpend> = BTreeMap::new();
    let mut runs: BTreeMap<String, (NaiveDate, RunSpend)> = BTreeMap::new();
    let mut total = RunSpend::default();
    for e in &entries {
        days.entry(e.day).or_default().add(e);
        runs.entry(run_name(&e.run_dir).display().to_string())
            .or_insert_with(|| (e.day, RunSpend::default()))
            .1
            .add(e);
        total.add(e);
    }
    match mode {
        Mode::JsonLines => json_line(&json!({
            "data": args.data.display().to_string(),
            "since": since.map(|d| d.to_string()),
            "total": Row::from(total),
            "days": days.iter().map(|(d, s)| {
                let mut v = serde_json::to_value(Row::from(*s)).expect("plain data");
                v["day"] = json!(d.to_string());
                v
            }).collect::<Vec<_>>(),
            "runs": runs.iter().map(|(r, (first, s))| {
                let mut v = serde_json::to_value(Row::from(*s)).expect("plain data");
                v["run"] = json!(r);
                v["first_day"] = json!(first.to_string());
                v
            }).collect::<Vec<_>>(),
        })),
        Mode::Human => {
            if entries.is_empty() {
                println!(
                    "no spend recorded in {} (no harvest has run there{})",
                    args.data.display(),
                    since.map_or(String::new(), |s| format!(" since {s}"))
                );
                return Ok(Exit::Ok);
            }
            println!(
                "{:<12} {:>9} {:>9} {:>9} {:>12}",
                "day", "requests", "billed", "free", "cost"
            );
            for (d, s) in &days {
                println!(
                    "{:<12} {:>9} {:>9} {:>9} {:>12}",
                    d.to_string(),
                    s.requests,
                    s.users_billed,
                    s.free_rereads,
                    format_usd(s.cost_micros)
                );
            }
            println!();
            println!(
                "{:>9} {:>9} {:>9} {:>12}  run",
                "requests", "billed", "free", "cost"
            );
            for (r, (_, s)) in &runs {
                println!(
                    "{:>9} {:>9} {:>9} {:>12}  {r}",
                    s.requests,
                    s.users_billed,
                    s.free_rereads,
                    format_usd(s.cost_micros)
                );
            }
            println!();
            println!(
                "total {} for {} billed ({} same-day) in {}",
                format_usd(total.cost_micros),
                count(total.users_billed, "user", "users"),
                count(total.free_rereads, "free re-read", "free re-reads"),
                count(total.requests, "request", "requests")
            );
        }
    }
    Ok(Exit::Ok)
}
