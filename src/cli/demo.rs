//! `influx demo`: a fresh working directory with the bundled crisis dataset and pending batch
//! files as the old pipeline left them, then the console on it. No token, no network.

use std::path::{Path, PathBuf};

use color_eyre::eyre::WrapErr;

use super::Exit;
use super::console::{DataDir, open};
use super::output::color_enabled;
use crate::ui::Settings;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to put the demo working directory (default: a new directory under the system temp dir).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// No colours (NO_COLOR is honoured too).
    #[arg(long)]
    pub no_color: bool,
}

/// The bundled demo files: (path inside the working directory, contents).
const DEMO_FILES: &[(&str, &str)] = &[
    (
        "latest/latest.jsonl",
        include_str!("../../assets/demo/latest.jsonl"),
    ),
    (
        "batches/batch-07-api.jsonl",
        include_str!("../../assets/demo/batches/batch-07-api.jsonl"),
    ),
    (
        "batches/batch-11-sample.jsonl",
        include_str!("../../assets/demo/batches/batch-11-sample.jsonl"),
    ),
    (
        "batches/batch-12-sample.jsonl",
        include_str!("../../assets/demo/batches/batch-12-sample.jsonl"),
    ),
    ("README.md", include_str!("../../assets/demo/README.md")),
];

/// Writes the demo files into `root`, which must not already hold a dataset.
pub fn prepare(root: &Path) -> color_eyre::Result<()> {
    if root.join("latest").exists() {
        color_eyre::eyre::bail!(
            "{} already holds a dataset; give --dir a new directory",
            root.display()
        );
    }
    for (rel, text) in DEMO_FILES {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .wrap_err_with(|| format!("cannot create {}", parent.display()))?;
        }
        std::fs::write(&path, text).wrap_err_with(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn fresh_dir() -> PathBuf {
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    std::env::temp_dir().join(format!("influx-demo-{stamp}-{}", std::process::id()))
}

pub fn run(args: Args) -> color_eyre::Result<Exit> {
    let root = args.dir.unwrap_or_else(fresh_dir);
    prepare(&root)?;
    let settings = Settings {
        dataset: format!("demo {}", root.display()),
        readonly: false,
        color: color_enabled(args.no_color),
    };
    let dir = DataDir {
        root: root.clone(),
        api_base: "(simulator not started: not part of this build yet)".into(),
    };
    let code = open(
        dir,
        settings,
        vec![format!("demo working directory: {}", root.display())],
    )?;
    println!("demo files kept in {}", root.display());
    Ok(code)
}
