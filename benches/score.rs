//! Speed of M2 on the real fixture's records: the model alone, and the per-line work of
//! `influx score` (parse, score, write back). The 1M-record target is 5x a Python
//! `json.loads` + `json.dumps` pass over the same lines.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use influx::dataset::{parse_line, read_dataset};
use influx::pipeline::score::score_record;

const FIXTURE: &str = "tests/fixtures/latest-2025-11-14.jsonl";

fn score(c: &mut Criterion) {
    let records = read_dataset(Path::new(FIXTURE)).expect("fixture").records;
    let lines: Vec<String> = std::fs::read_to_string(FIXTURE)
        .expect("fixture")
        .lines()
        .map(str::to_string)
        .collect();
    let with_metrics: Vec<_> = records
        .iter()
        .filter(|r| r.metrics().has_activity())
        .cloned()
        .collect();

    let mut group = c.benchmark_group("m2");
    group.throughput(Throughput::Elements(with_metrics.len() as u64));
    group.bench_function("score_record, 71 records with metrics", |b| {
        b.iter_batched(
            || with_metrics.clone(),
            |mut rs| {
                for r in &mut rs {
                    black_box(score_record(r));
                }
                rs
            },
            criterion::BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(lines.len() as u64));
    group.bench_function("parse, score and write, 531 fixture lines", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for (i, line) in lines.iter().enumerate() {
                let mut r = parse_line(i + 1, line).expect("fixture lines parse");
                score_record(&mut r);
                bytes += r.to_line().len();
            }
            black_box(bytes)
        })
    });
    group.finish();
}

criterion_group!(benches, score);
criterion_main!(benches);
