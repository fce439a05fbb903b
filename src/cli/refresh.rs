//! `influx refresh [--data DIR] [--stale-after 7d] [--max-spend USD] [--max-requests N]
//! [--dry-run] [--include unverifiable] [--metrics-file PATH]`: the one command cron runs. Reads
//! the configuration (flags, environment, DIR/influx.toml, defaults), runs the refresh engine,
//! shows its events (words on a terminal, JSON lines otherwise), writes the metrics file, and
//! exits 0 all chosen authors refreshed, 1 some left out (flags, failures, caps, gates), 2 nothing
//! could be done (another refresh running, bad configuration, no credits).

use serde_json::json;

use super::Exit;
use super::config::ConfigArgs;
use super::harvest::event_json;
use super::output::{Mode, json_line};
use crate::config::{Settings, token_error_words};
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::HarvestSetup;
use crate::pipeline::harvest::budget::BudgetConfig;
use crate::pipeline::harvest::events::HarvestEvent;
use crate::pipeline::harvest::pricing::usd_to_micros;
use crate::pipeline::harvest::xapi::Token;
use crate::pipeline::refresh::{
    self, CensusRules, LastRefresh, RefreshEvent, RefreshOptions, RefreshReport, prometheus,
};
use color_eyre::eyre::eyre;

/// What `--include` may add to the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Include {
    /// Records that are not stale but cannot be proved against a kept answer (legacy data).
    /// Stale ones are re-read whether they can be proved or not.
    Unverifiable,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Print the selection and its plan (counts per reason, requests, cost, ETA); send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Also choose these (repeatable).
    #[arg(long, value_name = "WHAT")]
    pub include: Vec<Include>,
    /// JSON lines on stdout even on a terminal.
    #[arg(long)]
    pub json: bool,
    /// Then bring the history's Parquet lake at LAKE up to date, as `influx history export
    /// --out LAKE` does (only the weeks that changed are written): the weekly cron's last step.
    #[arg(long, value_name = "LAKE")]
    pub history_export: Option<std::path::PathBuf>,
}

fn unusable(mode: Mode, reason: &str) -> Exit {
    match mode {
        Mode::JsonLines => json_line(&json!({"event": "refresh_failed", "reason": reason})),
        Mode::Human => eprintln!("influx refresh: {reason}"),
    }
    Exit::Unusable
}

