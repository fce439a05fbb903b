//! `influx discover`: find candidates in X lists, in the accounts trusted seeds follow and in a
//! handles file; decide each by the admission rules; merge the admitted. States its plan first
//! (`--dry-run` stops there); the work is the jobs layer's (`jobs::discover`), this shows it and
//! picks the exit code: 0 all read and merged, 1 something left unread or failed, 2 could not
//! proceed (bad token, no credits, usage cap, unreadable input).

use std::path::PathBuf;

use color_eyre::eyre::{WrapErr, eyre};
use serde_json::json;

use super::Exit;
use super::harvest::event_json;
use super::output::{Mode, json_line};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::HarvestSetup;
use crate::pipeline::harvest::events::HarvestEvent;
use crate::pipeline::harvest::handles::{HandleList, read_handles};
use crate::pipeline::harvest::pricing::usd_to_micros;
use crate::pipeline::harvest::xapi::{DEFAULT_API_BASE, Token};
use crate::pipeline::harvest::{HarvestConfig, RunOutcome, new_run_dir};
use crate::pipeline::jobs::discover::{
    DiscoverError, DiscoverSources, DiscoveryReport, discover, plan,
};
use crate::plural::count;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The data directory: its ledger, candidates and dataset.
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// An X list id whose members are candidates (repeat for more lists).
    #[arg(long = "list", value_name = "ID")]
    pub lists: Vec<String>,
    /// A trusted seed's handle: the accounts it follows are candidates (repeat for more).
    #[arg(long = "following", value_name = "HANDLE")]
    pub following: Vec<String>,
    /// Handles to consider, one per line.
    #[arg(long, value_name = "FILE")]
    pub handles: Option<PathBuf>,
    /// The most this discovery may spend, in USD, over all its attempts.
    #[arg(long, value_name = "USD")]
    pub max_spend: Option<f64>,
    /// The most requests it may send, over all its attempts.
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// State the plan (requests per endpoint, users, cost, time) and send nothing billed.
    #[arg(long)]
    pub dry_run: bool,
    /// Finish the interrupted discovery run in DIR without asking again for a page it holds.
    #[arg(long, value_name = "DIR")]
    pub resume: Option<PathBuf>,
    /// X API base URL [default: https://api.x.com].
    #[arg(long, env = "INFLUX_API_BASE", value_name = "URL")]
    pub api_base: Option<String>,
    /// File holding the bearer token (otherwise X_BEARER_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// JSON lines on stdout even on a terminal.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let data = DataDir::new(&args.data);
    let (config, sources) = match prepare(&args, &data) {
        Ok(p) => p,
        Err(e) => {
            unusable(mode, &super::output::causes_line(e.as_ref()));
            return Ok(Exit::Unusable);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async {
        if args.resume.is_none() {
            match plan(&config, &data, &sources).await {
                Ok(p) => match mode {
                    Mode::JsonLines => json_line(&json!({"event": "discovery_plan", "plan": p})),
                    Mode::Human => p.lines().iter().for_each(|l| eprintln!("plan: {l}")),
                },
                Err(e) => {
                    unusable(mode, &e.to_string());
                    return Ok(Exit::Unusable);
                }
            }
            if args.dry_run {
                return Ok(Exit::Ok);
            }
        }
        let mut watcher = |event: HarvestEvent| show(mode, &event);
        match discover(config, &data, sources, &mut watcher).await {
            Ok(report) => Ok(finish(mode, &report)),
            Err(e @ (DiscoverError::NothingAsked | DiscoverError::SeedsStopped(_))) => {
                unusable(mode, &e.to_string());
                Ok(Exit::Unusable)
            }
            Err(e) => {
                unusable(mode, &e.to_string());
                Ok(Exit::Unusable)
            }
        }
    })
}

