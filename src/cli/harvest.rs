//! `influx harvest`: reads a handles file, states the plan (requests, cost, ETA), runs the
//! harvest engine, and shows its events as a progress bar on a terminal or as JSON lines
//! otherwise. Ctrl-C and SIGTERM both cancel cleanly. Decides the exit code; does no lookups.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use color_eyre::eyre::{WrapErr, eyre};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::Exit;
use super::output::{Mode, json_line};
use crate::config::{Origin, token_error_words, token_file_warning};
use crate::dataset::format_time;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::HarvestSetup;
use crate::pipeline::harvest::budget::BudgetConfig;
use crate::pipeline::harvest::events::{BudgetSnapshot, HarvestEvent, SpendSnapshot};
use crate::pipeline::harvest::handles::{HandleList, read_handles};
use crate::pipeline::harvest::journal::read_header;
use crate::pipeline::harvest::outputs::last_unfinished_run;
use crate::pipeline::harvest::pricing::{format_usd, micros_to_usd, usd_to_micros};
use crate::pipeline::harvest::xapi::{DEFAULT_API_BASE, MAX_BATCH, Token};
use crate::pipeline::harvest::{
    CostPlan, HarvestConfig, Plan, Pricing, RunOutcome, Summary, new_run_dir, plan, start,
};
use crate::pipeline::jobs;
use crate::plural::count;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Handles to look up, one per line (`name`, `@name` and profile URLs are accepted).
    #[arg(long, value_name = "FILE")]
    pub handles: Option<PathBuf>,
    /// Run directory: records.jsonl, responses.jsonl, summary.json, journal.jsonl
    /// [default: DATA/runs/<UTC time>].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The data directory whose ledger counts what every run spends (the one `merge` uses)
    /// [default: ./data, or the run's own when resuming].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// The X API access plan: sets the price per user and the 15-minute and 24-hour windows
    /// [default: pay-per-use].
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<Plan>,
    /// Price of one user returned, in USD [default: the plan's: 0.010 for pay-per-use, 0 for
    /// the monthly plans; when resuming, the run's own].
    #[arg(long, value_name = "USD")]
    pub price_per_user: Option<f64>,
    /// The most this run may spend, in USD, over all its attempts: no request is sent whose
    /// worst case would pass it; the rest stays pending (exit 1), and --resume with a higher
    /// cap finishes it.
    #[arg(long, value_name = "USD")]
    pub max_spend: Option<f64>,
    /// The most requests this run may send, over all its attempts (retries count).
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// State the plan (handles, requests, cost, ETA) and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Finish the interrupted run in DIR (or in --out; with neither, the data directory's last
    /// unfinished run) without asking again for answered batches.
    #[arg(long, value_name = "DIR", num_args = 0..=1)]
    pub resume: Option<Option<PathBuf>>,
    /// X API base URL [default: https://api.x.com, or the run's own when resuming].
    #[arg(long, env = "INFLUX_API_BASE", value_name = "URL")]
    pub api_base: Option<String>,
    /// File holding the bearer token (otherwise X_BEARER_TOKEN). Never a flag: flags show in `ps`.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Handles per request, 1 to 100 [default: 100, or the run's own when resuming].
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Requests allowed per window, paced ahead of time [default: the plan's, 300]; 0 turns
    /// pacing off (the headers still rule).
    #[arg(long, value_name = "N")]
    pub rate_limit: Option<u32>,
    /// Length of the rate-limit window in seconds [default: 900].
    #[arg(long, value_name = "S")]
    pub window_secs: Option<u64>,
    /// Requests allowed per 24 hours [default: the plan's: 500 on basic, 1 on free, none
    /// otherwise]; 0 turns the daily cap off.
    #[arg(long, value_name = "N")]
    pub daily_limit: Option<u32>,
    /// Requests in flight at once, when the budget allows.
    #[arg(long, value_name = "N", default_value_t = 4)]
    pub concurrency: usize,
    /// JSON lines on stdout even on a terminal.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    // Warned as `refresh` warns: a token file others can read (its path never shown).
    let from = Origin::Flag {
        flag: "--token-file",
    };
    if let Some(w) = args
        .token_file
        .as_deref()
        .filter(|p| p.exists())
        .and_then(|p| token_file_warning(p, &from))
    {
        match mode {
            Mode::JsonLines => json_line(&json!({"event": "warning", "message": w})),
            Mode::Human => eprintln!("warning: {w}"),
        }
    }
    let prepared = match prepare(&args) {
        Ok(p) => p,
        Err(e) => {
            report_unusable(mode, &super::output::causes_line(e.as_ref()));
            return Ok(Exit::Unusable);
        }
    };
    if args.dry_run {
        return Ok(match plan(&prepared.0, &prepared.1) {
            Ok(p) => {
                show_plan(mode, &p, &prepared.1);
                Exit::Ok
            }
            Err(e) => {
                report_unusable(mode, &e.to_string());
                Exit::Unusable
            }
        });
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(harvest(prepared, mode))
}

/// The plan before the first request, with what it will not send: words on a terminal, one
/// JSON line otherwise.
fn show_plan(mode: Mode, p: &CostPlan, input: &HandleList) {
    match mode {
        Mode::JsonLines => {
            let mut line = p.to_json();
            line["not_sent"] = input.not_sent_json();
            json_line(&line);
        }
        Mode::Human => {
            for line in p.lines().into_iter().chain(input.not_sent_words()) {
                eprintln!("plan: {line}");
            }
        }
    }
}

fn report_unusable(mode: Mode, reason: &str) {
    match mode {
        Mode::JsonLines => json_line(&json!({"event": "run_failed", "reason": reason})),
        Mode::Human => eprintln!("influx harvest: {reason}"),
    }
}

/// Everything that can go wrong before a request is sent: reported with exit 2.
fn prepare(args: &Args) -> color_eyre::Result<(HarvestConfig, HandleList)> {
    // `--data`, else `data`: where a run with no directory of its own goes.
    let given_data = || DataDir::new(args.data.as_deref().unwrap_or(Path::new("data")));
    let (dir, resume) = match (&args.resume, &args.out) {
        (Some(Some(dir)), _) => (dir.clone(), true),
        (Some(None), Some(dir)) => (dir.clone(), true),
        (Some(None), None) => {
            let data = given_data();
            let last = last_unfinished_run(&data)
                .wrap_err_with(|| format!("cannot list the runs of {}", data.root().display()))?;
            let dir = last.ok_or_else(|| {
                eyre!(
                    "{} holds no unfinished run to resume: name one with --resume DIR",
                    data.root().display()
                )
            })?;
            (dir, true)
        }
        (None, Some(dir)) => (dir.clone(), false),
        (None, None) => (new_run_dir(&given_data()), false),
    };
    let header = if resume {
        Some(read_header(&dir)?)
    } else {
        None
    };
    let handles_file = match (&args.handles, &header) {
        (Some(f), _) => f.clone(),
        (None, Some(h)) => h.handles_file.clone().ok_or_else(|| {
            eyre!(
                "the run in {} has no handles file: pass --handles FILE",
                dir.display()
            )
        })?,
        (None, None) => return Err(eyre!("--handles FILE is required")),
    };
    // A dry run sends nothing, so it needs no token.
    let from = Origin::Flag {
        flag: "--token-file",
    };
    let token = match Token::from_file_or_env(args.token_file.as_deref()) {
        Err(_) if args.dry_run => Token::new("dry-run")?,
        Err(e) => return Err(eyre!(token_error_words(&e, &from))),
        Ok(t) => t,
    };
    let api_base = args
        .api_base
        .clone()
        .or_else(|| header.as_ref().map(|h| h.api_base.clone()))
        .unwrap_or_else(|| DEFAULT_API_BASE.to_string());
    let batch_size = args
        .batch_size
        .or(header.as_ref().map(|h| h.batch_size))
        .unwrap_or(MAX_BATCH);
    let handles = read_handles(&handles_file)?;
    // An empty input is nothing to do: said, and no run directory made for it.
    if handles.handles.is_empty() {
        let invalid = match handles.invalid.len() {
            0 => String::new(),
            n => format!(" ({})", count(n as u64, "invalid line", "invalid lines")),
        };
        return Err(eyre!(
            "{} holds no handles{invalid}: nothing to do",
            handles_file.display()
        ));
    }
    if args.window_secs == Some(0) {
        return Err(eyre!("--window-secs must be at least 1"));
    }
    let plan = args.plan.unwrap_or_default();
    let mut setup = HarvestSetup::new(&api_base, token);
    setup.batch_size = batch_size;
    setup.concurrency = args.concurrency;
    let mut budget = BudgetConfig::for_plan(plan.limits());
    if let Some(n) = args.rate_limit {
        budget.limit = std::num::NonZeroU32::new(n);
    }
    if let Some(s) = args.window_secs {
        // A new window length brings its own reset buffer.
        let daily = budget.daily_limit;
        budget = BudgetConfig::new(budget.limit, Duration::from_secs(s));
        budget.daily_limit = daily;
    }
    if let Some(n) = args.daily_limit {
        budget.daily_limit = std::num::NonZeroU32::new(n);
    }
    setup.budget = budget;
    setup.pricing = Pricing::of(plan);
    if let Some(usd) = args.price_per_user {
        setup.pricing.price_micros = usd_to_micros("--price-per-user", usd)?;
    } else if let (None, Some(price)) = (args.plan, header.as_ref().and_then(|h| h.price_micros)) {
        // A resumed run goes on at the price it started with.
        setup.pricing.price_micros = price;
    }
    setup.max_spend = args
        .max_spend
        .map(|usd| usd_to_micros("--max-spend", usd))
        .transpose()?;
    setup.max_requests = args.max_requests;
    let data_dir = DataDir::new(
        args.data
            .clone()
            .or_else(|| header.as_ref().and_then(|h| h.data_dir.clone()))
            .unwrap_or_else(|| PathBuf::from("data")),
    );
    let mut config = setup.config(&dir, &data_dir)?;
    config.handles_file = Some(handles_file);
    config.resume = resume;
    Ok((config, handles))
}

async fn harvest(
    (config, handles): (HarvestConfig, HandleList),
    mode: Mode,
) -> color_eyre::Result<Exit> {
    let invalid = handles.invalid.clone();
    let not_sent = handles.not_sent_words();
    let run_dir = config.out_dir.clone();
    let new_dir = !run_dir.exists();
    let run = match start(config, handles) {
        Ok(run) => run,
        Err(e) => {
            // A refused run (another holds the lock) leaves no empty run directory behind;
            // remove_dir removes only an empty one, so nothing written is ever lost.
            if new_dir {
                let _ = std::fs::remove_dir(&run_dir);
            }
            report_unusable(mode, &e.to_string());
            return Ok(Exit::Unusable);
        }
    };
    let mut view = match mode {
        Mode::Human => View::Bar(Box::new(Bar::new())),
        Mode::JsonLines => View::Lines(run_dir.clone()),
    };
    for line in &invalid {
        view.note_invalid(line.line, &line.input, &line.reason);
    }
    if let (View::Bar(bar), Some(words)) = (&view, not_sent) {
        bar.bar.println(format!("plan: {words}"));
    }
    let report = jobs::drive(run, &mut view).await?;
    view.finish(&report.summary, &run_dir);
    Ok(match report.outcome {
        RunOutcome::Complete => Exit::Ok,
        RunOutcome::Incomplete => Exit::GateFailed,
        RunOutcome::Stopped => Exit::Unusable,
    })
}

enum View {
    Bar(Box<Bar>),
    /// JSON lines, for the run in this directory.
    Lines(PathBuf),
}

impl jobs::RunWatcher for View {
    fn event(&mut self, event: HarvestEvent) {
        self.show(&event);
    }

    fn tick(&mut self) {
        View::tick(self);
    }
}

impl View {
    fn note_invalid(&mut self, line: usize, input: &str, reason: &str) {
        match self {
            View::Lines(_) => json_line(&json!({
                "event": "invalid_line", "line": line, "input": input, "reason": reason,
            })),
            View::Bar(bar) => bar
                .bar
                .println(format!("skipped line {line} ({input:?}): {reason}")),
        }
    }

    fn show(&mut self, event: &HarvestEvent) {
        match (self, event) {
            (View::Lines(_), HarvestEvent::Planned(p)) => json_line(&p.to_json()),
            (View::Bar(bar), HarvestEvent::Planned(p)) => {
                for line in p.lines() {
                    bar.bar.println(format!("plan: {line}"));
                }
            }
            // A run left unfinished names the exact command that finishes it, in its last line.
            (View::Lines(dir), HarvestEvent::RunDone { summary }) => {
                let mut line = event_json(event);
                if summary.pending > 0 {
                    line["resume_with"] = json!(resume_command(dir));
                }
                json_line(&line);
            }
            (View::Lines(_), event) => json_line(&event_json(event)),
            (View::Bar(bar), event) => bar.show(event),
        }
    }

    fn tick(&mut self) {
        if let View::Bar(bar) = self {
            bar.redraw();
        }
    }

    fn finish(&mut self, summary: &Summary, run_dir: &Path) {
        let resume = (summary.pending > 0).then(|| resume_command(run_dir));
        match self {
            View::Bar(bar) => {
                bar.bar.finish_and_clear();
                for line in summary.words() {
                    eprintln!("{line}");
                }
                eprintln!("run directory: {}", run_dir.display());
                if let Some(command) = resume {
                    eprintln!(
                        "{} not asked; to finish: {command}",
                        count(summary.pending as u64, "handle", "handles")
                    );
                }
            }
            View::Lines(_) => {}
        }
    }
}

/// The progress bar of a person watching: handles done/total, requests, budget left, and the
/// rate-limit wait counting down.
struct Bar {
    bar: ProgressBar,
    budget: BudgetSnapshot,
    spend: SpendSnapshot,
    waiting_until: Option<DateTime<Utc>>,
}

impl Bar {
    fn new() -> Bar {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template("{bar:30.cyan/blue} {pos}/{len} handles · {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Bar {
            bar,
            budget: BudgetSnapshot::default(),
            spend: SpendSnapshot::default(),
            waiting_until: None,
        }
    }

    fn show(&mut self, event: &HarvestEvent) {
        match event {
            HarvestEvent::RunStarted {
                handles,
                already_done,
                ..
            } => {
                self.bar.set_length(*handles as u64);
                self.bar.set_position(*already_done as u64);
            }
            HarvestEvent::BatchDone { figures, .. } => {
                self.waiting_until = None;
                let answered = figures.found
                    + figures.protected
                    + figures.not_found
                    + figures.suspended
                    + figures.failed;
                self.bar.inc(answered as u64);
            }
            HarvestEvent::HandleFailed {
                handle,
                outcome: crate::pipeline::harvest::events::HandleOutcome::Failed,
                reason,
            } => {
                self.bar.println(format!("failed: {handle}: {reason}"));
            }
            HarvestEvent::Budget(snapshot) => self.budget = snapshot.clone(),
            HarvestEvent::Spend(snapshot) => self.spend = snapshot.clone(),
            HarvestEvent::Waiting { until, .. } => self.waiting_until = Some(*until),
            HarvestEvent::Retrying {
                batch,
                attempt,
                reason,
            } => self.bar.println(format!(
                "batch {batch}: try {attempt} failed ({reason}); retrying"
            )),
            HarvestEvent::Log { message, .. } => self.bar.println(message),
            HarvestEvent::RunStopped(stop) => self.bar.println(format!(
                "run stopped ({}): {}",
                stop.reason.word(),
                stop.detail
            )),
            HarvestEvent::Paused => self.bar.println("paused"),
            HarvestEvent::Resumed => self.bar.println("resumed"),
            _ => {}
        }
        self.redraw();
    }

    fn redraw(&mut self) {
        let b = &self.budget;
        let budget = if b.remaining == u32::MAX {
            "no limit".to_string()
        } else {
            format!("budget {}/{}", b.remaining, b.limit)
        };
        let mut msg = format!(
            "{} · {budget} · spent {}",
            count(b.sent, "request", "requests"),
            format_usd(self.spend.run_micros)
        );
        if let Some(cap) = self.spend.cap_micros {
            msg.push_str(&format!(" of {}", format_usd(cap)));
        }
        if let (Some(limit), Some(left)) = (b.day_limit, b.day_remaining) {
            msg.push_str(&format!(" · 24 h {left}/{limit}"));
        }
        if let Some(until) = self.waiting_until {
            let left = (until - Utc::now()).num_seconds().max(0);
            if left > 0 {
                msg.push_str(&format!(
                    " · waiting for rate-limit reset ({}:{:02})",
                    left / 60,
                    left % 60
                ));
            }
        }
        self.bar.set_message(msg);
    }
}

/// One event as one JSON object, for programs reading stdout.
pub(crate) fn event_json(event: &HarvestEvent) -> Value {
    match event {
        HarvestEvent::RunStarted {
            run_dir,
            handles,
            batches,
            already_done,
            invalid,
        } => json!({"event": "run_started", "run_dir": path_text(run_dir), "handles": handles,
            "batches": batches, "already_done": already_done, "invalid": invalid}),
        HarvestEvent::BatchStarted { batch, handles } => {
            json!({"event": "batch_started", "batch": batch, "handles": handles})
        }
        HarvestEvent::BatchDone {
            batch,
            figures,
            records,
            latency,
        } => json!({"event": "batch_done", "batch": batch, "figures": figures,
            "records": records.len(), "latency_ms": latency.as_millis() as u64}),
        HarvestEvent::HandleFailed {
            handle,
            outcome,
            reason,
        } => {
            json!({"event": "handle_failed", "handle": handle, "outcome": outcome, "reason": reason})
        }
        HarvestEvent::Planned(p) => p.to_json(),
        HarvestEvent::Budget(b) => json!({"event": "budget", "limit": b.limit,
            "remaining": (b.remaining != u32::MAX).then_some(b.remaining),
            "reset_at": b.reset_at.map(format_time), "day_limit": b.day_limit,
            "day_remaining": b.day_remaining, "day_reset_at": b.day_reset_at.map(format_time),
            "scheduled": b.scheduled, "sent": b.sent,
            "finished": b.finished, "throttled": b.throttled, "waited_s": b.waited.as_secs_f64()}),
        HarvestEvent::Spend(s) => json!({"event": "spend",
            "price_per_user_usd": micros_to_usd(s.price_micros),
            "run_usd": micros_to_usd(s.run_micros), "today_usd": micros_to_usd(s.today_micros),
            "max_spend_usd": s.cap_micros.map(micros_to_usd),
            "pending_usd": micros_to_usd(s.pending_micros), "users_billed": s.users_billed,
            "free_rereads": s.free_rereads, "max_requests": s.requests_cap}),
        HarvestEvent::Waiting { until, reason } => json!({"event": "waiting",
            "until": format_time(*until),
            "seconds": (*until - Utc::now()).num_milliseconds().max(0) as f64 / 1000.0,
            "reason": reason}),
        HarvestEvent::Retrying {
            batch,
            attempt,
            reason,
        } => json!({"event": "retrying", "batch": batch, "attempt": attempt, "reason": reason}),
        HarvestEvent::Paused => json!({"event": "paused"}),
        HarvestEvent::Resumed => json!({"event": "resumed"}),
        HarvestEvent::Log { level, message } => {
            json!({"event": "log", "level": level.as_str(), "message": message})
        }
        HarvestEvent::RunDone { summary } => json!({"event": "run_done", "summary": summary}),
        HarvestEvent::RunStopped(stop) => {
            json!({"event": "run_stopped", "reason": stop.reason, "detail": stop.detail})
        }
    }
}

/// The exact command that finishes the run in `run_dir`, its path quoted for a POSIX shell when
/// it needs it (the run remembers its handles, API base and data directory).
fn resume_command(run_dir: &Path) -> String {
    let path = run_dir.display().to_string();
    let plain = path
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:@%,".contains(c));
    if plain {
        format!("influx harvest --resume {path}")
    } else {
        format!("influx harvest --resume '{}'", path.replace('\'', "'\\''"))
    }
}

fn path_text(p: &Path) -> String {
    p.display().to_string()
}
