//! `influx gen`: writes N deterministic, realistic author records (for benchmarks and load tests),
//! and with `--history-db` a year of weekly snapshots of them.

use std::io::Write;
use std::path::PathBuf;

use color_eyre::eyre::{Result, WrapErr};

use super::Exit;
use crate::dataset::AtomicFile;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// How many records.
    #[arg(long, default_value_t = 1000)]
    pub count: u64,
    /// The stream's seed: the same seed writes the same file.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Number of the first record, to make a batch that overlaps (or extends) another file.
    #[arg(long, default_value_t = 0)]
    pub first: u64,
    /// Output file (`.gz` compresses); stdout when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also write a history of the same authors into this history.sqlite (created when
    /// absent): --weeks weekly snapshots each, the last a week before the records' own.
    #[arg(long, value_name = "FILE")]
    pub history_db: Option<PathBuf>,
    /// Snapshots per author in --history-db.
    #[arg(long, default_value_t = 52)]
    pub weeks: u32,
}

pub(crate) fn run(args: Args) -> Result<Exit> {
    if let Some(db) = &args.history_db {
        let started = std::time::Instant::now();
        let mut history = crate::pipeline::history::History::open_file(db)?;
        let added = history.insert_all(crate::generate::history(
            args.seed, args.first, args.count, args.weeks,
        ))?;
        eprintln!(
            "{}: {added} snapshots of {} authors in {:.1} s",
            db.display(),
            args.count,
            started.elapsed().as_secs_f64()
        );
        if args.out.is_none() {
            return Ok(Exit::Ok);
        }
    }
    match &args.out {
        Some(path) => {
            let mut file = AtomicFile::create(path)?;
            crate::generate::write_records(file.writer(), args.seed, args.first, args.count)
                .wrap_err_with(|| format!("cannot write {}", path.display()))?;
            file.commit()?;
        }
        None => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            crate::generate::write_records(&mut out, args.seed, args.first, args.count)
                .and_then(|_| out.flush())
                .wrap_err("cannot write to stdout")?;
        }
    }
    Ok(Exit::Ok)
}