fn prepare(args: &Args, data: &DataDir) -> color_eyre::Result<(HarvestConfig, DiscoverSources)> {
    let token = match Token::from_file_or_env(args.token_file.as_deref()) {
        Err(_) if args.dry_run => Token::new("dry-run")?,
        other => other?,
    };
    let api_base = args
        .api_base
        .clone()
        .unwrap_or_else(|| DEFAULT_API_BASE.to_string());
    let (out_dir, resume) = match &args.resume {
        Some(dir) => (dir.clone(), true),
        None => (new_run_dir(data), false),
    };
    let mut setup = HarvestSetup::new(&api_base, token);
    setup.max_spend = args
        .max_spend
        .map(|usd| usd_to_micros("--max-spend", usd))
        .transpose()?;
    setup.max_requests = args.max_requests;
    let mut config = setup.config(&out_dir, data)?;
    config.resume = resume;
    let handles = match &args.handles {
        Some(file) => {
            config.handles_file = Some(file.clone());
            read_handles(file)?
        }
        None => HandleList::default(),
    };
    if !resume && args.lists.is_empty() && args.following.is_empty() && args.handles.is_none() {
        return Err(eyre!(
            "nothing to discover: give --list, --following or --handles"
        ));
    }
    let following = args
        .following
        .iter()
        .map(|s| s.trim_start_matches('@').to_string())
        .collect();
    Ok((
        config,
        DiscoverSources {
            lists: args.lists.clone(),
            following,
            handles,
        },
    ))
}

fn show(mode: Mode, event: &HarvestEvent) {
    match (mode, event) {
        (Mode::JsonLines, e) => json_line(&event_json(e)),
        (Mode::Human, HarvestEvent::Log { message, .. }) => eprintln!("{message}"),
        (Mode::Human, HarvestEvent::RunStopped(stop)) => {
            eprintln!("run stopped ({}): {}", stop.reason.word(), stop.detail)
        }
        (Mode::Human, HarvestEvent::HandleFailed { handle, reason, .. }) => {
            eprintln!("{handle}: {reason}")
        }
        (Mode::Human, HarvestEvent::Waiting { reason, .. }) => eprintln!("waiting: {reason}"),
        _ => {}
    }
}

fn finish(mode: Mode, r: &DiscoveryReport) -> Exit {
    let exit = match r.outcome {
        Some(RunOutcome::Stopped) => Exit::Unusable,
        Some(RunOutcome::Incomplete) => Exit::GateFailed,
        _ if !r.failed.is_empty() || r.merged.is_none() && r.admitted > 0 => Exit::GateFailed,
        _ => Exit::Ok,
    };
    match mode {
        Mode::JsonLines => json_line(&json!({"event": "discovery_done", "report": r})),
        Mode::Human => {
            let sources: Vec<String> = r
                .per_source
                .iter()
                .map(|(s, n)| format!("{s}: {n}"))
                .collect();
            let decisions: Vec<String> = r
                .per_decision
                .iter()
                .map(|(d, n)| format!("{n} {}", d.word()))
                .collect();
            let rules: Vec<String> = r
                .per_rule
                .iter()
                .map(|(rule, n)| format!("{rule} {n}"))
                .collect();
            println!("run {}", r.run_dir.display());
            println!("read: {}", sources.join(" · "));
            println!("decided: {}", decisions.join(" · "));
            if !rules.is_empty() {
                println!("rules fired: {}", rules.join(" · "));
            }
            println!(
                "{} · cost ${:.2} ({} billed, {})",
                count(r.requests, "request", "requests"),
                r.cost_usd,
                count(r.users_billed, "user", "users"),
                count(r.free_rereads, "free re-read", "free re-reads")
            );
            match (&r.merged, &r.not_merged) {
                (Some(m), _) => println!(
                    "merged {} admitted: version {} with {}",
                    r.admitted,
                    m.version,
                    count(m.count, "record", "records")
                ),
                (None, Some(why)) => println!("not merged: {why}"),
                (None, None) => {}
            }
            for f in &r.failed {
                eprintln!("failed: {f}");
            }
            if r.pending > 0 || r.pages_pending > 0 {
                eprintln!(
                    "{} and {} not asked: influx discover --resume {}",
                    count(r.pending as u64, "handle", "handles"),
                    count(r.pages_pending as u64, "page", "pages"),
                    r.run_dir.display()
                );
            }
        }
    }
    exit
}

fn unusable(mode: Mode, reason: &str) {
    match mode {
        Mode::JsonLines => json_line(&json!({"event": "discovery_failed", "reason": reason})),
        Mode::Human => eprintln!("influx discover: {reason}"),
    }
}
