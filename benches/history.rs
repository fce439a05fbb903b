//! The history's speed at bench size: a version's snapshots recorded (the merge's append, with
//! its score distribution) into a history of 100k authors with 4 weekly snapshots each, one
//! author's snapshots by handle, and the movers. The year-long figures (1M authors × 52 weeks,
//! 5 GB) take minutes to build and are measured by `scripts/perf-history.sh`; the README
//! quotes that script.

mod common;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use influx::pipeline::data_dir::DataDir;
use influx::pipeline::history::History;

const AUTHORS: u64 = 100_000;
const WEEKS: u32 = 4;

fn history(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("bench dir");
    let base = dir.path().join("base.sqlite");
    {
        let mut h = History::open_file(&base).expect("open the bench history");
        h.insert_all(influx::generate::history(1, 0, AUTHORS, WEEKS))
            .expect("fill the bench history");
    } // closed: the WAL is folded into the file, which is copied whole below
    // The same authors a week after the history's last snapshot, as a merge records them.
    let next = common::generated(&dir, AUTHORS);

    let mut g = c.benchmark_group("history");
    g.sample_size(10);
    let fresh = DataDir::new(dir.path()).history();
    g.bench_function("record_version_100k", |b| {
        b.iter_batched(
            || {
                for suffix in ["-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", fresh.display()));
                }
                std::fs::copy(&base, &fresh).expect("copy the bench history");
                History::open_file(&fresh).expect("open the copy")
            },
            |mut h| {
                let recorded = h.record_version(5, "bench", &next).expect("record");
                // Every author is new this week, but for the few pre-snowflake ids that the
                // generator gives twice (one author to the history).
                assert!(recorded.added > AUTHORS * 99 / 100, "{recorded:?}");
            },
            BatchSize::PerIteration,
        )
    });
    let h = History::open_file(&base).expect("open the bench history");
    g.bench_function("author_by_handle", |b| {
        b.iter(|| {
            let a = h.author("gen_1_54321").expect("read").expect("held");
            assert_eq!(a.snapshots.len(), WEEKS as usize);
        })
    });
    g.bench_function("movers_20", |b| b.iter(|| h.movers(20).expect("movers")));
    g.finish();
}

criterion_group!(benches, history);
criterion_main!(benches);