/// The engine's options from the effective configuration.
fn options(args: &Args, s: &Settings) -> color_eyre::Result<RefreshOptions> {
    let token = match Token::from_file_or_env(s.token_file.value.as_deref()) {
        Err(_) if args.dry_run => Token::new("dry-run")?,
        Err(e) => return Err(eyre!(token_error_words(&e, &s.token_file.from))),
        Ok(t) => t,
    };
    let pricing = s.pricing();
    let micros = |what, v: Option<f64>| v.map(|usd| usd_to_micros(what, usd)).transpose();
    let mut harvest = HarvestSetup::new(&s.api_base.value, token);
    harvest.pricing = pricing;
    harvest.budget = BudgetConfig::for_plan(pricing.plan.limits());
    harvest.batch_size = s.batch_size.value;
    harvest.concurrency = s.concurrency.value;
    harvest.max_spend = micros("max_spend", s.max_spend_usd.value)?;
    harvest.max_requests = s.max_requests.value;
    Ok(RefreshOptions {
        data_dir: args.config.data_dir(),
        harvest,
        max_spend_per_day: micros("max_spend_per_day", s.max_spend_per_day_usd.value)?,
        rules: CensusRules {
            now: chrono::Utc::now(),
            stale_after: s.stale_after.value.delta(),
            backoff: s.not_found_backoff.value.delta(),
            include_unverifiable: args.include.contains(&Include::Unverifiable),
        },
        gates: s.gates(),
        dry_run: args.dry_run,
    })
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let settings = match args.config.settings() {
        Ok(s) => s,
        Err(e) => return Ok(unusable(mode, &e.to_string())),
    };
    for w in &settings.warnings {
        warn(mode, w);
    }
    let opts = match options(&args, &settings) {
        Ok(o) => o,
        Err(e) => return Ok(unusable(mode, &super::output::causes_line(e.as_ref()))),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let data_dir = opts.data_dir.clone();
    let rules = opts.rules.clone();
    let report = runtime.block_on(async move {
        let (stop, cancel) = tokio::sync::watch::channel(false);
        // cron, systemd and `timeout` stop a job with SIGTERM: it is Ctrl-C to the refresh.
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::spawn(async move {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            let _ = stop.send(true);
        });
        let mut show = |e: &RefreshEvent| show_event(mode, e);
        color_eyre::Result::<_>::Ok(refresh::run(opts, &mut show, cancel).await)
    })?;
    let report = match report {
        Ok(r) => r,
        Err(e) => {
            let why = e.to_string();
            let exit = unusable(mode, &why);
            // Every exit is kept (last.json) and shown (the metrics file), a failed one too.
            let kept = refresh::record_unusable(&data_dir, &why).map(|_| ());
            let shown = match (&settings.metrics_file.value, args.dry_run) {
                (Some(path), false) if data_dir.root().is_dir() => {
                    // The census as far as it can be taken: a failure may be what broke it.
                    let census = refresh::census_of(&data_dir, &rules).unwrap_or_default();
                    write_metrics(path, &data_dir, &census)
                }
                _ => Ok(()),
            };
            if let Err(e) = kept {
                warn(mode, &format!("cannot keep this refresh in last.json: {e}"));
            }
            if let Err(e) = shown {
                warn(mode, &format!("cannot write the metrics file: {e:#}"));
            }
            return Ok(exit);
        }
    };
    show_report(mode, &report);
    if let (Some(path), false) = (&settings.metrics_file.value, report.dry_run) {
        write_metrics(path, &data_dir, &report.census)?;
    }
    let refreshed = match report.outcome.exit_code() {
        0 => Exit::Ok,
        1 => Exit::GateFailed,
        _ => Exit::Unusable,
    };
    // The lake follows what the refresh recorded (a partial refresh recorded some authors too);
    // a refresh that could do nothing recorded nothing, and a dry run sends nothing.
    let exported = match &args.history_export {
        Some(lake) if !report.dry_run && refreshed != Exit::Unusable => {
            match super::release::history_export(&data_dir, Some(lake), None, mode) {
                Ok(exit) => exit,
                Err(e) => {
                    warn(
                        mode,
                        &format!(
                            "the refresh is published, but the history export to {} failed: {}",
                            lake.display(),
                            super::output::causes_line(e.as_ref())
                        ),
                    );
                    Exit::Unusable
                }
            }
        }
        _ => Exit::Ok,
    };
    Ok(if refreshed == Exit::Ok {
        exported
    } else {
        refreshed
    })
}

fn warn(mode: Mode, message: &str) {
    match mode {
        Mode::JsonLines => json_line(&json!({"event": "warning", "message": message})),
        Mode::Human => eprintln!("warning: {message}"),
    }
}

/// The metrics file: the census given, the last refresh kept, the ledger's totals.
fn write_metrics(
    path: &std::path::Path,
    data_dir: &DataDir,
    census: &refresh::Census,
) -> color_eyre::Result<()> {
    let (requests_total, throttled_total) = refresh::request_totals(data_dir)?;
    let last = LastRefresh::read(data_dir)?;
    prometheus::write(
        path,
        &prometheus::Figures {
            census,
            last: last.as_ref(),
            requests_total,
            throttled_total,
        },
    )?;
    Ok(())
}

fn show_event(mode: Mode, e: &RefreshEvent) {
    match (mode, e) {
        (Mode::JsonLines, RefreshEvent::Selected(s)) if s.dry_run_list => {
            for c in s.census.candidates.iter().take(s.handles.len()) {
                json_line(
                    &json!({"event": "candidate", "handle": c.handle, "id": c.id,
                    "reason": c.reason, "last_refresh_at": c.last_refresh_at.map(crate::dataset::format_time)}),
                );
            }
            show_event(
                mode,
                &RefreshEvent::Selected(refresh::Selection {
                    dry_run_list: false,
                    ..s.clone()
                }),
            );
        }
        (Mode::Human, RefreshEvent::Selected(s)) if s.dry_run_list => {
            const SHOWN: usize = 20;
            for c in s.census.candidates.iter().take(s.handles.len().min(SHOWN)) {
                let when = c
                    .last_refresh_at
                    .map_or("never".to_string(), crate::dataset::format_time);
                eprintln!(
                    "  {:<16} {:<9} last refreshed {when}",
                    c.handle,
                    c.reason.word()
                );
            }
            if s.handles.len() > SHOWN {
                eprintln!(
                    "  ... and {} more (--json lists them all)",
                    s.handles.len() - SHOWN
                );
            }
            show_event(
                mode,
                &RefreshEvent::Selected(refresh::Selection {
                    dry_run_list: false,
                    ..s.clone()
                }),
            );
        }
        (Mode::JsonLines, RefreshEvent::Selected(s)) => json_line(&json!({
            "event": "selected", "run_dir": s.run_dir, "resumed": s.resumed,
            "per_reason": s.per_reason.iter().map(|(r, n)| (r.word(), *n)).collect::<std::collections::BTreeMap<_, _>>(),
            "handles": s.handles.len(), "held_back": s.held_back,
            "authors": s.census.authors, "stale": s.census.stale,
            "skipped_unverifiable": s.census.skipped_unverifiable,
            "backed_off": s.census.backed_off,
            "stale_backed_off": s.census.stale_backed_off,
        })),
        (Mode::Human, RefreshEvent::Selected(s)) => {
            if s.resumed {
                eprintln!(
                    "resuming the interrupted refresh in {}",
                    s.run_dir.display()
                );
            }
            let reasons: Vec<String> = s
                .per_reason
                .iter()
                .map(|(r, n)| format!("{n} {}", r.word()))
                .collect();
            eprintln!(
                "{} authors: chose {} ({}); {} held back by caps, {} fresh but unverifiable (--include unverifiable), {} marked gone and backed off ({} of them stale)",
                s.census.authors,
                s.per_reason.iter().map(|(_, n)| n).sum::<usize>(),
                reasons.join(", "),
                s.held_back,
                s.census.skipped_unverifiable,
                s.census.backed_off,
                s.census.stale_backed_off
            );
        }
        (Mode::JsonLines, RefreshEvent::Planned(p)) => json_line(&p.to_json()),
        (Mode::Human, RefreshEvent::Planned(p)) => {
            for line in p.lines() {
                eprintln!("plan: {line}");
            }
        }
        (Mode::JsonLines, RefreshEvent::Harvest(h)) => json_line(&event_json(h)),
        (Mode::Human, RefreshEvent::Harvest(h)) => match h {
            HarvestEvent::Planned(p) => {
                for line in p.lines() {
                    eprintln!("plan: {line}");
                }
            }
            HarvestEvent::BatchDone { batch, figures, .. } => eprintln!(
                "batch {batch}: {} found, {} not found, {} suspended, {} failed",
                figures.found, figures.not_found, figures.suspended, figures.failed
            ),
            HarvestEvent::Retrying {
                batch,
                attempt,
                reason,
            } => {
                eprintln!("batch {batch}: try {attempt} failed ({reason}); retrying")
            }
            HarvestEvent::RunStopped(stop) => {
                eprintln!("harvest stopped ({}): {}", stop.reason.word(), stop.detail)
            }
            _ => {}
        },
        (Mode::JsonLines, RefreshEvent::LeftOut(b)) => {
            json_line(&json!({"event": "left_out", "record": b}))
        }
        (Mode::Human, RefreshEvent::LeftOut(b)) => eprintln!(
            "left out {} ({}:{}): {}",
            b.handle,
            b.path.display(),
            b.line,
            b.reasons.join("; ")
        ),
        (Mode::JsonLines, RefreshEvent::Merged(o)) => {
            json_line(&json!({"event": "merged", "outcome": o}))
        }
        (Mode::Human, RefreshEvent::Merged(o)) => {
            eprintln!(
                "merged: version {} with {}",
                o.version,
                crate::plural::count(o.count, "record", "records")
            )
        }
    }
}

fn show_report(mode: Mode, r: &RefreshReport) {
    match mode {
        Mode::JsonLines => json_line(
            &json!({"event": "refresh_done", "exit": r.outcome.exit_code(), "words": r.words(), "report": r}),
        ),
        Mode::Human => {
            println!("{}", r.words());
            for g in r.gates.iter().filter(|g| !g.pass) {
                println!(
                    "gate failed: {} = {} (max {})",
                    g.name, g.value, g.threshold
                );
            }
            if let Some(next) = r.census.next_stale_at {
                println!(
                    "next author goes stale at {}",
                    crate::dataset::format_time(next)
                );
            }
        }
    }
}
