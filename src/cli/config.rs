//! `influx config [--data DIR] [--config FILE] [flags] [--json]`: the effective configuration of
//! the scheduled commands and where each value came from (flag, environment, file and line,
//! default). Also the flags `refresh` shares with it. Exit 0, or 2 when the configuration
//! cannot be used (the error names the file, line and key).

use std::path::PathBuf;

use serde_json::json;

use super::Exit;
use super::output::{Mode, json_line};
use crate::config::{Age, Overrides, Settings};
use crate::pipeline::audit::Gate;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::Plan;

/// The values a flag may set, in every command that reads the configuration.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// Dataset directory (holds latest/, runs/, influx.toml).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    /// The configuration file [default: DIR/influx.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// X API base URL [default: https://api.x.com; env INFLUX_API_BASE].
    #[arg(long, value_name = "URL")]
    pub api_base: Option<String>,
    /// The access plan: pay-per-use, basic, pro or free.
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<Plan>,
    /// Price of one user returned, in USD [default: the plan's].
    #[arg(long, value_name = "USD")]
    pub price_per_user: Option<f64>,
    /// The most one refresh may spend, in USD.
    #[arg(long, value_name = "USD")]
    pub max_spend: Option<f64>,
    /// The most every harvest of DIR may spend in one UTC day, in USD (the ledger's figure).
    #[arg(long, value_name = "USD")]
    pub max_spend_per_day: Option<f64>,
    /// The most requests one refresh may send (retries count).
    #[arg(long, value_name = "N")]
    pub max_requests: Option<u64>,
    /// An author last refreshed longer ago than this is stale: 7d, 36h, 2w [default: 7d].
    #[arg(long, value_name = "AGE")]
    pub stale_after: Option<Age>,
    /// How long an author found missing or suspended is not asked again [default: 30d].
    #[arg(long, value_name = "AGE")]
    pub not_found_backoff: Option<Age>,
    /// Handles per request, 1 to 100 [default: 100].
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,
    /// Requests in flight at once [default: 4].
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// File holding the bearer token, readable by its owner only (otherwise X_BEARER_TOKEN).
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Write the Prometheus text metrics here (node_exporter's textfile collector).
    #[arg(long, value_name = "PATH")]
    pub metrics_file: Option<PathBuf>,
    /// A gate on the refreshed records, NAME=MAX (repeatable): adds to the configured gates.
    #[arg(long = "gate", value_name = "NAME=MAX", value_parser = parse_gate_limit)]
    pub gates: Vec<(Gate, usize)>,
}

pub(crate) fn parse_gate_limit(s: &str) -> Result<(Gate, usize), String> {
    super::audit::parse_gate_limit(s)
}

impl ConfigArgs {
    pub(crate) fn overrides(&self) -> Overrides {
        Overrides {
            api_base: self.api_base.clone(),
            plan: self.plan,
            price_per_user: self.price_per_user,
            max_spend: self.max_spend,
            max_spend_per_day: self.max_spend_per_day,
            max_requests: self.max_requests,
            stale_after: self.stale_after,
            not_found_backoff: self.not_found_backoff,
            batch_size: self.batch_size,
            concurrency: self.concurrency,
            token_file: self.token_file.clone(),
            metrics_file: self.metrics_file.clone(),
            gates: self.gates.clone(),
        }
    }

    /// The data directory `--data` names.
    pub(crate) fn data_dir(&self) -> DataDir {
        DataDir::new(&self.data)
    }

    pub(crate) fn settings(&self) -> Result<Settings, crate::config::ConfigError> {
        Settings::load(&self.data_dir(), self.config.as_deref(), &self.overrides())
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// JSON even on a terminal.
    #[arg(long)]
    pub json: bool,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let mode = Mode::detect(args.json);
    let settings = match args.config.settings() {
        Ok(s) => s,
        Err(e) => {
            match mode {
                Mode::JsonLines => {
                    json_line(&json!({"event": "config_error", "reason": e.to_string()}))
                }
                Mode::Human => eprintln!("influx config: {e}"),
            }
            return Ok(Exit::Unusable);
        }
    };
    match mode {
        Mode::JsonLines => json_line(&settings),
        Mode::Human => {
            match &settings.file {
                Some(f) => println!("# from {}", f.display()),
                None => println!(
                    "# no configuration file ({} does not exist): flags, environment and defaults",
                    args.config.data_dir().config_file().display()
                ),
            }
            for line in settings.lines() {
                println!("{line}");
            }
            for w in &settings.warnings {
                eprintln!("warning: {w}");
            }
        }
    }
    Ok(Exit::Ok)
}
