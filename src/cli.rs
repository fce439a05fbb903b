//! The command line: one module per command, each with its own `Args` and `run`. Commands call
//! the library (src/pipeline, src/sim, src/ui) and decide only how results are shown and which
//! exit code they earn.

use clap::{Parser, Subcommand};

pub mod audit;
pub(crate) mod candidates;
pub(crate) mod completions;
pub(crate) mod config;
pub(crate) mod console;
pub mod console_ops;
pub mod demo;
pub(crate) mod discover;
pub(crate) mod export;
pub(crate) mod generate;
pub(crate) mod harvest;
pub(crate) mod history;
pub(crate) mod merge;
pub mod output;
pub(crate) mod refresh;
pub(crate) mod release;
pub(crate) mod rollback;
pub(crate) mod score;
pub(crate) mod sim;
pub(crate) mod spend;

/// Exit codes shared by every headless command, so cron and CI can branch on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Everything worked and every gate passed.
    Ok = 0,
    /// The work ran, but a gate failed or some items failed (zero scores, placeholders, failed handles).
    GateFailed = 1,
    /// The work could not proceed: unreadable input, bad token, usage cap, a refused merge.
    Unusable = 2,
}

#[derive(Debug, Parser)]
#[command(
    name = "influx",
    version,
    about = "Operations console and headless pipeline for an index of influential X authors"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulator + console on the bundled demo data: no token, no network.
    Demo(demo::Args),
    /// The live console on a real dataset directory.
    Console(console::Args),
    /// Look handles up through the X API v2 (or the simulator) and write scored records.
    Harvest(harvest::Args),
    /// Score a JSONL file with the M2 model.
    Score(score::Args),
    /// Report what a dataset or batch file really holds; exit 1 when a gate fails.
    Audit(audit::Args),
    /// An author's snapshots over time, growth per day and growth flags (DIR/history.sqlite).
    History(history::Args),
    /// Find candidates in X lists, seeds' followings and a handles file; admit them by the
    /// written rules; merge the admitted.
    Discover(discover::Args),
    /// The candidates discoveries found, with their decision and why.
    Candidates(candidates::Args),
    /// An operator's admission of one account: outranks every rule, recorded with why.
    Admit(candidates::WordArgs),
    /// An operator's exclusion of one account: outranks every rule, recorded with why.
    Exclude(candidates::WordArgs),
    /// Merge batch files into DIR/latest/latest.jsonl, atomically.
    Merge(merge::Args),
    /// Restore the dataset version before the last merge.
    Rollback(rollback::Args),
    /// What the data directory's harvests spent, by UTC day and by run (from its ledger).
    Spend(spend::Args),
    /// Refresh what needs it (unscored, flagged, stale), within the caps: harvest, score, audit,
    /// merge and record history in one step, for cron or a systemd timer.
    Refresh(refresh::Args),
    /// The effective configuration (flags, environment, DIR/influx.toml, defaults) and where
    /// each value came from.
    Config(config::Args),
    /// The stored dataset for analysts: one row per author, CSV, JSON lines or Parquet.
    Export(export::Args),
    /// Publish the current version's admitted authors for consumers (DIR/release/), after the
    /// audit's gates; or check a release against its manifest.
    Release(release::Args),
    /// Shell completions (bash, zsh, fish, elvish, powershell) on stdout.
    Completions(completions::Args),
    /// The man page (roff) on stdout: `influx man > influx.1`; `--out DIR` writes one page per
    /// command.
    Man(completions::ManArgs),
    /// Run the X API v2 users-lookup simulator on loopback.
    Sim(sim::Args),
    /// Write N deterministic, realistic author records (benchmarks, load tests).
    #[command(name = "gen")]
    Generate(generate::Args),
}

/// Runs one command and returns its exit code.
pub fn run(cli: Cli) -> color_eyre::Result<Exit> {
    match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Console(a) => console::run(a),
        Command::Harvest(a) => harvest::run(a),
        Command::Score(a) => score::run(a),
        Command::Audit(a) => audit::run(a),
        Command::History(a) => history::run(a),
        Command::Discover(a) => discover::run(a),
        Command::Candidates(a) => candidates::run(a),
        Command::Admit(a) => {
            candidates::operator(a, crate::pipeline::admission::Decision::Admitted)
        }
        Command::Exclude(a) => {
            candidates::operator(a, crate::pipeline::admission::Decision::Excluded)
        }
        Command::Merge(a) => merge::run(a),
        Command::Rollback(a) => rollback::run(a),
        Command::Spend(a) => spend::run(a),
        Command::Refresh(a) => refresh::run(a),
        Command::Config(a) => config::run(a),
        Command::Export(a) => export::run(a),
        Command::Release(a) => release::run(a),
        Command::Completions(a) => completions::run(a),
        Command::Man(a) => completions::man(a),
        Command::Sim(a) => sim::run(a),
        Command::Generate(a) => generate::run(a),
    }
}
