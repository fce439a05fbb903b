//! What the benches share: the record counts they run at and generated JSONL files of that size.

use std::io::Write;
use std::path::PathBuf;

/// 1k, 100k and 1M records; `INFLUX_BENCH_MAX` caps the largest size.
#[allow(dead_code)] // the history bench runs at one size
pub fn sizes() -> Vec<u64> {
    let max: u64 = std::env::var("INFLUX_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    [1_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|n| *n <= max)
        .collect()
}

/// `n` records from `influx::generate` (seed 1) in a JSONL file under `dir`.
#[allow(dead_code)] // not every bench reads files
pub fn generated(dir: &tempfile::TempDir, n: u64) -> PathBuf {
    let path = dir.path().join(format!("gen-{n}.jsonl"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create bench file"));
    influx::generate::write_records(&mut out, 1, 0, n).expect("write bench file");
    out.flush().expect("flush bench file");
    path
}
