//! Parse benchmark: reading a JSONL dataset into records at 1k, 100k and 1M records
//! (~700 bytes each, from `influx::generate`). Set INFLUX_BENCH_MAX to cap the largest size.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

mod common;
use common::{generated, sizes};

fn parse(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("parse");
    group.sample_size(10);
    for n in sizes() {
        let path = generated(&dir, n);
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
