//! `influx console`: the live console on a dataset directory (DIR/latest/latest.jsonl and pending
//! batch files in DIR/batches/, harvest runs in DIR/runs/). `influx demo` reuses [`open`].

use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{WrapErr, eyre};

use super::Exit;
use super::console_ops::ConsoleOps;
use super::output::color_enabled;
use crate::pipeline::data_dir::DataDir;
use crate::ui::log_ring::LogLevel;
use crate::ui::ops::Operations;
use crate::ui::terminal::{TerminalGuard, log_to_file};
use crate::ui::{App, Settings};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The dataset directory: DIR/latest/latest.jsonl, pending batches in DIR/batches/.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// X API base URL (or a simulator's).
    #[arg(long, env = "INFLUX_API_BASE", default_value = "https://api.x.com")]
    pub api_base: String,
    /// Watch only: harvest, merge and rollback are not bound.
    #[arg(long)]
    pub readonly: bool,
    /// No colours (NO_COLOR is honoured too).
    #[arg(long)]
    pub no_color: bool,
}

/// Opens the console on `ops`' data directory and runs it to the end; prints the run summary
/// on stdout.
pub(crate) fn open(
    ops: ConsoleOps,
    settings: Settings,
    notes: Vec<String>,
) -> color_eyre::Result<Exit> {
    let _log_guard = log_to_file(&ops.dir.log_file())
        .wrap_err_with(|| format!("cannot open the log file in {}", ops.dir.root().display()))?;
    let started = std::time::Instant::now();
    let (loaded, warnings) = ops
        .read_latest()
        .wrap_err("cannot load the dataset for the console")?;
    let bad_lines = loaded.bad_lines.len();
    let pending = ops.pending().map_err(|e| eyre!(e))?;
    let dir = &ops.dir;
    let mut app = App::new(settings, chrono::Utc::now())
        .with_loaded(loaded)
        .with_batches(pending);
    app.spend = ops.spend_today();
    if !app.settings.readonly {
        app.no_token = ops.token_problem();
    }
    // The review counter shows from the start; a file that cannot be read is said, not fatal.
    match ops.candidates() {
        Ok(all) => app.candidates.replace(all),
        Err(e) => app.log(LogLevel::Error, format!("candidates not read: {e}")),
    }
    app.log(
        LogLevel::Info,
        format!(
            "loaded {} records from {} in {:.1} s ({} bad lines); logs in {}",
            app.rows.len(),
            dir.latest_file().display(),
            started.elapsed().as_secs_f64(),
            bad_lines,
            dir.log_file().display()
        ),
    );
    for line in warnings.iter().chain(notes.iter()) {
        app.log(LogLevel::Warn, line.clone());
    }
    // Last, so it is the newest line in sight when the console opens.
    if let Some(why) = app.no_token.clone() {
        app.log(
            LogLevel::Warn,
            format!("{why}; until then nothing can be harvested or discovered (merges work)"),
        );
    }
    let ops: Arc<dyn Operations> = Arc::new(ops);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .wrap_err("cannot start the async runtime")?;
    let app = {
        let mut guard =
            TerminalGuard::enter().wrap_err("cannot put the terminal in console mode")?;
        runtime
            .block_on(crate::ui::event_loop::run(&mut guard.terminal, app, ops))
            .wrap_err("the console stopped on a terminal error")?
    };
    println!("{}", app.summary());
    Ok(Exit::Ok)
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    if !args.data.is_dir() {
        return Err(eyre!(
            "{} is not a directory (expected DIR/latest/latest.jsonl)",
            args.data.display()
        ));
    }
    let settings = Settings {
        dataset: args.data.display().to_string(),
        readonly: args.readonly,
        color: color_enabled(args.no_color),
    };
    let ops = ConsoleOps::new(DataDir::new(args.data), args.api_base);
    open(ops, settings, Vec::new())
}
