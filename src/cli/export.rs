//! `influx export [--data DIR] --format csv|jsonl [--fields a,b,...] [--out FILE]`: the stored
//! dataset, one row per author, for analysts; `--format parquet --out FILE` typed columns. Exit 0
//! written (or the reader of stdout stopped reading, as `| head` does), 2 unreadable dataset or a
//! field no record holds.

use std::io::Write;
use std::path::PathBuf;

use super::Exit;
use crate::pipeline::data_dir::DataDir;
use crate::pipeline::export::{self, DEFAULT_FIELDS, Format};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Jsonl,
    /// Typed columns (the release's `.parquet`); needs --out, ignores --fields.
    Parquet,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Dataset directory (holds latest/).
    #[arg(long, value_name = "DIR", default_value = "data")]
    pub data: PathBuf,
    #[arg(long, value_enum)]
    pub format: FormatArg,
    /// Columns, comma-separated: computed ones (followers_count, score, activity, quality,
    /// relevance, last_refresh_at, status, ...) or record fields by path (meta.score_version)
    /// [default: handle,id,name,verified,the metrics,score and its components,...].
    #[arg(long, value_delimiter = ',', value_name = "FIELDS")]
    pub fields: Vec<String>,
    /// Write here (atomically) instead of stdout (`-` is stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub(crate) fn run(args: Args) -> color_eyre::Result<Exit> {
    let fields: Vec<String> = if args.fields.is_empty() {
        DEFAULT_FIELDS.iter().map(|s| s.to_string()).collect()
    } else {
        args.fields.clone()
    };
    let latest = DataDir::new(&args.data).latest_file();
    let format = match args.format {
        FormatArg::Csv => Format::Csv,
        FormatArg::Jsonl => Format::Jsonl,
        FormatArg::Parquet => return super::release::export_parquet(&latest, args.out.as_deref()),
    };
    let result = match args
        .out
        .as_deref()
        .filter(|p| !crate::dataset::is_std_stream(p))
    {
        Some(path) => {
            let mut file = crate::dataset::AtomicFile::create(path)?;
            let n = export::export(&latest, format, &fields, file.writer());
            if n.is_ok() {
                file.commit()?;
            }
            n
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            let n = export::export(&latest, format, &fields, &mut out);
            let _ = out.flush();
            n
        }
    };
    match result {
        Ok(n) => {
            eprintln!(
                "exported {}",
                crate::plural::count(n as u64, "author", "authors")
            );
            Ok(Exit::Ok)
        }
        // The reader has what it wanted: nothing failed that the user should hear about.
        Err(e) if e.is_broken_pipe() => Ok(Exit::Ok),
        Err(e) => {
            eprintln!("influx export: {e}");
            Ok(Exit::Unusable)
        }
    }
}
