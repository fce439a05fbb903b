//! `influx sim`: runs the X API v2 simulator (users lookup and discovery) in the foreground until Ctrl-C.
//! Prints where it listens (text on a terminal, one JSON line otherwise) and, at the end,
//! what it served and billed. The token is read from a file and never printed.

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{WrapErr, eyre};

use super::Exit;
use super::output::{Mode, json_line};
use crate::dataset::read_dataset;
use crate::pipeline::harvest::pricing::{Plan, format_usd, usd_to_micros};
use crate::plural::count;
use crate::sim::{EndpointWindow, Fault, FaultPlan, SimConfig, SimServer};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// The access plan whose windows and price to answer with (see `influx harvest --help`);
    /// --limit, --daily-limit and --price-per-user override it.
    #[arg(long, value_name = "PLAN", default_value = "pay-per-use")]
    pub plan: Plan,
    /// Requests allowed per rate-limit window [default: the plan's, 300].
    #[arg(long)]
    pub limit: Option<u32>,
    /// Length of the rate-limit window in seconds (the real API uses 900).
    #[arg(long, default_value_t = 900.0)]
    pub window_secs: f64,
    /// Length of the discovery endpoints' windows in seconds (list 75, members 900, following 15
    /// requests each; the real API uses 900).
    #[arg(long, default_value_t = 900.0)]
    pub discovery_window_secs: f64,
    /// Turn the rate limit off (for throughput measurements).
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Also send `x-app-limit-24hour-*` headers with this daily budget [default: the plan's:
    /// 500 on basic, 1 on free, none otherwise].
    #[arg(long)]
    pub daily_limit: Option<u32>,
    /// File holding the bearer token clients must send; without it any Bearer token is accepted.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// JSONL dataset whose handles are answered consistently with its records.
    #[arg(long)]
    pub dataset: Option<PathBuf>,
    /// Seed of every deterministic choice (profiles, missing and suspended handles, faults).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Per-request fault probability, KIND=P (repeatable). Kinds: 429, 429-code88, usage-cap,
    /// 402 (alias credits), 500, 502, 503, 504, slow[:MS], reset, truncated, malformed.
    #[arg(long = "fault-rate", value_name = "KIND=P")]
    pub fault_rates: Vec<String>,
    /// A one-shot fault for the next request, KIND or KIND*N for the next N (repeatable, in order).
    /// Kinds as for --fault-rate.
    #[arg(long = "fault", value_name = "KIND[*N]")]
    pub faults: Vec<String>,
    /// Delay added to every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of unconfigured handles that do not exist.
    #[arg(long, default_value_t = 0.03)]
    pub not_found_rate: f64,
    /// Share of unconfigured handles that are suspended.
    #[arg(long, default_value_t = 0.01)]
    pub suspended_rate: f64,
    /// Share of profiles that spell `tweet_count` as `post_count`.
    #[arg(long, default_value_t = 0.0)]
    pub post_count_rate: f64,
    /// Pay-per-use credits of the account, in USD: once spent, requests get 402 CreditsDepleted.
    /// Without it credits are not modelled, but what would be billed is still counted.
    #[arg(long, value_name = "USD")]
    pub credits: Option<f64>,
    /// Charge per user returned, in USD (a user read again the same UTC day is free)
    /// [default: the plan's, 0.010 on pay-per-use].
    #[arg(long, value_name = "USD")]
    pub price_per_user: Option<f64>,
    /// Print JSON lines even on a terminal.
    #[arg(long)]
    pub json: bool,
}

fn parse_rate(spec: &str) -> color_eyre::Result<(Fault, f64)> {
    let (kind, p) = spec
        .rsplit_once('=')
        .ok_or_else(|| eyre!("--fault-rate {spec}: expected KIND=P, e.g. 503=0.05"))?;
    let fault: Fault = kind
        .parse()
        .wrap_err_with(|| format!("--fault-rate {spec}"))?;
    let p: f64 = p
        .parse()
        .ok()
        .filter(|p: &f64| (0.0..=1.0).contains(p))
        .ok_or_else(|| eyre!("--fault-rate {spec}: P must be a number from 0 to 1"))?;
    Ok((fault, p))
}

fn parse_queued(spec: &str) -> color_eyre::Result<Vec<Fault>> {
    let (kind, n) = match spec.rsplit_once('*') {
        Some((k, n)) => (
            k,
            n.parse::<usize>()
                .map_err(|_| eyre!("--fault {spec}: N in KIND*N must be a whole number"))?,
        ),
        None => (spec, 1),
    };
    let fault: Fault = kind.parse().wrap_err_with(|| format!("--fault {spec}"))?;
    Ok(vec![fault; n])
}

