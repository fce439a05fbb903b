//! `influx demo`: a fresh working directory with the bundled crisis dataset (stored as version 1
//! of the merge store and the first version of its history) and pending batch files as the old pipeline left them, the simulator on
//! a free loopback port with a compressed rate-limit window, and the console on both.
//! No token, no network.

use std::path::PathBuf;
use std::time::Duration;

use color_eyre::eyre::WrapErr;

use super::Exit;
use super::console::open;
use super::console_ops::ConsoleOps;
use super::output::color_enabled;
use crate::dataset::read_dataset;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::harvest::budget::BudgetConfig;
use crate::pipeline::harvest::xapi::Token;
use crate::pipeline::merge;
use crate::sim::{SimConfig, SimServer};
use crate::ui::Settings;

/// The simulator's token: it only ever guards a loopback server of this process.
const DEMO_TOKEN: &str = "influx-demo-token";
/// A compressed window: small enough that the demo shows the run waiting for budget.
const DEMO_LIMIT: u32 = 6;
const DEMO_WINDOW: Duration = Duration::from_secs(15);
/// Handles per request in the demo, so progress moves in visible steps.
const DEMO_BATCH: usize = 25;
/// The demo account's pay-per-use balance: enough for the crisis fix (a few dollars at $0.010 a
/// user), so a new user sees the spend move and what fixing the crisis costs.
const DEMO_CREDITS_MICROS: u64 = 10_000_000;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to put the demo working directory (default: a new directory under the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No colours (NO_COLOR is honoured too).
    #[arg(long)]
    pub no_color: bool,
}

/// The old pipeline's dataset, kept in the working directory (its README points at it) and
/// imported as version 1 of the store.
const IMPORT_FILE: &str = "import/latest-2025-11-14.jsonl";
const IMPORT_TEXT: &str = include_str!("../../assets/demo/latest.jsonl");
const README_TEXT: &str = include_str!("../../assets/demo/README.md");

/// The bundled pending batches, as the old pipeline left them: (file name, contents).
const DEMO_BATCHES: &[(&str, &str)] = &[
    (
        "batch-07-api.jsonl",
        include_str!("../../assets/demo/batches/batch-07-api.jsonl"),
    ),
    (
        "batch-11-sample.jsonl",
        include_str!("../../assets/demo/batches/batch-11-sample.jsonl"),
    ),
    (
        "batch-12-sample.jsonl",
        include_str!("../../assets/demo/batches/batch-12-sample.jsonl"),
    ),
];

/// Writes the demo files into `data`, which must not already hold a dataset.
pub fn prepare(data: &DataDir) -> color_eyre::Result<()> {
    if data.latest_link().exists() {
        color_eyre::eyre::bail!(
            "{} already holds a dataset; give --dir a new directory",
            data.root().display()
        );
    }
    let import = data.root().join(IMPORT_FILE);
    let files = [
        (import.clone(), IMPORT_TEXT),
        (data.root().join("README.md"), README_TEXT),
    ]
    .into_iter()
    .chain(
        DEMO_BATCHES
            .iter()
            .map(|(name, text)| (data.batches_dir().join(name), *text)),
    );
    for (path, text) in files {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .wrap_err_with(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    }
    merge::import_verbatim(data, &import)?;
    // The crisis dataset is the history's first version: the simulator's answers, once merged,
    // are the next snapshots, and the detail pane draws the change.
    crate::pipeline::history::History::open(data)?;
    Ok(())
}

/// The simulator, answering for the demo dataset's authors.
fn start_simulator(data: &DataDir) -> color_eyre::Result<SimServer> {
    let known = read_dataset(&data.root().join(IMPORT_FILE))?.records;
    let config = SimConfig {
        limit: DEMO_LIMIT,
        window: DEMO_WINDOW,
        token: Some(DEMO_TOKEN.into()),
        known,
        latency: Duration::from_millis(300),
        seed: 7,
        credits: Some(DEMO_CREDITS_MICROS),
        ..SimConfig::default()
    };
    SimServer::start_background(config).wrap_err("cannot start the simulator")
}

fn fresh_dir() -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    std::env::temp_dir().join(format!("influx-demo-{stamp}-{}", std::process::id()))
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let root = args.dir.unwrap_or_else(fresh_dir);
    let data = DataDir::new(&root);
    prepare(&data)?;
    let settings = Settings {
        dataset: format!("demo {}", root.display()),
        readonly: false,
        color: color_enabled(args.no_color),
    };
    let sim = start_simulator(&data)?;
    let mut ops = ConsoleOps::new(data, sim.base_url());
    ops.harvest.token = Some(Token::new(DEMO_TOKEN)?);
    ops.harvest.budget = BudgetConfig::new(std::num::NonZeroU32::new(DEMO_LIMIT), DEMO_WINDOW);
    ops.harvest.batch_size = DEMO_BATCH;
    let notes = vec![format!(
        "demo: simulator at {} ({DEMO_LIMIT} requests per {}s, {} of pay-per-use credits at {} a user); working directory {}; press s to harvest",
        sim.base_url(),
        DEMO_WINDOW.as_secs(),
        crate::pipeline::harvest::pricing::format_usd(DEMO_CREDITS_MICROS),
        crate::pipeline::harvest::pricing::format_usd(
            crate::pipeline::harvest::pricing::PAY_PER_USE_PRICE
        ),
        root.display()
    )];
    let code = open(ops, settings, notes)?;
    drop(sim);
    println!("demo files kept in {}", root.display());
    Ok(code)
}
