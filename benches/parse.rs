//! Parse benchmark: reading a JSONL dataset into records at 1k, 100k and 1M records
//! (~700 bytes each, from `influx::generate`). Set INFLUX_BENCH_MAX to cap the largest size.

use std::io::Write;
use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn sizes() -> Vec<u64> {
    let max: u64 = std::env::var("INFLUX_BENCH_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    [1_000, 100_000, 1_000_000]
        .into_iter()
        .filter(|n| *n <= max)
        .collect()
}

fn dataset(dir: &tempfile::TempDir, n: u64) -> PathBuf {
    let path = dir.path().join(format!("gen-{n}.jsonl"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create bench file"));
    influx::generate::write_records(&mut out, 1, 0, n).expect("write bench file");
    out.flush().expect("flush bench file");
    path
}

fn parse(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    for n in sizes() {
        let path = dataset(&dir, n);
        let bytes = std::fs::metadata(&path).expect("bench file").len();
        group.throughput(Throughput::Bytes(bytes));
        group.bench_with_input(BenchmarkId::from_parameter(n), &path, |b, path| {
            b.iter(|| {
                let d = influx::dataset::read_dataset(path).expect("readable");
                assert_eq!(d.records.len() as u64, n);
                d
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
