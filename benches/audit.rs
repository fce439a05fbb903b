//! How long the audit takes: `audit_file` (what `influx audit` runs: streaming, nothing kept
//! whole) on generated files of 1k, 100k and 1M records (`INFLUX_BENCH_MAX` caps the sizes), and
//! the in-memory `audit` on the real dataset (531 records) and on 53,100 records made from it (each
//! record copied 100 times under new handles and ids, so duplicates stay as they are).

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use influx::dataset::{Record, read_dataset};
use influx::pipeline::audit::{Gates, audit, audit_file};
use influx::pipeline::checks::placeholders::{batch_flags, record_flags};
use influx::pipeline::checks::schema;
use serde_json::Value;

mod common;
use common::{generated, sizes};

fn real() -> (Vec<Record>, Vec<usize>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/latest-2025-11-14.jsonl");
    let d = read_dataset(&path).expect("fixture");
    (d.records, d.lines)
}

fn scaled(records: &[Record], copies: usize) -> Vec<Record> {
    let mut out = Vec::with_capacity(records.len() * copies);
    for k in 0..copies {
        for r in records {
            let mut r = r.clone();
            if let Some(h) = r.handle().map(|h| format!("{h}_{k}")) {
                r.set("handle", Value::String(h));
            }
            if let Some(id) = r.id().map(|id| format!("{id}{k:03}")) {
                r.set("id", Value::String(id));
            }
            out.push(r);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let (records, lines) = real();
    let gates = Gates::default();
    c.bench_function("audit 531 real records", |b| {
        b.iter(|| audit(black_box(&records), &lines, &gates))
    });
    c.bench_function("record flags, 531 records", |b| {
        b.iter(|| {
            records
                .iter()
                .map(|r| record_flags(black_box(r)).len())
                .sum::<usize>()
        })
    });
    c.bench_function("batch flags, 531 records", |b| {
        b.iter(|| batch_flags(black_box(&records)))
    });
    let values: Vec<Value> = records.iter().map(|r| r.clone().into_value()).collect();
    c.bench_function("schema, 531 records", |b| {
        b.iter(|| {
            values
                .iter()
                .map(|v| schema::violations(black_box(v)).len())
                .sum::<usize>()
        })
    });
    let big = scaled(&records, 100);
    let big_lines: Vec<usize> = (1..=big.len()).collect();
    let mut group = c.benchmark_group("large");
    group.sample_size(10);
    group.bench_function("audit 53100 records", |b| {
        b.iter(|| audit(black_box(&big), &big_lines, &gates))
    });
    group.finish();
}

fn bench_file(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let gates = Gates::default();
    let mut group = c.benchmark_group("audit_file");
    group.sample_size(10);
    for n in sizes() {
        let path = generated(&dir, n);
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::from_parameter(n), &path, |b, path| {
            b.iter(|| {
                let r = audit_file(path, &gates).expect("readable");
                assert_eq!(r.records as u64, n);
                r
            })
        });
    }
    group.finish();
}

/// The report as `influx audit --json` prints it (`audit::write_report`): the 1M report (every
/// generated record is unscored, so its lines are listed) is what the end-to-end audit prints.
/// 2026-12-03: 27.7 ms at 1M, against 78.7 ms for the hand-written writer it replaced.
fn bench_report(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("report_json");
    group.sample_size(10);
    for n in sizes() {
        let report = audit_file(&generated(&dir, n), &Gates::default()).expect("readable");
        let mut text = Vec::new();
        influx::pipeline::audit::write_report(&report, &mut text).expect("in memory");
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &report, |b, report| {
            b.iter(|| influx::pipeline::audit::write_report(report, std::io::sink()))
        });
    }
    group.finish();
}

criterion_group!(benches, bench_file, bench, bench_report);
criterion_main!(benches);
