//! Parse benchmark: reading a JSONL dataset into records at 1k, 100k and 1M records
//! (~700 bytes each, from `influx::generate`), and reading the same lines the raw way that
//! `score` and `audit` use (`RawObject` + `AuthorView`, no JSON value). Set INFLUX_BENCH_MAX to
//! cap the largest size.

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

fn raw(c: &mut Criterion) {
    use influx::dataset::AuthorView;
    use influx::dataset::raw_object::RawObject;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("raw_view");
    group.sample_size(10);
    for n in sizes() {
        let text = std::fs::read_to_string(generated(&dir, n)).expect("bench file");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &text, |b, text| {
            b.iter(|| {
                let mut followers = 0u64;
                for line in text.lines() {
                    let (top, meta) = RawObject::parse_with_inner(line, "meta").expect("raw");
                    let view = AuthorView::from_raw(&top, meta.as_ref());
                    followers += view.metrics().followers.unwrap_or(0);
                }
                followers
            })
        });
    }
    group.finish();
}

criterion_group!(benches, parse, raw);
criterion_main!(benches);
