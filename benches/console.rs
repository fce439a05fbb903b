//! Console speed with a million authors: one frame drawn into a TestBackend at 120x40, scrolling,
//! filter keystrokes (the first, and typing that narrows), sort changes (first use of a column
//! and a cached one) and a harvested batch of 100 rows. Targets (issue 5): a frame under 10 ms,
//! a narrowing keystroke under ~16 ms, a re-sort under ~50 ms. Then opening a dataset file of
//! scored generated records at 1k, 100k and 1M (`INFLUX_BENCH_MAX` caps the size): reading its
//! rows, deriving the table's state, and scrolling with the detail pane reading each selected
//! record again from the file.

use std::hint::black_box;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use influx::cli::console_ops::load_rows;
use influx::pipeline::score::score_record;
use influx::ui::Action;
use influx::ui::SortKey;
use influx::ui::full_order;
use influx::ui::{App, Settings, render, update};
use influx::ui::{AuthorRow, RowFlags};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rayon::prelude::*;

mod common;

/// Deterministic rows: scores spread over 0-100 with some zeros and unscored, a few duplicates.
fn million_rows(n: usize) -> Vec<AuthorRow> {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..n)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let score = match state % 20 {
                0 => None,
                1 => Some(0.0),
                s => Some((s as f64 * 5.0 + (state >> 32) as f64 % 5.0).min(100.0)),
            };
            let mut flags = RowFlags::default();
            match score {
                None => flags.insert(RowFlags::UNSCORED),
                Some(0.0) => flags.insert(RowFlags::ZERO),
                _ => {}
            }
            let handle = format!("author_{}", i % (n - n / 50));
            AuthorRow::new(
                &handle,
                &format!("Author {i}"),
                score,
                Some(state % 10_000_000),
                flags,
            )
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let settings = Settings {
        dataset: "bench 1M".into(),
        readonly: false,
        color: true,
    };
    let now = Utc.with_ymd_and_hms(2025, 11, 14, 0, 0, 0).unwrap();
    let mut app = App::new(settings, now).with_rows(million_rows(1_000_000));
    update(&mut app, Action::Resize(120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();

    let mut group = c.benchmark_group("console_1M_authors");
    group.bench_function("frame_120x40", |b| {
        b.iter(|| {
            terminal.draw(|f| render(black_box(&app), f)).unwrap();
        })
    });
    group.bench_function("scroll_one_row_and_frame", |b| {
        b.iter(|| {
            update(&mut app, Action::Down);
            terminal.draw(|f| render(&app, f)).unwrap();
        })
    });
    group.bench_function("page_down_and_frame", |b| {
        b.iter(|| {
            update(&mut app, Action::PageDown);
            terminal.draw(|f| render(&app, f)).unwrap();
        })
    });
    group.bench_function("end_then_home_and_two_frames", |b| {
        b.iter(|| {
            update(&mut app, Action::Bottom);
            terminal.draw(|f| render(&app, f)).unwrap();
            update(&mut app, Action::Top);
            terminal.draw(|f| render(&app, f)).unwrap();
        })
    });
    group.sample_size(10);
    group.bench_function("filter_first_keystroke", |b| {
        b.iter(|| {
            update(&mut app, Action::StartFilter);
            update(&mut app, Action::Type('7'));
            update(&mut app, Action::Back);
        })
    });
    // Only the keystroke that extends "7" to "73" is timed; the erase that widens it back is not.
    update(&mut app, Action::StartFilter);
    update(&mut app, Action::Type('7'));
    group.bench_function("filter_narrowing_keystroke", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                update(&mut app, Action::Type('3'));
                spent += start.elapsed();
                update(&mut app, Action::Erase);
            }
            spent
        })
    });
    group.bench_function("filter_erase_keystroke", |b| {
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            for _ in 0..iters {
                update(&mut app, Action::Type('3'));
                let start = Instant::now();
                update(&mut app, Action::Erase);
                spent += start.elapsed();
            }
            spent
        })
    });
    update(&mut app, Action::Back);
    for _ in 0..5 {
        update(&mut app, Action::CycleSort);
    }
    group.bench_function("sort_change_cached_columns", |b| {
        b.iter(|| update(&mut app, Action::CycleSort))
    });
    for key in [
        SortKey::Score,
        SortKey::Handle,
        SortKey::Followers,
        SortKey::Flags,
    ] {
        group.bench_function(format!("sort_first_use_{}", key.word()), |b| {
            b.iter(|| black_box(full_order(&app.rows, key)))
        });
    }
    // A harvested batch: 100 existing rows get new scores and move.
    let mut round = 0u32;
    group.bench_function("live_update_100_rows", |b| {
        b.iter(|| {
            round += 1;
            let changed: Vec<u32> = (0..100u32)
                .map(|k| (k * 9_973 + round * 7) % 1_000_000)
                .collect();
            for &i in &changed {
                let old = app.rows[i as usize].clone();
                let score = Some(((i + round) % 1000) as f64 / 10.0);
                app.set_row(
                    i as usize,
                    AuthorRow::new(&old.handle, &old.name, score, old.followers, old.flags),
                );
            }
            app.rows_moved(&changed);
        })
    });
    group.finish();
}

