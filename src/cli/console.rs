//! `influx console`: the live console on a dataset directory (DIR/latest/latest.jsonl and pending
//! batch files in DIR/batches/). Also the [`DataDir`] glue that lets the console drive the
//! pipeline library; `influx demo` reuses both.

use std::path::PathBuf;
use std::sync::Arc;

use color_eyre::eyre::{WrapErr, eyre};

use super::Exit;
use super::output::color_enabled;
use crate::dataset::{Record, read_dataset};
use crate::ui::batches::{BatchRow, BatchState};
use crate::ui::log_ring::LogLevel;
use crate::ui::ops::{EngineLink, MergePlanView, Operations};
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

/// A dataset directory as the console sees it.
pub struct DataDir {
    pub root: PathBuf,
    pub api_base: String,
}

impl DataDir {
    pub fn latest(&self) -> PathBuf {
        self.root.join("latest").join("latest.jsonl")
    }

    pub fn batches_dir(&self) -> PathBuf {
        self.root.join("batches")
    }

    /// Records of latest.jsonl, with a line of words for each bad line.
    pub fn read_latest(&self) -> Result<(Vec<Record>, Vec<String>), String> {
        let path = self.latest();
        if !path.exists() {
            return Ok((
                Vec::new(),
                vec![format!("{} does not exist yet", path.display())],
            ));
        }
        let ds = read_dataset(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let bad = ds
            .errors
            .iter()
            .map(|e| format!("{}: {e}", path.display()))
            .collect();
        Ok((ds.records, bad))
    }

    /// Pending batch files (DIR/batches/*.jsonl), by name.
    pub fn pending(&self) -> Result<Vec<BatchRow>, String> {
        let dir = self.batches_dir();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(Vec::new());
        };
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "jsonl"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let ds = read_dataset(p).map_err(|e| format!("{}: {e}", p.display()))?;
                let name = p
                    .file_stem()
                    .unwrap_or_default()
                    .to_string_lossy()
                    .to_string();
                let mut row = BatchRow::new(name, BatchState::Pending);
                row.describe(&ds.records);
                Ok(row)
            })
            .collect()
    }
}

impl Operations for DataDir {
    fn load(&self) -> Result<(Vec<Record>, Vec<BatchRow>), String> {
        Ok((self.read_latest()?.0, self.pending()?))
    }

    fn start_harvest(&self, _handles: Vec<String>) -> Result<EngineLink, String> {
        Err(format!(
            "the harvest engine is not part of this build yet (API base {})",
            self.api_base
        ))
    }

    fn plan_merge(&self) -> Result<MergePlanView, String> {
        Err("merge planning is not part of this build yet".into())
    }

    fn apply_merge(&self) -> Result<String, String> {
        Err("merge is not part of this build yet".into())
    }

    fn rollback(&self) -> Result<String, String> {
        Err("rollback is not part of this build yet".into())
    }
}

/// Opens the console on `dir` and runs it to the end; prints the run summary on stdout.
pub fn open(dir: DataDir, settings: Settings, notes: Vec<String>) -> color_eyre::Result<Exit> {
    let _log_guard = log_to_file(&dir.root)
        .wrap_err_with(|| format!("cannot open the log file in {}", dir.root.display()))?;
    let (records, bad_lines) = dir.read_latest().map_err(|e| eyre!(e))?;
    let pending = dir.pending().map_err(|e| eyre!(e))?;
    let mut app = App::new(settings, chrono::Utc::now())
        .with_records(records)
        .with_batches(pending);
    app.log(
        LogLevel::Info,
        format!(
            "loaded {} records from {} ({} bad lines); logs in {}",
            app.rows.len(),
            dir.latest().display(),
            bad_lines.len(),
            dir.root.join("influx.log").display()
        ),
    );
    for line in bad_lines.iter().chain(notes.iter()) {
        app.log(LogLevel::Warn, line.clone());
    }
    let ops: Arc<dyn Operations> = Arc::new(dir);
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

pub fn run(args: Args) -> color_eyre::Result<Exit> {
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
    let dir = DataDir {
        root: args.data,
        api_base: args.api_base,
    };
    open(dir, settings, Vec::new())
}
