//! `influx sim`: runs the X API v2 users-lookup simulator in the foreground until Ctrl-C.
//! Prints where it listens (text on a terminal, one JSON line otherwise) and, at the end,
//! what it served. The token is read from a file and never printed.

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::{WrapErr, eyre};

use super::Exit;
use super::output::{Mode, json_line};
use crate::dataset::read_dataset;
use crate::sim::{Fault, FaultPlan, SimConfig, SimServer};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Port on 127.0.0.1 (0 = any free port).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Requests allowed per rate-limit window.
    #[arg(long, default_value_t = 300)]
    pub limit: u32,
    /// Length of the rate-limit window in seconds (the real API uses 900).
    #[arg(long, default_value_t = 900.0)]
    pub window_secs: f64,
    /// Turn the rate limit off (for throughput measurements).
    #[arg(long)]
    pub no_rate_limit: bool,
    /// Also send `x-app-limit-24hour-*` headers with this daily budget.
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
    /// 500, 502, 503, 504, slow[:MS], reset, truncated, malformed.
    #[arg(long = "fault-rate", value_name = "KIND=P")]
    pub fault_rates: Vec<String>,
    /// A one-shot fault for the next request, KIND or KIND*N for the next N (repeatable, in order).
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
    Ok(SimConfig {
        port: args.port,
        limit: args.limit,
        window: Duration::from_secs_f64(args.window_secs),
        rate_limit: !args.no_rate_limit,
        daily_limit: args.daily_limit,
        token,
        known,
        not_found_rate: args.not_found_rate.clamp(0.0, 1.0),
        suspended_rate: args.suspended_rate.clamp(0.0, 1.0),
        post_count_rate: args.post_count_rate.clamp(0.0, 1.0),
        faults: plan,
        latency: Duration::from_millis(args.latency_ms),
        seed: args.seed,
        ..SimConfig::default()
    })
}

pub fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let config = match config(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("influx sim: {e:#}");
            return Ok(Exit::Unusable);
        }
    };
    let known = config.known.len();
    let (limit, window, rate_limit) = (config.limit, config.window, config.rate_limit);
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
                println!(
                    "influx sim listening on {} ({limit_text}, {known} known records). Ctrl-C stops it.",
                    server.base_url()
                );
            }
            Mode::JsonLines => json_line(&serde_json::json!({
                "event": "listening",
                "base_url": server.base_url(),
                "port": server.addr().port(),
                "limit": rate_limit.then_some(limit),
                "window_secs": window.as_secs_f64(),
                "known_records": known,
            })),
        }
        tokio::signal::ctrl_c()
            .await
            .wrap_err("cannot wait for Ctrl-C")?;
        let stats = server.stats();
        match mode {
            Mode::Human => eprintln!(
                "\ninflux sim stopped: {} requests, {} handles answered, {} rate-limited by the window",
                stats.requests, stats.handles_answered, stats.rate_limited.window
            ),
            Mode::JsonLines => json_line(&serde_json::json!({"event": "stopped", "stats": stats})),
        }
        Ok(Exit::Ok)
    })
}
