//! Speed of M2 on the real fixture's records (the model alone, and the reference path: parse,
//! score, write back), and of `influx score`'s line path on both cores over generated lines at
//! 1k, 100k and 1M records (INFLUX_BENCH_MAX caps the sizes). The 1M-record target is 5x a
//! Python `json.loads` + `json.dumps` pass over the same lines (see scripts/perf-targets.sh for
//! the end-to-end figure with the file read and written).

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use influx::dataset::{parse_line, read_dataset};
use influx::pipeline::score::{score_line, score_record};
use rayon::prelude::*;

mod common;
use common::sizes;

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

/// The scoring `influx score` does per line, on every core, without the file read and write.
fn score_lines(c: &mut Criterion) {
    let mut group = c.benchmark_group("score_lines");
    group.sample_size(10);
    for n in sizes() {
        let lines: Vec<String> = (0..n)
            .map(|i| influx::generate::record(1, i).to_line())
            .collect();
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &lines, |b, lines| {
            b.iter(|| {
                lines
                    .par_iter()
                    .map(|l| {
                        score_line(l)
                            .expect("generated lines are objects")
                            .line
                            .len()
                    })
                    .sum::<usize>()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, score, score_lines);
criterion_main!(benches);
