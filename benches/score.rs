//! Speed of M2 on the real fixture's records (the model alone, and the reference path: parse,
//! score, write back), of `score_view` alone on generated records already read into views (the
//! model, relevance, placeholder detectors and reasons, then the new meta values written as JSON),
//! and of `influx score`'s line path on both cores over generated lines at
//! 1k, 100k and 1M records (INFLUX_BENCH_MAX caps the sizes). The 1M-record target is 5x a
//! Python `json.loads` + `json.dumps` pass over the same lines (see scripts/perf-targets.sh for
//! the end-to-end figure with the file read and written).

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use influx::dataset::{parse_line, read_dataset};
use influx::pipeline::score::{MetaChange, score_line, score_record, score_view};
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

/// What `score_view` costs per record once the line is read: generated records, viewed from
/// memory, scored, and the values it sets written as the JSON text the line path splices in.
fn score_views(c: &mut Criterion) {
    const N: u64 = 10_000;
    let records: Vec<_> = (0..N).map(|i| influx::generate::record(1, i)).collect();
    let views: Vec<_> = records.iter().map(|r| r.view()).collect();
    let mut group = c.benchmark_group("score_view");
    group.throughput(Throughput::Elements(N));
    group.bench_function("decide, 10k generated records", |b| {
        b.iter(|| {
            views
                .iter()
                .map(|v| score_view(black_box(v)).changes.len())
                .sum::<usize>()
        })
    });
    group.bench_function("decide and write the values, 10k generated records", |b| {
        let mut out = Vec::with_capacity(4096);
        b.iter(|| {
            let mut bytes = 0;
            for v in &views {
                out.clear();
                for change in score_view(black_box(v)).changes {
                    if let MetaChange::Set(_, value) = change {
                        value.write_json(&mut out);
                    }
                }
                bytes += out.len();
            }
            bytes
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

criterion_group!(benches, score, score_views, score_lines);
criterion_main!(benches);