fn config(args: &Args) -> color_eyre::Result<SimConfig> {
    if !(args.window_secs > 0.0 && args.window_secs.is_finite()) {
        return Err(eyre!("--window-secs must be a positive number of seconds"));
    }
    if !(args.discovery_window_secs > 0.0 && args.discovery_window_secs.is_finite()) {
        return Err(eyre!(
            "--discovery-window-secs must be a positive number of seconds"
        ));
    }
    let discovery = |w: EndpointWindow| EndpointWindow {
        length: Duration::from_secs_f64(args.discovery_window_secs),
        ..w
    };
    let defaults = SimConfig::default();
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .wrap_err_with(|| format!("cannot read the token file {}", path.display()))?;
            let token = text.trim().to_string();
            if token.is_empty() {
                return Err(eyre!("the token file {} is empty", path.display()));
            }
            Some(token)
        }
        None => None,
    };
    let known = match &args.dataset {
        Some(path) => {
            let ds = read_dataset(path)
                .wrap_err_with(|| format!("cannot load the dataset {}", path.display()))?;
            for e in &ds.errors {
                eprintln!("influx sim: {}: skipped {e}", path.display());
            }
            ds.records
        }
        None => Vec::new(),
    };
    let mut plan = FaultPlan::none();
    for spec in &args.fault_rates {
        let (fault, p) = parse_rate(spec)?;
        plan = plan.with_rate(fault, p);
    }
    for spec in &args.faults {
        plan.queue.extend(parse_queued(spec)?);
    }
    let credits = args
        .credits
        .map(|usd| usd_to_micros("--credits", usd))
        .transpose()?;
    let price_micros = match args.price_per_user {
        Some(usd) => usd_to_micros("--price-per-user", usd)?,
        None => args.plan.price(),
    };
    let limits = args.plan.limits();
    Ok(SimConfig {
        port: args.port,
        limit: args.limit.unwrap_or(limits.per_window.get()),
        window: Duration::from_secs_f64(args.window_secs),
        rate_limit: !args.no_rate_limit,
        daily_limit: args
            .daily_limit
            .or(limits.per_day.map(std::num::NonZeroU32::get))
            .filter(|n| *n > 0),
        token,
        known,
        not_found_rate: args.not_found_rate.clamp(0.0, 1.0),
        suspended_rate: args.suspended_rate.clamp(0.0, 1.0),
        post_count_rate: args.post_count_rate.clamp(0.0, 1.0),
        faults: plan,
        latency: Duration::from_millis(args.latency_ms),
        seed: args.seed,
        credits,
        price_micros,
        list_window: discovery(defaults.list_window),
        members_window: discovery(defaults.members_window),
        following_window: discovery(defaults.following_window),
        ..defaults
    })
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("influx sim: {}", super::output::causes_line(e.as_ref()));
            return Ok(Exit::Unusable);
        }
    };
    let known = config.known.len();
    let (limit, window, rate_limit) = (config.limit, config.window, config.rate_limit);
    let (credits, price_micros) = (config.credits, config.price_micros);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    runtime.block_on(async move {
        let server = match SimServer::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("influx sim: {e}");
                return Ok(Exit::Unusable);
            }
        };
        match mode {
            Mode::Human => {
                let limit_text = if rate_limit {
                    format!("{limit} requests / {} s", window.as_secs_f64())
                } else {
                    "no rate limit".to_string()
                };
                let credits_text = match credits {
                    Some(c) => format!("{} of credits", format_usd(c)),
                    None => "credits not modelled".to_string(),
                };
                println!(
                    "influx sim listening on {} ({limit_text}, {known} known records, {credits_text}, {} per user). Ctrl-C stops it.",
                    server.base_url(),
                    format_usd(price_micros)
                );
            }
            Mode::JsonLines => json_line(&serde_json::json!({
                "event": "listening",
                "base_url": server.base_url(),
                "port": server.addr().port(),
                "limit": rate_limit.then_some(limit),
                "window_secs": window.as_secs_f64(),
                "known_records": known,
                "credits_micros": credits,
                "price_micros": price_micros,
            })),
        }
        tokio::signal::ctrl_c()
            .await
            .wrap_err("cannot wait for Ctrl-C")?;
        let stats = server.stats();
        match mode {
            Mode::Human => {
                let b = &stats.billing;
                let balance = match b.balance_micros {
                    Some(m) if m < 0 => format!(", balance -{}", format_usd(m.unsigned_abs())),
                    Some(m) => format!(", balance {}", format_usd(m as u64)),
                    None => String::new(),
                };
                eprintln!(
                    "\ninflux sim stopped: {}, {} answered, {} rate-limited by the window; billed {} for {} ({}, {} refused for credits){balance}",
                    count(stats.requests, "request", "requests"),
                    count(stats.handles_answered, "handle", "handles"),
                    stats.rate_limited.window,
                    format_usd(b.billed_micros),
                    count(b.users_billed, "user", "users"),
                    count(b.free_rereads, "free re-read", "free re-reads"),
                    b.credits_depleted
                )
            }
            Mode::JsonLines => json_line(&serde_json::json!({"event": "stopped", "stats": stats})),
        }
        Ok(Exit::Ok)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_sets_the_windows_and_the_price_and_flags_override_it() {
        use clap::Parser;
        #[derive(Parser)]
        struct Cli {
            #[command(flatten)]
            sim: Args,
        }
        let basic = config(&Cli::parse_from(["sim", "--plan", "basic"]).sim).unwrap();
        assert_eq!(
            (basic.limit, basic.daily_limit, basic.price_micros),
            (300, Some(500), 0)
        );
        let given = [
            "sim",
            "--plan",
            "free",
            "--limit",
            "7",
            "--price-per-user",
            "0.02",
        ];
        let free = config(&Cli::parse_from(given).sim).unwrap();
        assert_eq!(
            (free.limit, free.daily_limit, free.price_micros),
            (7, Some(1), 20_000)
        );
        let bad = Cli::parse_from(["sim", "--credits=-1"]);
        assert!(
            config(&bad.sim)
                .unwrap_err()
                .to_string()
                .contains("--credits")
        );
    }
}