/// `n` generated records (seed 1), scored as `influx score` would, in a JSONL file under `dir`:
/// what `influx console` opens.
fn scored_file(dir: &tempfile::TempDir, n: u64) -> PathBuf {
    let path = dir.path().join(format!("scored-{n}.jsonl"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).expect("create bench file"));
    for start in (0..n).step_by(50_000) {
        let lines: Vec<String> = (start..(start + 50_000).min(n))
            .into_par_iter()
            .map(|i| {
                let mut r = influx::generate::record(1, i);
                score_record(&mut r);
                r.to_line()
            })
            .collect();
        for line in lines {
            writeln!(out, "{line}").expect("write bench file");
        }
    }
    out.flush().expect("flush bench file");
    path
}

fn loaded_app(path: &Path) -> App {
    let settings = Settings {
        dataset: "bench file".into(),
        readonly: false,
        color: true,
    };
    let now = Utc.with_ymd_and_hms(2025, 11, 14, 0, 0, 0).unwrap();
    App::new(settings, now).with_loaded(load_rows(path).expect("bench file loads"))
}

fn bench_open(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("console_open_file");
    group.sample_size(10);
    let mut largest = None;
    for n in common::sizes() {
        let path = scored_file(&dir, n);
        group.throughput(Throughput::Elements(n));
        group.bench_with_input(BenchmarkId::new("read_rows", n), &path, |b, path| {
            b.iter(|| {
                let loaded = load_rows(path).expect("bench file loads");
                assert_eq!(loaded.rows.len() as u64, n);
                loaded
            })
        });
        let rows = load_rows(&path).expect("bench file loads");
        group.bench_function(BenchmarkId::new("derive_table_state", n), |b| {
            b.iter_batched(
                || rows.clone(),
                |rows| App::new(Settings::default(), Utc::now()).with_loaded(rows),
                BatchSize::PerIteration,
            )
        });
        largest = Some((n, path));
    }
    group.finish();

    let Some((n, path)) = largest else { return };
    let mut app = loaded_app(&path);
    update(&mut app, Action::Resize(120, 40));
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut group = c.benchmark_group(format!("console_{n}_from_file"));
    // Each step selects a row not read before: the detail pane reads its line from the file.
    group.bench_function("scroll_one_row_reading_its_record_and_frame", |b| {
        b.iter(|| {
            let at_end = app.selected + 1 >= app.index.len();
            update(&mut app, if at_end { Action::Top } else { Action::Down });
            terminal.draw(|f| render(&app, f)).unwrap();
        })
    });
    group.bench_function("frame_of_the_same_selection", |b| {
        b.iter(|| {
            terminal.draw(|f| render(black_box(&app), f)).unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_open);
criterion_main!(benches);
